"""The fast path for an unchanged rerun: `generate` on every `docker compose up`.

A successful generate records a fingerprint of everything its output depends on (the command
line, the owned environment variables, the .env file, every file a variable named, the tool's
own files, the pgbackrest binary) and which generation it published. When the next run's
fingerprint matches and ..data still points at that generation, entry.py prints the recorded
result without importing click, jinja2, pydantic or jsonschema.

Start-up cost matters here (the benchmark holds it to 1.5x a bare interpreter), so lookup()
imports nothing but os and a SHA-256 implementation: no json, re or typing (each costs
milliseconds because it pulls in re).
"""

from __future__ import annotations

import os

from setup_service import namespace, privileges
from setup_service.regular_file import FILE_SIZE_CAP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Mapping

FINGERPRINT_FILE = ".fingerprint"
_FORMAT = "setup-service-fingerprint-2"
_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def _sha256(data: bytes) -> str:
    try:  # the builtin module: hashlib's OpenSSL loading costs ~2 ms at start-up
        from _sha256 import sha256  # type: ignore[import-not-found]
    except ImportError:  # Python 3.12+ renamed it; hashlib always works
        from hashlib import sha256
    return str(sha256(data).hexdigest())


_REGULAR, _LINK, _FILE_TYPE = 0o100000, 0o120000, 0o170000  # stat.S_IFREG, S_IFLNK, S_IFMT


def _file_digest(path: str) -> str:
    """A regular file's digest; anything else ("-", never read: a FIFO would block) sends the
    run down the full path, which reports it. The .env file read as root: that copy."""
    read_as_root = privileges.content(path)
    if read_as_root is not None:
        return _sha256(read_as_root)
    try:
        info = os.stat(path)
        if info.st_mode & _FILE_TYPE != _REGULAR or info.st_size > FILE_SIZE_CAP:
            return "-"
        with open(path, "rb") as handle:
            return _sha256(handle.read())
    except OSError:
        return "-"


def _tool_stamp() -> list[str]:
    """Size and mtime of the package's code, templates and schemas: a new build is a new key."""
    stamps = []
    parent = os.path.dirname(_PACKAGE)
    for root in (_PACKAGE, os.path.join(_PACKAGE, "templates"), os.path.join(_PACKAGE, "schemas"),
                 os.path.join(parent, "templates"), os.path.join(parent, "schemas")):
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


def published_tree(output_dir: str, generation: str) -> str:
    """A digest of the published generation as consumers read it: every entry's path, type, mode,
    owner and content (a deleted, edited, re-moded or re-owned file is not "unchanged"). Never
    follows a link; an unreadable tree gives "-", which matches nothing."""
    root = os.path.join(output_dir, generation)
    entries = []
    try:
        for directory, dirs, names in os.walk(root):
            dirs.sort()
            for name in sorted(dirs + names):
                path = os.path.join(directory, name)
                info = os.lstat(path)
                content = ""
                if info.st_mode & _FILE_TYPE == _REGULAR:
                    with open(path, "rb") as handle:
                        content = _sha256(handle.read())
                elif info.st_mode & _FILE_TYPE == _LINK:
                    content = os.readlink(path)
                entries.append((path[len(root):], info.st_mode, info.st_uid, info.st_gid, content))
        if not entries:
            return "-"
    except OSError:
        return "-"
    return _sha256(repr(entries).encode())


def key(argv: list[str], environ: Mapping[str, str], files: list[str]) -> str:
    owned = sorted((k, v) for k, v in environ.items() if namespace.is_owned(k))
    material = (argv, owned, [(f, _file_digest(f)) for f in files], _tool_stamp(),
                _pgbackrest_stamp(environ), os.geteuid())
    return _sha256(repr(material).encode())


def lookup(output_dir: str, argv: list[str], environ: Mapping[str, str]) -> dict[str, str] | None:
    """The recorded reports when nothing the output depends on has changed, else None."""
    try:
        with open(os.path.join(output_dir, FINGERPRINT_FILE), encoding="utf-8") as handle:
            fields = handle.read().split("\0")
        fmt, recorded_key, generation, tree, files, text, json_report = fields
        if fmt != _FORMAT or os.readlink(os.path.join(output_dir, namespace.DATA_LINK)) != generation \
                or not namespace.links_in_place(output_dir) or published_tree(output_dir, generation) != tree:
            return None
        if recorded_key != key(argv, environ, files.split("\n") if files else []):
            return None
        return {"text": text, "json": json_report}
    except (OSError, ValueError):
        return None


def remember(request: Any, environ: Mapping[str, str], doc: dict[str, Any], generation: str) -> None:
    """Record the fingerprint after a successful generate (never fatal), against the generation
    that run published (read under its lock: by now another run may have published)."""
    import sys

    from setup_service import reporter, status

    output_dir = str(request.output_dir)
    files = _referenced_files(request, environ)
    unchanged = dict(doc, result="unchanged")
    try:
        tree = published_tree(output_dir, generation) if generation else "-"
        if tree == "-":
            return
        record = "\0".join((_FORMAT, key(sys.argv[1:], environ, files), generation, tree, "\n".join(files),
                            reporter.text(unchanged, reporter.problems_from(unchanged)),
                            status.dumps(unchanged).decode().rstrip("\n")))
        path = os.path.join(output_dir, FINGERPRINT_FILE)
        temporary = f"{path}.{os.getpid()}.tmp"
        if os.path.lexists(temporary):
            os.unlink(temporary)  # a planted symlink is removed, never written through
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(record)
        os.replace(temporary, path)
    except OSError:
        pass


def _referenced_files(request: Any, environ: Mapping[str, str]) -> list[str]:
    """The .env file and every file an owned variable names (secrets, keys, CA files), relative
    paths too, and the file a NAME_FILE's content names in turn (GCS_KEY_FILE holding the path of
    the key): whatever the full path would read."""
    from setup_service import env_sources

    files = [os.path.abspath(request.env_file)] if request.env_file is not None else []
    for _name, setting in sorted(env_sources.layered(environ, request.env_file).items()):
        path = _named_file(setting.value)
        if path is None:
            continue
        files.append(path)
        try:
            inner = _named_file(env_sources.read_regular_file(path).decode().strip())
        except (OSError, UnicodeDecodeError):
            continue
        if inner is not None:
            files.append(inner)
    return files


def _named_file(value: str) -> str | None:
    if not value or "\n" in value or "\0" in value or len(value) > 4096:
        return None
    return os.path.abspath(value) if os.path.isfile(value) else None
