"""Write a ``.env`` file (the docker compose / python-dotenv format) for the setup service."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def write_env_file(path: Path, env: Mapping[str, str]) -> Path:
    """One ``NAME='value'`` line per variable; single quotes keep every value literal."""
    lines = []
    for name, value in env.items():
        if "'" in value or "\n" in value:
            raise ValueError(f"{name}: a value with a single quote or newline cannot be written")
        lines.append(f"{name}='{value}'")
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path
