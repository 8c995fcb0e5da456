"""The edges of issue 8: inputs that crashed (exit 70) or hung, files that are not files, and
"unchanged" answers that were wrong. Each case failed before its fix."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from setup_service import cron, env_sources, publish
from setup_service.exit_codes import ExitCode
from tests.unit.support import (POSIX, REPO_ROOT, S3, check, errors_of, generate, keyed, process_env,
                                run_module, tree)
from tests.unit.test_entry import _args, _run


# --- only ASCII is a digit; numbers pgBackRest cannot hold are problems, not crashes ----------

@pytest.mark.parametrize("expression", ["0 ² * * 0", "0 ٢ * * 0", "0 ２ * * 0", "*/² * * * *",
                                        "0 " + "9" * 5000 + " * * 0"])
def test_non_ascii_or_huge_numbers_in_a_schedule(expression: str) -> None:
    with pytest.raises(cron.CronError):
        cron.parse(expression)
    assert keyed(errors_of(check({**POSIX, "BACKUP_SCHEDULE_FULL": expression}))) == {
        ("BACKUP_SCHEDULE_FULL", "format", "error")}


@pytest.mark.parametrize("name, value", [
    ("PGBACKREST_PROCESS_MAX", "9" * 5000), ("PGBACKREST_ARCHIVE_PUSH_QUEUE_MAX", "9" * 5000 + "GB"),
    ("PGBACKREST_ARCHIVE_TIMEOUT", "9" * 5000), ("BACKUP_RETENTION_FULL", "9" * 5000),
    ("BACKUP_CPU_LIMIT", "9" * 5000), ("BACKUP_MEMORY_LIMIT", "9" * 5000 + "M"),
])
def test_huge_numbers_are_problems(name: str, value: str) -> None:
    outcome = check({**POSIX, name: value})
    assert {p.variable for p in errors_of(outcome)} == {name}


def test_a_huge_index_is_out_of_range() -> None:
    name = "PGBACKREST_REPO" + "1" * 5000 + "_PATH"
    assert keyed(errors_of(check({**POSIX, name: "/x"}))) == {(name, "invalid", "error")}


def test_a_mount_path_with_a_newline_is_a_usage_error(tmp_path: Path) -> None:
    proc = run_module(["generate", "--dry-run", "--output-dir", str(tmp_path / "o"),
                       "--mount-path", "/etc/pgbackrest\n"], POSIX)
    assert proc.returncode == ExitCode.USAGE


# --- files that are not regular files, or too big ---------------------------------------------

@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


def test_not_regular_files_are_refused(fifo: Path, tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_bytes(b"x" * (env_sources.FILE_SIZE_CAP + 1))
    for path in (str(fifo), "/dev/zero", str(tmp_path), str(big)):
        with pytest.raises(OSError):
            env_sources.read_regular_file(path)
    exact = tmp_path / "exact"
    exact.write_bytes(b"y" * env_sources.FILE_SIZE_CAP)
    assert env_sources.read_regular_file(str(exact)) == exact.read_bytes()


@pytest.mark.parametrize("target", ["fifo", "/dev/zero"])
def test_a_secret_file_that_is_no_file_is_exit_78(target: str, fifo: Path, tmp_path: Path) -> None:
    path = str(fifo) if target == "fifo" else target
    env = {k: v for k, v in S3.items() if k != "AWS_SECRET_ACCESS_KEY"}
    result = generate(tmp_path / "o", {**env, "AWS_SECRET_ACCESS_KEY_FILE": path})
    assert result.exit_code is ExitCode.CONFIG
    assert ("AWS_SECRET_ACCESS_KEY_FILE", "file") in {(p.variable, p.code) for p in result.problems}
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("name", ["AWS_SECRET_ACCESS_KEY_FILE", "PGBACKREST_REPO1_S3_KEY_SECRET_FILE"])
def test_an_unreadable_secret_file_is_one_problem_not_also_a_missing_variable(name: str, tmp_path: Path) -> None:
    """The variable was set, through its file: "is required" as well would send the user looking
    for a setting they made."""
    env = {k: v for k, v in S3.items() if k != "AWS_SECRET_ACCESS_KEY"}
    result = generate(tmp_path / "o", {**env, name: str(tmp_path / "absent")})
    assert result.exit_code is ExitCode.CONFIG
    assert [(p.variable, p.code) for p in result.problems] == [(name, "file")]
    # Without the file variable the requirement is still reported.
    result = generate(tmp_path / "o", env)
    assert [(p.variable, p.code) for p in result.problems] == [("AWS_SECRET_ACCESS_KEY", "missing")]


def test_a_ca_file_that_is_a_fifo_is_exit_78(fifo: Path, tmp_path: Path) -> None:
    result = generate(tmp_path / "o", {**S3, "PGBACKREST_REPO1_STORAGE_CA_FILE": str(fifo)})
    assert result.exit_code is ExitCode.CONFIG
    assert [p.variable for p in result.problems] == ["PGBACKREST_REPO1_STORAGE_CA_FILE"]


def test_the_fast_path_never_opens_a_fifo(fifo: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    assert _run(_args(out), {**POSIX, "BACKUP_WEBHOOK_URL": "https://h.example.com/x"})[0] == 0
    code, _, path = _run(_args(out), {**POSIX, "BACKUP_WEBHOOK_URL_FILE": str(fifo)})
    assert (code, path) == (ExitCode.CONFIG, "PATH=full")


# --- the "unchanged" decision --------------------------------------------------------------------

def test_a_relative_secret_file_that_changed_is_not_unchanged(tmp_path: Path) -> None:
    out, secret = tmp_path / "o", tmp_path / "relsec"
    env = {k: v for k, v in S3.items() if k != "AWS_SECRET_ACCESS_KEY"}
    env["AWS_SECRET_ACCESS_KEY_FILE"] = "relsec"  # relative to the job's working directory
    secret.write_text("first/secret\n")

    def run() -> str:
        proc = subprocess.run([sys.executable, "-c", _ENTRY, *_args(out)], cwd=tmp_path,
                              env={**process_env(env), "PYTHONPATH": str(REPO_ROOT)},
                              capture_output=True, text=True, timeout=120)
        return proc.stdout

    assert "result: written" in run()
    assert "result: unchanged" in run()
    secret.write_text("rotated/secret\n")
    assert "generation 2" in run()


_ENTRY = ("import sys; from setup_service import entry; sys.argv = ['setup-service'] + sys.argv[1:]; "
          "sys.exit(entry.main())")


def test_another_owner_is_not_unchanged(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("chown to another owner needs root")
    out = tmp_path / "o"
    generate(out, POSIX, owner=publish.Owner(999, 999))
    result = generate(out, POSIX, owner=publish.Owner(1000, 1000))
    assert result.doc["result"] == "written"
    assert (out / "..data" / "conf.d" / "repo.conf").stat().st_uid == 1000


def test_a_deleted_published_file_is_republished(tmp_path: Path) -> None:
    out = tmp_path / "o"
    generate(out, POSIX)
    (out / "..data" / "conf.d" / "repo.conf").unlink()
    result = generate(out, POSIX)
    assert result.doc["result"] == "written"
    assert (out / "conf.d" / "repo.conf").is_file()
    assert generate(out, POSIX).doc["result"] == "unchanged"
    assert "conf.d/repo.conf" in tree(out)


def _full_pipe() -> tuple[int, int]:
    """A pipe whose buffer is full: a process writing to it blocks until the reader drains it."""
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    try:
        while True:
            os.write(write_end, b"x" * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(write_end, True)
    return read_end, write_end


def test_a_run_stalled_on_stdout_does_not_vouch_for_the_next_runs_generation(tmp_path: Path) -> None:
    """Run A publishes, releases the lock and blocks printing its report; run B publishes another
    configuration; A then records its fingerprint. A rerun with A's inputs must publish A's
    configuration again, not answer "unchanged" for B's."""
    out = tmp_path / "o"
    env_a, env_b = dict(POSIX), {**POSIX, "BACKUP_RETENTION_FULL": "2"}
    read_end, write_end = _full_pipe()
    stalled = subprocess.Popen([sys.executable, "-c", _ENTRY, *_args(out)], cwd=tmp_path, stdout=write_end,
                               env={**process_env(env_a), "PYTHONPATH": str(REPO_ROOT)})
    os.close(write_end)
    try:
        wchan = Path(f"/proc/{stalled.pid}/wchan")
        for _ in range(2400):  # A has published, released the lock and is blocked on its report
            if stalled.poll() is not None or "pipe_write" in wchan.read_text():
                break
            time.sleep(0.05)
        assert "pipe_write" in wchan.read_text() and "repo1-retention-full=7" in (out / "conf.d" / "repo.conf").read_text()
        code, stdout, _path = _run(_args(out), env_b)  # B publishes while A is stalled
        assert code == 0 and "generation 2" in stdout
    finally:
        with os.fdopen(read_end, "rb") as reader:
            reader.read()  # A goes on: prints, records its fingerprint, exits
        assert stalled.wait(timeout=120) == 0
    code, stdout, path = _run(_args(out), env_a)
    assert (code, path) == (0, "PATH=full") and "generation 3" in stdout, stdout
    assert "repo1-retention-full=7" in (out / "conf.d" / "repo.conf").read_text()


