"""Publishing a set atomically: the ..data swap, modes, the lock, and what a killed run leaves."""

from __future__ import annotations

import fcntl
import json
import os
import stat
from pathlib import Path
from typing import Any, Iterator

import pytest

from setup_service import app, publish, render
from setup_service.exit_codes import ExitCode
from tests.unit.support import app_request as _request
from tests.unit.support import generate as _generate
from tests.unit.support import GCS, MOUNT, POSIX, S3, check, clean_environ, reader, tree

TOP_LEVEL = ("pgbackrest.conf", "conf.d", "postgresql-archive.conf", "crontab", "files", "status.json")


@pytest.fixture(autouse=True)
def _environ(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environ(monkeypatch)
    monkeypatch.setattr(app, "_read_file", reader())  # GCS key and CA files from the test's table




def _generation_dir(out: Path) -> Path:
    return out / os.readlink(out / "..data")


def _files(env: dict[str, str]) -> dict[str, render.RenderedFile]:
    outcome = check(env)
    assert outcome.config is not None
    return render.render(outcome.config)


@pytest.fixture
def held_lock(tmp_path: Path) -> Iterator[Path]:
    out = tmp_path / "out"
    out.mkdir()
    with open(out / publish.LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield out


def test_layout(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _generate(out, GCS)
    assert (result.exit_code, result.doc["result"], result.doc["generation"]) == (ExitCode.OK, "written", 1)
    data = os.readlink(out / "..data")
    assert "/" not in data and data.startswith("..") and (out / data).is_dir()
    for name in TOP_LEVEL:
        assert os.readlink(out / name) == f"..data/{name}", name
    assert (out / publish.LOCK_FILE).is_file()
    assert set(tree(out)) == {"pgbackrest.conf", "conf.d/repo.conf", "postgresql-archive.conf", "crontab",
                              "status.json", "files/repo1-gcs-key.json"}
    assert json.loads((out / "status.json").read_text())["content_hash"] == result.doc["content_hash"]


def test_modes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _generate(out, GCS)
    modes = {path: stat.S_IMODE((out / path).stat().st_mode) for path in tree(out)}
    assert modes == {"pgbackrest.conf": 0o644, "conf.d/repo.conf": 0o640, "postgresql-archive.conf": 0o644,
                     "crontab": 0o644, "status.json": 0o644, "files/repo1-gcs-key.json": 0o640}
    for directory in (_generation_dir(out), out / "conf.d", out / "files"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o755


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
def test_secret_files_belong_to_the_owner(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _generate(out, GCS, owner=publish.Owner(999, 998))
    for path in tree(out):
        st = (out / path).stat()
        secret = path in ("conf.d/repo.conf", "files/repo1-gcs-key.json")
        assert (st.st_uid, st.st_gid) == ((999, 998) if secret else (0, 0)), path


def test_links_resolve_wherever_the_volume_is_mounted(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _generate(out, S3)
    moved = tmp_path / "elsewhere"
    out.rename(moved)
    assert (moved / "pgbackrest.conf").read_text().startswith("# Generated")
    assert (moved / "conf.d" / "repo.conf").is_file()


def test_unchanged_output_is_not_rewritten(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = _generate(out, S3)
    before = {p: os.stat(out / "..data" / p).st_mtime_ns for p in tree(out)}
    directory = _generation_dir(out)
    inode = directory.stat().st_ino
    second = _generate(out, S3)
    assert (second.exit_code, second.doc["result"]) == (ExitCode.OK, "unchanged")
    assert second.doc["generation"] == first.doc["generation"] == 1
    assert _generation_dir(out) == directory and directory.stat().st_ino == inode
    assert {p: os.stat(out / "..data" / p).st_mtime_ns for p in tree(out)} == before


def test_changed_output_is_a_new_generation(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _generate(out, S3)
    old = _generation_dir(out)
    result = _generate(out, {**S3, "BACKUP_RETENTION_FULL": "5"})
    assert (result.doc["result"], result.doc["generation"]) == ("written", 2)
    assert _generation_dir(out) != old
    assert old.is_dir()  # the previous generation stays for readers that resolved ..data just before
    assert "repo1-retention-full=5" in (out / "conf.d" / "repo.conf").read_text()


def test_only_the_current_and_previous_generations_are_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for retention in ("1", "2", "3", "4"):
        _generate(out, {**POSIX, "BACKUP_RETENTION_FULL": retention})
    generations = sorted(p.name for p in out.iterdir() if p.is_dir() and not p.is_symlink())
    assert len(generations) == 2
    assert os.readlink(out / "..data") in generations
    assert json.loads((out / "status.json").read_text())["generation"] == 4


def test_failed_validation_leaves_the_previous_set_byte_identical(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _generate(out, S3)
    before, data = tree(out), os.readlink(out / "..data")
    entries = sorted(os.listdir(out))
    result = _generate(out, {**S3, "AWS_REGION": "Bad Region"})
    assert (result.exit_code, result.doc["result"]) == (ExitCode.CONFIG, "invalid")
    assert tree(out) == before
    assert os.readlink(out / "..data") == data
    assert sorted(os.listdir(out)) == entries


def test_failure_while_staging_leaves_the_previous_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    _generate(out, S3)
    before, data = tree(out), os.readlink(out / "..data")
    real_write = publish._write
    calls = []

    def failing_write(path: Path, content: bytes, mode: int, owner: publish.Owner | None) -> None:
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real_write(path, content, mode, owner)

    monkeypatch.setattr(publish, "_write", failing_write)
    result = _generate(out, {**S3, "BACKUP_RETENTION_FULL": "5"})
    assert (result.exit_code, result.doc["result"]) == (ExitCode.CANT_CREATE, "failed")
    assert [p.code for p in result.problems] == ["io"]
    assert "No space left" in result.problems[0].message
    assert tree(out) == before and os.readlink(out / "..data") == data


def test_held_lock_raises_locked_error(held_lock: Path) -> None:
    with pytest.raises(publish.LockedError):
        with publish.locked(held_lock):
            pass  # pragma: no cover


def test_held_lock_is_temp_fail(held_lock: Path) -> None:
    result = _generate(held_lock, POSIX)
    assert (result.exit_code, result.doc["result"]) == (ExitCode.TEMP_FAIL, "failed")
    assert [(p.variable, p.code) for p in result.problems] == [("--output-dir", "locked")]
    assert not (held_lock / "..data").exists()


def test_lock_is_released_after_a_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _generate(out, POSIX)
    with open(out / publish.LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # would raise if still held


def test_unwritable_output_dir_is_cant_create(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(publish.PublishError):
        with publish.locked(blocker / "out"):
            pass  # pragma: no cover
    result = _generate(blocker / "out", POSIX)
    assert (result.exit_code, [p.code for p in result.problems]) == (ExitCode.CANT_CREATE, ["io"])


def test_leftovers_of_a_killed_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _generate(out, S3)
    before = tree(out)
    killed = out / "..tmp-123"
    (killed / "conf.d").mkdir(parents=True)
    (killed / "pgbackrest.conf").write_text("[global]\nhalf-writ")
    # meanwhile the published set is whole and readable
    assert tree(out) == before
    assert (out / "pgbackrest.conf").read_bytes() == before["pgbackrest.conf"]
    assert publish.links_in_place(out)
    _generate(out, {**S3, "BACKUP_RETENTION_FULL": "5"})
    assert not killed.exists()
    assert not [p for p in out.iterdir() if p.name.startswith("..tmp-")]


def test_orphaned_generation_of_a_killed_run_is_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _generate(out, S3)
    orphan = out / "..gen-2099_01_01_00_00_00.000000"  # staged and renamed, never linked
    orphan.mkdir()
    _generate(out, {**S3, "BACKUP_RETENTION_FULL": "5"})
    assert not orphan.exists()


def test_missing_top_level_link_is_repaired(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _generate(out, POSIX)
    (out / "crontab").unlink()
    assert not publish.links_in_place(out)
    result = _generate(out, POSIX)
    assert result.doc["result"] == "written"
    assert publish.links_in_place(out)


def test_real_directory_in_place_of_a_link_is_moved_aside(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "conf.d").mkdir(parents=True)
    (out / "conf.d" / "old.conf").write_text("[global]\n")
    publish.publish(out, _files(POSIX), b"{}", None)
    assert os.readlink(out / "conf.d") == "..data/conf.d"
    legacy = [p for p in out.iterdir() if p.name.startswith("..legacy-conf.d")]
    assert len(legacy) == 1 and (legacy[0] / "old.conf").is_file()


@pytest.mark.parametrize("corrupt", ['{"generation": "seven"}', '{"generation": [1]}'])
def test_corrupt_status_json_is_replaced(tmp_path: Path, corrupt: str) -> None:
    out = tmp_path / "out"
    _generate(out, POSIX)
    status_file = out / "..data" / "status.json"
    status_file.chmod(0o644)
    status_file.write_text(corrupt)
    result = _generate(out, POSIX)
    assert (result.exit_code, result.doc["result"]) == (ExitCode.OK, "written")


def test_current_status_and_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert publish.current_status(out) is None
    assert publish.current_files(out) == {}
    assert not publish.links_in_place(out)
    files = _files(POSIX)
    out.mkdir()
    publish.publish(out, files, b'{"generation": 7}', None)
    assert publish.current_status(out) == {"generation": 7}
    current = publish.current_files(out)
    assert {path: f.content for path, f in current.items()} == {path: f.content for path, f in files.items()}
    assert {path for path, f in current.items() if f.secret} == {"conf.d/repo.conf"}  # by its mode
    assert publish.links_in_place(out)
    (out / "..data" / "status.json").write_text("[1]")
    assert publish.current_status(out) is None



def _as_nobody(out: Path) -> str:
    """publish.locked(out) in a forked child running as uid/gid 65534: its PublishError message."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no pytest machinery, only the module already imported
        message = "no error"
        try:
            os.setgid(65534)
            os.setuid(65534)
            with publish.locked(out):
                pass
        except publish.PublishError as exc:
            message = str(exc)
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            message = f"unexpected {exc!r}"
        os.write(write_end, message.encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader_end:
        message = reader_end.read().decode()
    os.waitpid(pid, 0)
    return message


def test_an_existing_directory_this_user_cannot_write_is_cannot_write() -> None:
    """A root-owned volume: the job running as another user says "cannot write" (exit 73, like
    "cannot create" for a directory it cannot make)."""
    import shutil
    import tempfile

    if os.geteuid() != 0:
        pytest.skip("needs root to run as another user")
    parent = Path(tempfile.mkdtemp())
    try:
        parent.chmod(0o755)
        out = parent / "volume"
        out.mkdir(mode=0o755)
        assert _as_nobody(out).startswith(f"cannot write {out} (its lock file .lock): Permission denied")
        assert _as_nobody(out / "sub").startswith(f"cannot create {out / 'sub'}: Permission denied")
        assert ExitCode.CANT_CREATE == 73
    finally:
        shutil.rmtree(parent)


def _cli_as_a_user_who_cannot_write(args: list[str]) -> tuple[int, dict[str, Any]]:
    """`python -m setup_service ARGS --format json` as a user the test's 0555 directories stop:
    this user when it is not root (a 0555 directory stops its owner too), else uid/gid 65534
    through setpriv (root writes anywhere). 65534 keeps CAP_DAC_READ_SEARCH only when it could
    not otherwise reach this interpreter (a venv under a 0700 /root): that capability reads and
    searches; it never writes. Returns the exit code and the printed status document."""
    import subprocess
    import sys

    from tests.deploy.tools import require_tool
    from tests.unit.support import REPO_ROOT, process_env

    command = [sys.executable, "-m", "setup_service", *args, "--format", "json"]
    if os.geteuid() == 0:
        setpriv = [require_tool("setpriv", "Debian package util-linux"), "--reuid=65534",
                   "--regid=65534", "--clear-groups"]
        probe = subprocess.run([*setpriv, "--", sys.executable, "-c", ""], capture_output=True)
        if probe.returncode != 0:
            setpriv += ["--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
        command = [*setpriv, "--", *command]
    proc = subprocess.run(command, cwd=REPO_ROOT, env=process_env(POSIX), capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_a_read_only_directory_is_cannot_write_for_the_cli_as_any_user() -> None:
    """The variant of the test above that runs as any user, through the real command: a 0555
    volume is "cannot write" (exit 73), a directory it cannot make is "cannot create" (73), and
    nothing is left behind."""
    import shutil
    import tempfile

    parent = Path(tempfile.mkdtemp())
    try:
        parent.chmod(0o755)  # 65534 must reach the volume
        out = parent / "volume"
        out.mkdir()
        out.chmod(0o555)
        for target, message in ((out, f"cannot write {out} (its lock file .lock): Permission denied"),
                                (out / "sub", f"cannot create {out / 'sub'}: Permission denied")):
            code, doc = _cli_as_a_user_who_cannot_write(
                ["generate", "--output-dir", str(target), "--no-pgbackrest-check"])
            assert (code, doc["result"]) == (ExitCode.CANT_CREATE, "failed") == (73, "failed")
            assert [(p["variable"], p["code"], p["message"]) for p in doc["problems"]] == [
                ("--output-dir", "io", message)]
        assert os.listdir(out) == []
    finally:
        shutil.rmtree(parent)


def _holding(out: Path, secret: str) -> list[str]:
    """Every regular file under OUT (links not followed: each file once, by its real path) whose
    bytes contain SECRET, after checking the walk saw the files that must never hold one."""
    files = sorted(str(Path(root, name).relative_to(out)) for root, _dirs, names in os.walk(out)
                   for name in names if not Path(root, name).is_symlink())
    generation = os.readlink(out / "..data")
    assert {".fingerprint", ".lock", f"{generation}/status.json", f"{generation}/conf.d/repo.conf"} <= set(files)
    return [name for name in files if secret.encode() in (out / name).read_bytes()]


def test_rotation_leaves_the_old_secret_only_in_the_previous_generation(tmp_path: Path) -> None:
    """README, "Where the old secret remains": after a rotation the previous generation holds the
    old secret until the next publish, and nothing else in the volume does (the real command,
    so .fingerprint is written too)."""
    from tests.unit.support import run_module

    out = tmp_path / "out"
    secrets = {name: f"rotation-secret-{name}-{os.urandom(6).hex()}" for name in "ABC"}
    generations = {}
    for name, secret in secrets.items():
        proc = run_module(["generate", "--output-dir", str(out), "--no-pgbackrest-check",
                           "--owner", f"{os.getuid()}:{os.getgid()}", "--format", "json"],
                          {**S3, "AWS_SECRET_ACCESS_KEY": secret})
        assert (proc.returncode, json.loads(proc.stdout)["result"]) == (0, "written"), proc.stdout
        assert secret not in proc.stdout + proc.stderr
        generations[name] = os.readlink(out / "..data")
        if name == "A":
            assert _holding(out, secrets["A"]) == [f"{generations['A']}/conf.d/repo.conf"]
        if name == "B":  # A only in the previous generation, B only in the current one
            assert _holding(out, secrets["A"]) == [f"{generations['A']}/conf.d/repo.conf"]
            assert _holding(out, secrets["B"]) == [f"{generations['B']}/conf.d/repo.conf"]
    assert _holding(out, secrets["A"]) == []  # the next publish removed it
    assert not (out / generations["A"]).exists()
    assert _holding(out, secrets["B"]) == [f"{generations['B']}/conf.d/repo.conf"]
    assert _holding(out, secrets["C"]) == [f"{generations['C']}/conf.d/repo.conf"]
