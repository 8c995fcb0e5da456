"""The console entry point: the fast path of an unchanged rerun, and the full command line otherwise."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from setup_service import entry
from tests.unit.support import POSIX, REPO_ROOT, S3, process_env

# Runs entry.main() as the console script does and reports on stderr whether click was imported,
# i.e. whether the full command line ran instead of the fast path.
_PROBE = ("import sys; from setup_service import entry; sys.argv = ['setup-service'] + sys.argv[1:]; "
          "code = entry.main(); print('PATH=' + ('full' if 'click' in sys.modules else 'fast'), "
          "file=sys.stderr); sys.exit(code)")


def _run(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-c", _PROBE, *args], cwd=REPO_ROOT, env=process_env(env),
                          capture_output=True, text=True, timeout=120)
    path = proc.stderr.strip().splitlines()[-1]
    return proc.returncode, proc.stdout, path


@pytest.mark.parametrize("argv, options", [
    (["generate"], {}),
    (["generate", "--output-dir", "/o", "--format=json"], {"--output-dir": "/o", "--format": "json"}),
    (["generate", "--env-file=.env", "--no-pgbackrest-check"], {"--env-file": ".env"}),
    (["generate", "--owner", "1:2", "--mount-path", "/m", "--pgbackrest-check"],
     {"--owner": "1:2", "--mount-path": "/m"}),
    (["generate", "--dry-run"], None),
    (["generate", "--debug"], None),
    (["generate", "--help"], None),
    (["generate", "-h"], None),
    (["generate", "extra"], None),
    (["validate"], None),
    (["schema", "s3"], None),
    ([], None),
])
def test_fast_path_args(argv: list[str], options: dict[str, str] | None) -> None:
    assert entry._fast_path_args(argv) == options


def _args(out: Path, *extra: str) -> list[str]:
    return ["generate", "--output-dir", str(out), "--no-pgbackrest-check", *extra]


def test_second_identical_generate_takes_the_fast_path(tmp_path: Path) -> None:
    out = tmp_path / "o"
    code, stdout, path = _run(_args(out), POSIX)
    assert (code, path) == (0, "PATH=full") and "result: written" in stdout
    code, stdout, path = _run(_args(out), POSIX)
    assert (code, path) == (0, "PATH=fast")
    assert stdout.strip() == f"result: unchanged; backups enabled: repo1=posix; stanza salespider; " \
                             f"generation 1; in {out}"


def test_fast_path_json(tmp_path: Path) -> None:
    out = tmp_path / "o"
    _run(_args(out, "--format", "json"), S3)
    code, stdout, path = _run(_args(out, "--format", "json"), S3)
    assert (code, path) == (0, "PATH=fast")
    doc = json.loads(stdout)
    assert (doc["result"], doc["generation"]) == ("unchanged", 1)
    assert S3["AWS_SECRET_ACCESS_KEY"] not in stdout


def test_fast_path_repeats_the_warnings(tmp_path: Path) -> None:
    out = tmp_path / "o"
    env = {**POSIX, "BACKUP_NOTES": "weekly"}
    _, first, _ = _run(_args(out), env)
    code, second, path = _run(_args(out), env)
    assert (code, path) == (0, "PATH=fast")
    assert "warning: BACKUP_NOTES (from environment)" in first
    assert "warning: BACKUP_NOTES (from environment)" in second


def test_changed_environment_value_invalidates_the_fast_path(tmp_path: Path) -> None:
    out = tmp_path / "o"
    _run(_args(out), POSIX)
    code, stdout, path = _run(_args(out), {**POSIX, "BACKUP_RETENTION_FULL": "3"})
    assert (code, path) == (0, "PATH=full")
    assert "result: written" in stdout and "generation 2" in stdout


def test_changed_value_with_the_same_output_is_unchanged_on_the_full_path(tmp_path: Path) -> None:
    out = tmp_path / "o"
    _run(_args(out), POSIX)
    code, stdout, path = _run(_args(out), {**POSIX, "BACKUP_RETENTION_FULL": "7"})  # the default
    assert (code, path) == (0, "PATH=full")
    assert "result: unchanged" in stdout


def test_changed_argument_invalidates_the_fast_path(tmp_path: Path) -> None:
    out = tmp_path / "o"
    _run(_args(out), POSIX)
    _, _, path = _run(_args(out, "--format", "json"), POSIX)
    assert path == "PATH=full"


def test_changed_referenced_file_invalidates_the_fast_path(tmp_path: Path) -> None:
    out, secret = tmp_path / "o", tmp_path / "aws-secret"
    secret.write_text("first-secret\n")
    env = {k: v for k, v in S3.items() if k != "AWS_SECRET_ACCESS_KEY"}
    env["AWS_SECRET_ACCESS_KEY_FILE"] = str(secret)
    assert _run(_args(out), env)[0] == 0
    assert _run(_args(out), env)[2] == "PATH=fast"
    secret.write_text("second-secret\n")
    code, stdout, path = _run(_args(out), env)
    assert (code, path) == (0, "PATH=full")
    assert "result: written" in stdout
    assert "second-secret" in (out / "conf.d" / "repo.conf").read_text()


def test_changed_env_file_invalidates_the_fast_path(tmp_path: Path) -> None:
    out, env_file = tmp_path / "o", tmp_path / ".env"
    env_file.write_text("PGBACKREST_REPO1_TYPE=posix\n")
    _run(_args(out, "--env-file", str(env_file)), {})
    assert _run(_args(out, "--env-file", str(env_file)), {})[2] == "PATH=fast"
    env_file.write_text("PGBACKREST_REPO1_TYPE=posix\nBACKUP_RETENTION_FULL=4\n")
    code, stdout, path = _run(_args(out, "--env-file", str(env_file)), {})
    assert (code, path) == (0, "PATH=full")
    assert "generation 2" in stdout


def test_republished_set_invalidates_the_fast_path(tmp_path: Path) -> None:
    out = tmp_path / "o"
    _run(_args(out), POSIX)
    _run(_args(out, "--format", "json"), {**POSIX, "BACKUP_RETENTION_FULL": "2"})  # another run publishes
    code, stdout, path = _run(_args(out), POSIX)
    assert (code, path) == (0, "PATH=full")
    assert "result: written" in stdout


def test_invalid_run_never_takes_the_fast_path(tmp_path: Path) -> None:
    out = tmp_path / "o"
    _run(_args(out), POSIX)
    code, _, path = _run(_args(out), {**POSIX, "BACKUP_RETENTION_FULL": "0"})
    assert (code, path) == (78, "PATH=full")


def test_fast_path_is_not_taken_when_a_top_level_link_is_missing(tmp_path: Path) -> None:
    """The fast path once printed 'unchanged' and left the set without its pgbackrest.conf link."""
    out = tmp_path / "o"
    _run(_args(out), POSIX)
    (out / "pgbackrest.conf").unlink()
    code, _, path = _run(_args(out), POSIX)
    assert code == 0
    assert (out / "pgbackrest.conf").is_file()
