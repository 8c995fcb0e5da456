"""posix: a repository directory owned by the unprivileged test user."""

from __future__ import annotations

from pathlib import Path

from .osuser import OsUser


class PosixRepo:
    def __init__(self, path: Path, user: OsUser) -> None:
        self.path = path
        self.user = user

    def create(self) -> PosixRepo:
        self.user.make_dir(self.path, 0o750)
        return self

    def env(self, repo: int = 1) -> dict[str, str]:
        return {f"PGBACKREST_REPO{repo}_TYPE": "posix", f"PGBACKREST_REPO{repo}_PATH": str(self.path)}

    def pgbackrest_options(self, repo: int = 1) -> dict[str, str]:
        return {f"repo{repo}-type": "posix", f"repo{repo}-path": str(self.path)}

    def files(self) -> list[str]:
        return sorted(str(p.relative_to(self.path)) for p in self.path.rglob("*") if p.is_file())
