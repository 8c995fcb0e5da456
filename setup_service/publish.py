"""Publishing a rendered set into the volume, all or nothing (the Kubernetes atomic-writer way).

<output>/..data is a symlink to the current generation's directory; every top-level name
(pgbackrest.conf, conf.d, ...) is a relative symlink through ..data. A new generation is
written into a fresh directory beside the old one, then ..data is swapped with one rename(2):
a reader sees the whole old set or the whole new set, even if this process is killed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import fcntl
import json
import os
import shutil
import stat
from pathlib import Path
from typing import Iterator

from setup_service import namespace
from setup_service.namespace import DATA_LINK, TOP_LEVEL
from setup_service.render import RenderedFile

LOCK_FILE = ".lock"
STATUS_FILE = "status.json"


class PublishError(Exception):
    """The output directory cannot be written."""


class LockedError(Exception):
    """Another run holds the lock."""


@dataclasses.dataclass(frozen=True)
class Owner:
    uid: int
    gid: int


@contextlib.contextmanager
def locked(output_dir: Path) -> Iterator[None]:
    created = not output_dir.exists()
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        if created:
            os.chmod(output_dir, 0o755)  # not the umask's: the consumers (uid 999) read it
    except OSError as exc:
        raise PublishError(f"cannot create {output_dir}: {exc.strerror}") from exc
    try:
        # Never follow a planted .lock symlink out of the volume; the mode is ours, not the umask's.
        fd = os.open(output_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:  # an existing directory this user may not write (a root-owned volume)
        raise PublishError(f"cannot write {output_dir} (its lock file {LOCK_FILE}): {exc.strerror}") from exc
    with os.fdopen(fd, "r+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(f"another setup-service run holds {output_dir / LOCK_FILE}") from None
        os.fchmod(fd, 0o600)
        yield


def generation_dir(output_dir: Path) -> Path | None:
    """The directory ..data points at, if it is one of ours: a ..gen-* name inside output_dir.
    A planted ..data pointing anywhere else is not followed (nothing is published then)."""
    try:
        target = os.readlink(output_dir / DATA_LINK)
    except OSError:
        return None
    if "/" in target or not target.startswith("..gen-"):
        return None
    path = output_dir / target
    return path if path.is_dir() and not path.is_symlink() else None


def current_status(output_dir: Path) -> dict[str, object] | None:
    root = generation_dir(output_dir)
    if root is None or (root / STATUS_FILE).is_symlink():
        return None
    try:
        loaded = json.loads((root / STATUS_FILE).read_text())
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def links_in_place(output_dir: Path) -> bool:
    return namespace.links_in_place(str(output_dir))


def current_files(output_dir: Path) -> dict[str, RenderedFile]:
    """The published set as it is now, for diffs; a file others cannot read counts as secret.
    Symlinks are not followed: nothing outside the volume is ever read."""
    root = generation_dir(output_dir)
    if root is None:
        return {}
    found = {}
    for directory, _dirs, names in os.walk(root, followlinks=False):
        for name in names:
            path = Path(directory) / name
            info = path.lstat()
            if path.name == STATUS_FILE and path.parent == root or not stat.S_ISREG(info.st_mode):
                continue
            found[str(path.relative_to(root))] = RenderedFile(path.read_bytes(), not info.st_mode & 0o004)
    return dict(sorted(found.items()))


def matches(output_dir: Path, files: dict[str, RenderedFile], owner: Owner | None) -> bool:
    """Whether the published set is exactly these files (a deleted or edited file, or secret
    files of another owner, is not "unchanged")."""
    current = current_files(output_dir)
    if {p: (f.content, f.secret) for p, f in current.items()} != \
            {p: (f.content, f.secret) for p, f in files.items()}:
        return False
    if owner is None:
        return True
    root = generation_dir(output_dir)
    if root is None:
        return False
    return all((st.st_uid, st.st_gid) == (owner.uid, owner.gid)
               for path, f in files.items() if f.secret for st in [(root / path).stat()])


def _write(path: Path, content: bytes, mode: int, owner: Owner | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, content)
        os.fchmod(fd, mode)
        if owner is not None:
            os.fchown(fd, owner.uid, owner.gid)
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_link(output_dir: Path, name: str, target: str) -> None:
    """Point output_dir/name at target with one rename; move a real directory out of the way."""
    path = output_dir / name
    if path.is_dir() and not path.is_symlink():
        path.rename(output_dir / f"..legacy-{name}-{os.getpid()}")
    temporary = output_dir / f"..link-{name}-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    temporary.symlink_to(target)
    temporary.rename(path)


def _stage(output_dir: Path, files: dict[str, RenderedFile], status: bytes,
           owner: Owner | None) -> Path:
    stage = output_dir / f"..tmp-{os.getpid()}"
    if stage.is_symlink():
        stage.unlink()
    elif stage.exists():
        shutil.rmtree(stage)
    for directory in (stage, stage / "conf.d", stage / "files"):
        directory.mkdir(mode=0o755)
        os.chmod(directory, 0o755)  # not the umask's: the consumers (uid 999) read it
    for relative, file in sorted(files.items()):
        _write(stage / relative, file.content, 0o640 if file.secret else 0o644,
               owner if file.secret else None)
    _write(stage / STATUS_FILE, status, 0o644, None)
    for directory in (stage / "conf.d", stage / "files", stage):
        _fsync_dir(directory)
    return stage


def _generation_dir_name() -> str:
    return "..gen-" + datetime.datetime.now(datetime.timezone.utc).strftime("%Y_%m_%d_%H_%M_%S.%f")


def publish(output_dir: Path, files: dict[str, RenderedFile], status: bytes,
            owner: Owner | None) -> None:
    """Write a new generation and switch to it atomically. Call with the lock held. A failure
    (ENOSPC) removes what it staged, so the next run that fits succeeds."""
    data_link = output_dir / DATA_LINK
    previous = os.readlink(data_link) if os.path.islink(data_link) else ""
    stage = output_dir / f"..tmp-{os.getpid()}"
    generation = output_dir / _generation_dir_name()
    try:
        _stage(output_dir, files, status, owner)
        stage.rename(generation)
        _replace_link(output_dir, DATA_LINK, generation.name)
        for name in TOP_LEVEL:
            if os.path.islink(output_dir / name) and \
                    os.readlink(output_dir / name) == f"{DATA_LINK}/{name}":
                continue
            _replace_link(output_dir, name, f"{DATA_LINK}/{name}")
        _fsync_dir(output_dir)
    except OSError as exc:
        if os.path.islink(data_link) and os.readlink(data_link) != generation.name:
            for leftover in (stage, generation):
                if not leftover.is_symlink():
                    shutil.rmtree(leftover, ignore_errors=True)
        raise PublishError(f"cannot write {output_dir}: {exc.strerror or exc}") from exc
    _remove_old(output_dir, keep={generation.name, previous})


def clean_staging(output_dir: Path) -> None:
    """Staging directories left by a killed run (call with the lock held)."""
    for entry in output_dir.glob("..tmp-*"):
        shutil.rmtree(entry, ignore_errors=True)


def _remove_old(output_dir: Path, keep: set[str]) -> None:
    """Generations before the previous one, and leftovers of killed runs.

    The previous generation is kept so that a reader that resolved ..data just before the swap
    can finish reading it.
    """
    for entry in output_dir.iterdir():
        name = entry.name
        if name not in keep and (name.startswith("..gen-") or name.startswith("..tmp-")):
            shutil.rmtree(entry, ignore_errors=True)