def test_dry_run_shows_that_only_a_secret_changed(tmp_path: Path) -> None:
    out = tmp_path / "o"
    generate(out, S3)
    result = generate(out, {**S3, "AWS_SECRET_ACCESS_KEY": "LEAKrotated/secret"}, dry_run=True)
    assert result.doc["changes_pending"] is True
    # The option that changed is named; its value is not (issue: "a secret value changed" said which not).
    assert "@@ repo1-s3-key-secret changed (<redacted>) @@" in result.diff and "LEAK" not in result.diff
    assert "b/conf.d/repo.conf" in result.diff
    both = generate(out, {**S3, "AWS_SECRET_ACCESS_KEY": "LEAK2", "AWS_ACCESS_KEY_ID": "LEAK3"}, dry_run=True)
    assert "@@ repo1-s3-key, repo1-s3-key-secret changed (<redacted>) @@" in both.diff and "LEAK" not in both.diff


def test_a_value_over_pgbackrests_line_limit_is_refused_by_name() -> None:
    outcome = check({**POSIX, "PGBACKREST_REPO1_PATH": "/" + "a" * 70000})
    assert keyed(errors_of(outcome)) == {("PGBACKREST_REPO1_PATH", "format", "error")}
    assert "line limit" in errors_of(outcome)[0].message


