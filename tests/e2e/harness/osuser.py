"""The unprivileged OS user that owns the PostgreSQL cluster and runs pgBackRest.

PostgreSQL refuses to run as root, and pgBackRest must run as the cluster's owner. As root the
harness creates (once) a system user ``pgtest`` and runs commands as it; as any other user it
runs them as that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TEST_USER = "pgtest"


@dataclass(frozen=True)
class OsUser:
    name: str
    uid: int
    gid: int
    home: str

    @property
    def is_current(self) -> bool:
        return self.uid == os.geteuid()

    @property
    def owner(self) -> str:
        """``UID:GID``, as ``setup-service generate --owner`` takes it."""
        return f"{self.uid}:{self.gid}"

    def base_env(self, path_dirs: Sequence[Path] = ()) -> dict[str, str]:
        """A clean environment: never any PGBACKREST_* (they would override the config files)."""
        path = ":".join([*(str(d) for d in path_dirs), "/usr/local/bin", "/usr/bin", "/bin"])
        return {"PATH": path, "HOME": self.home, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "UTC"}

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path,
        timeout: float = 300.0,
        input_text: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` as this user, capture its output; never raises on a non-zero exit."""
        as_user: dict[str, object] = {}
        if not self.is_current:
            as_user = {"user": self.uid, "group": self.gid, "extra_groups": []}
        return subprocess.run(  # type: ignore[call-overload,no-any-return]
            list(argv),
            env=dict(env),
            cwd=cwd,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **as_user,
        )

    def make_dir(self, path: Path, mode: int = 0o750) -> Path:
        """Create ``path`` (and parents) owned by this user."""
        path.mkdir(parents=True, exist_ok=True)
        self.chown(path)
        path.chmod(mode)
        return path

    def chown(self, path: Path, recursive: bool = False) -> None:
        if self.is_current:
            return
        os.chown(path, self.uid, self.gid, follow_symlinks=False)
        if recursive and path.is_dir() and not path.is_symlink():
            for root, dirs, files in os.walk(path):
                for name in dirs + files:
                    os.chown(os.path.join(root, name), self.uid, self.gid, follow_symlinks=False)


def ensure_test_user(name: str = DEFAULT_TEST_USER) -> OsUser:
    """As root: the system user ``name`` (created if missing). Otherwise: the current user."""
    if os.geteuid() != 0:
        entry = pwd.getpwuid(os.geteuid())
        return OsUser(entry.pw_name, entry.pw_uid, entry.pw_gid, entry.pw_dir)
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        created = subprocess.run(
            [useradd, "--system", "--user-group", "--create-home", "--home-dir",
             f"/var/lib/{name}", "--shell", "/bin/sh", name],
            check=False, capture_output=True, text=True,
        )
        try:  # another worker may have created it in the meantime
            entry = pwd.getpwnam(name)
        except KeyError:
            raise RuntimeError(f"useradd {name} failed: {created.stderr.strip()}") from None
    return OsUser(entry.pw_name, entry.pw_uid, entry.pw_gid, entry.pw_dir)
