"""The fast path for an unchanged rerun: `generate` on every `docker compose up`.

A successful generate records a fingerprint of everything its output depends on (the command
line, the owned environment variables, the .env file, every file a variable named, the tool's
own files, the pgbackrest binary). When the next run's fingerprint matches and the published
set is still the one recorded, entry.py prints the recorded result without importing click,
jinja2, pydantic or jsonschema. Only the standard library is used here, to keep start-up fast.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any, Mapping

from setup_service import namespace

FINGERPRINT_FILE = ".fingerprint"
_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def _file_digest(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return "-"


def _tool_stamp() -> list[str]:
    """Size and mtime of the package's code, templates and schemas: a new build is a new key."""
    stamps = []
    roots = [_PACKAGE, os.path.join(_PACKAGE, "templates"), os.path.join(_PACKAGE, "schemas"),
             os.path.join(os.path.dirname(_PACKAGE), "templates"),
             os.path.join(os.path.dirname(_PACKAGE), "schemas")]
    for root in roots:
        try:
            entries = sorted(os.scandir(root), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_file():
                st = entry.stat()
                stamps.append(f"{entry.path}:{st.st_size}:{st.st_mtime_ns}")
    return stamps


def _pgbackrest_stamp(environ: Mapping[str, str]) -> str:
    for directory in environ.get("PATH", "").split(os.pathsep):
        candidate = os.path.join(directory, "pgbackrest")
        if os.access(candidate, os.X_OK):
            st = os.stat(candidate)
            return f"{candidate}:{st.st_size}:{st.st_mtime_ns}"
    return "-"


def key(argv: list[str], environ: Mapping[str, str], files: list[str]) -> str:
    owned = sorted((k, v) for k, v in environ.items() if namespace.is_owned(k))
    material = {
        "argv": argv, "env": owned, "files": [(f, _file_digest(f)) for f in files],
        "tool": _tool_stamp(), "pgbackrest": _pgbackrest_stamp(environ),
        "euid": os.geteuid(),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def _published_hash(output_dir: str) -> str | None:
    try:
        with open(os.path.join(output_dir, "..data", "status.json"), encoding="utf-8") as handle:
            return str(json.load(handle).get("content_hash"))
    except (OSError, ValueError, AttributeError):
        return None


def lookup(output_dir: str, argv: list[str], environ: Mapping[str, str]) -> dict[str, Any] | None:
    """The recorded result when nothing the output depends on has changed, else None."""
    try:
        with open(os.path.join(output_dir, FINGERPRINT_FILE), encoding="utf-8") as handle:
            record = json.load(handle)
        if record["content_hash"] != _published_hash(output_dir):
            return None
        if record["key"] != key(argv, environ, record["files"]):
            return None
        return dict(record["reports"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember(request: Any, environ: Mapping[str, str], doc: dict[str, Any]) -> None:
    """Record the fingerprint after a successful generate (never fatal)."""
    import sys

    from setup_service import reporter, status

    argv = sys.argv[1:]
    files = _referenced_files(request, environ)
    unchanged = dict(doc, result="unchanged")
    problems_free = {k: v for k, v in unchanged.items()}
    text = reporter._summary(problems_free)  # warnings are listed in the JSON
    record = {
        "key": key(argv, environ, files), "files": files, "content_hash": doc.get("content_hash"),
        "reports": {"text": _warning_lines(unchanged) + text,
                    "json": status.dumps(unchanged).decode().rstrip("\n")},
    }
    path = os.path.join(str(request.output_dir), FINGERPRINT_FILE)
    temporary = path + ".tmp"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
        os.replace(temporary, path)
    except OSError:
        pass


def _warning_lines(doc: dict[str, Any]) -> str:
    lines = []
    for w in doc.get("warnings", []):
        where = f" (from {w['source']})" if w.get("source") else ""
        lines.append(f"warning: {w['variable']}{where}: {w['message']}"
                     + (f"\n  fix: {w['hint']}" if w.get("hint") else "") + "\n")
    return "".join(lines)


def _referenced_files(request: Any, environ: Mapping[str, str]) -> list[str]:
    """The .env file and every file an owned variable names (secrets, keys, CA files)."""
    from setup_service import env_sources

    values = dict(environ)
    if request.env_file is not None:
        from dotenv import dotenv_values

        values = {k: v or "" for k, v in dotenv_values(request.env_file, interpolate=False).items()} | values
    files = [str(request.env_file)] if request.env_file is not None else []
    for name, value in sorted(values.items()):
        if namespace.is_owned(name) and value.startswith("/") and os.path.isfile(value):
            files.append(value)
    del env_sources
    return files