# --- the volume: nothing outside it is created, written or read; modes are explicit ------------

def test_a_planted_lock_symlink_is_not_followed(tmp_path: Path) -> None:
    out, outside = tmp_path / "o", tmp_path / "outside"
    out.mkdir()
    (out / ".lock").symlink_to(outside)
    result = generate(out, POSIX)
    assert result.exit_code is ExitCode.CANT_CREATE
    assert not outside.exists()


def test_a_planted_fingerprint_temporary_is_not_written_through(tmp_path: Path) -> None:
    from setup_service import fingerprint
    from tests.unit.support import app_request

    out, victim = tmp_path / "o", tmp_path / "victim"
    victim.write_text("keep me")
    request = app_request(out)
    result = generate(out, POSIX)
    (out / f".fingerprint.{os.getpid()}.tmp").symlink_to(victim)
    fingerprint.remember(request, POSIX, result.doc, result.published)
    assert victim.read_text() == "keep me"
    assert (out / ".fingerprint").is_file() and not (out / ".fingerprint").is_symlink()


def test_a_data_link_pointing_outside_is_never_read(tmp_path: Path) -> None:
    out, outside = tmp_path / "o", tmp_path / "outside"
    generate(out, POSIX)
    (outside / "conf.d").mkdir(parents=True)
    (outside / "pgbackrest.conf").write_text("LEAKoutside\n")
    os.unlink(out / "..data")
    (out / "..data").symlink_to(outside)
    result = generate(out, POSIX, dry_run=True)
    assert "LEAKoutside" not in result.diff
    assert publish.current_files(out) == {} and publish.current_status(out) is None


def test_a_failed_stage_is_removed_and_the_next_run_succeeds(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    out = tmp_path / "o"
    generate(out, POSIX)
    real_write = publish._write

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(publish, "_write", full_disk)
    for retention in ("3", "4", "5"):
        failed = generate(out, {**POSIX, "BACKUP_RETENTION_FULL": retention})
        assert failed.exit_code is ExitCode.CANT_CREATE
        assert [p.name for p in out.iterdir() if p.name.startswith(("..tmp-", "..gen-"))] == [
            os.readlink(out / "..data")]
    monkeypatch.setattr(publish, "_write", real_write)
    assert generate(out, {**POSIX, "BACKUP_RETENTION_FULL": "3"}).doc["result"] == "written"


@pytest.mark.parametrize("umask", [0o077, 0o000])
def test_modes_do_not_follow_the_umask(tmp_path: Path, umask: int) -> None:
    out = tmp_path / "o"
    old = os.umask(umask)
    try:
        generate(out, POSIX)
    finally:
        os.umask(old)
    data = out / os.readlink(out / "..data")
    modes = {p: (p.lstat().st_mode & 0o777) for p in (out, data, data / "conf.d", data / "files",
                                                      out / ".lock")}
    assert modes == {out: 0o755, data: 0o755, data / "conf.d": 0o755, data / "files": 0o755,
                     out / ".lock": 0o600}
