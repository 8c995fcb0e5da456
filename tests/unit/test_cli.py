"""The command line: click's runner for output and codes, and real processes for real exit codes."""

from __future__ import annotations

import fcntl
import json
import os
import sys
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest
from click.testing import CliRunner

from setup_service import app, catalogue, cli, schema_check
from setup_service.exit_codes import ExitCode
from tests.unit.support import POSIX, S3, S3_SECRET, clean_environ, run_module


@pytest.fixture(autouse=True)
def _environ(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environ(monkeypatch)


def _invoke(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli.main, args, env=env or {}, catch_exceptions=False)
    return result.exit_code, result.output


def _gen(out: Path, *extra: str) -> list[str]:
    return ["generate", "--output-dir", str(out), "--no-pgbackrest-check", *extra]


# --- click runner --------------------------------------------------------------------------------

def test_generate_valid(tmp_path: Path) -> None:
    code, output = _invoke(_gen(tmp_path / "out"), POSIX)
    assert code == 0
    assert output.strip().endswith(f"in {tmp_path / 'out'}")
    assert "result: written" in output
    assert (tmp_path / "out" / "pgbackrest.conf").is_file()


def test_generate_json(tmp_path: Path) -> None:
    code, output = _invoke(_gen(tmp_path / "out", "--format", "json"), S3)
    doc = json.loads(output)
    assert (code, doc["result"], doc["repo_type"]) == (0, "written", "s3")
    assert S3_SECRET not in output


def test_generate_invalid_is_78_and_lists_every_problem(tmp_path: Path) -> None:
    env = {"PGBACKREST_REPO1_TYPE": "s3", "AWS_REGION": "Bad Region", "AWS_S3_BUCKT": "x"}
    code, output = _invoke(_gen(tmp_path / "out", "--format", "json"), env)
    doc = json.loads(output)
    assert (code, doc["result"]) == (78, "invalid")
    assert {(p["variable"], p["code"]) for p in doc["problems"]} == {
        ("AWS_REGION", "format"), ("AWS_S3_BUCKT", "unknown"), ("AWS_S3_BUCKET", "missing"),
        ("AWS_ACCESS_KEY_ID", "missing"), ("AWS_SECRET_ACCESS_KEY", "missing")}
    assert not (tmp_path / "out").exists()


def test_generate_with_output_dir_from_the_environment(tmp_path: Path) -> None:
    code, _ = _invoke(["generate", "--no-pgbackrest-check"], {**POSIX, "SETUP_OUTPUT_DIR": str(tmp_path / "o")})
    assert code == 0 and (tmp_path / "o" / "..data").is_dir()


def test_generate_with_a_held_lock_is_75(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, output = _invoke(_gen(out), POSIX)
    assert code == 75
    assert "--output-dir" in output and "holds" in output


def test_generate_into_an_unwritable_place_is_73(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _ = _invoke(_gen(blocker / "out"), POSIX)
    assert code == 73


def test_dry_run_prints_a_redacted_diff_and_writes_nothing(tmp_path: Path) -> None:
    code, output = _invoke(_gen(tmp_path / "out", "--dry-run"), S3)
    assert code == 0
    assert "+repo1-s3-key-secret=<redacted>" in output
    assert "+++ b/pgbackrest.conf" in output
    assert S3_SECRET not in output and S3["AWS_ACCESS_KEY_ID"] not in output
    assert "result: dry-run" in output
    assert not (tmp_path / "out").exists()


def test_internal_error_is_70_without_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object) -> app.Result:
        raise RuntimeError("boom")

    monkeypatch.setattr(app, "generate", broken)
    result = CliRunner().invoke(cli.main, _gen(tmp_path / "out"), env=POSIX)
    assert result.exit_code == 70
    assert "internal error: RuntimeError" in result.output
    assert "Traceback" not in result.output
    debug = CliRunner().invoke(cli.main, _gen(tmp_path / "out", "--debug"), env=POSIX)
    assert debug.exit_code == 70
    assert "Traceback" in debug.output and "boom" in debug.output


def test_validate_two_files(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.env", tmp_path / "bad.env"
    good.write_text("PGBACKREST_REPO1_TYPE=posix\n")
    bad.write_text("PGBACKREST_REPO1_TYPE=posix\nBACKUP_RETENTION_FULL=0\n")
    code, output = _invoke(["validate", "--no-pgbackrest-check", "--env-file", str(good), "--env-file", str(bad)])
    assert code == 78
    assert f"== {good}" in output and f"== {bad}" in output
    assert f"error: BACKUP_RETENTION_FULL (from .env file {bad})" in output
    code, output = _invoke(["validate", "--no-pgbackrest-check", "--format", "json",
                            "--env-file", str(good), "--env-file", str(bad)])
    doc = json.loads(output)  # several files: schemas/validate.json
    jsonschema.Draft202012Validator(schema_check.load_schema("validate")).validate(doc)
    assert (doc["result"], doc["exit_code"]) == ("invalid", 78)
    assert [(f["file"], f["exit_code"], f["status"]["result"]) for f in doc["files"]] == \
        [(str(good), 0, "valid"), (str(bad), 78, "invalid")]
    code, output = _invoke(["validate", "--no-pgbackrest-check", "--format", "json", str(bad)])
    doc = json.loads(output)  # one file: its status document
    jsonschema.Draft202012Validator(schema_check.load_schema("status")).validate(doc)
    assert (code, doc["result"], [p["variable"] for p in doc["problems"]]) == \
        (78, "invalid", ["BACKUP_RETENTION_FULL"])
    code, output = _invoke(["validate", "--no-pgbackrest-check", "--env-file", str(good)])
    assert (code, output.strip()) == (0, "result: valid; backups enabled: repo1=posix; stanza salespider")


def test_validate_github_format(tmp_path: Path) -> None:
    bad = tmp_path / "bad.env"
    diff = tmp_path / "diff"
    diff.write_text("many\n")
    bad.write_text("PGBACKREST_REPO1_TYPE=s3\n# the region\nAWS_REGION=eu-west-1\n\nAWS_S3_BUCKT=x\n"
                   f"export BACKUP_RETENTION_FULL=abc\nAWS_SECRET_ACCESS_KEY_FILE=/nonexistent\n"
                   f"BACKUP_RETENTION_DIFF_FILE={diff}\n")
    good = tmp_path / "good.env"
    good.write_text("PGBACKREST_REPO1_TYPE=posix\nBACKUP_RETENTION_FULL=2\n")
    code, output = _invoke(["validate", "--isolated", "--no-pgbackrest-check", "--format", "github", str(bad),
                            str(good)])
    assert code == 78
    lines = output.splitlines()
    annotations = {line.split("title=")[1].split("::")[0]: line.split("::")[1] for line in lines
                   if line.startswith("::")}
    assert annotations == {  # the line where each variable is written; a missing one: the file
        "AWS_S3_BUCKT": f"error file={bad},line=5,title=AWS_S3_BUCKT",
        "BACKUP_RETENTION_FULL": f"error file={bad},line=6,title=BACKUP_RETENTION_FULL",
        "AWS_SECRET_ACCESS_KEY_FILE": f"error file={bad},line=7,title=AWS_SECRET_ACCESS_KEY_FILE",
        # Not also "AWS_SECRET_ACCESS_KEY is required": it was set, through a file it could not read.
        "BACKUP_RETENTION_DIFF": f"error file={bad},line=8,title=BACKUP_RETENTION_DIFF",  # via its _FILE
        "AWS_S3_BUCKET": f"error file={bad},title=AWS_S3_BUCKET",
        "AWS_ACCESS_KEY_ID": f"error file={bad},title=AWS_ACCESS_KEY_ID",
    }
    assert [line for line in lines if not line.startswith("::")] == [
        f"{bad}: 6 error(s), 0 warning(s): nothing was written",
        f"{good}: result: valid; backups enabled: repo1=posix; stanza salespider"]


def test_validate_github_format_strict_annotates_a_warning(tmp_path: Path) -> None:
    """A warning is a `::warning` annotation at its line; --strict makes it fail the run (78)."""
    env_file = tmp_path / "prod.env"
    env_file.write_text("PGBACKREST_REPO1_TYPE=posix\nPGBACKREST_REPO1_PATH=/r\nBACKUP_NOTHING=1\n")
    args = ["validate", "--isolated", "--no-pgbackrest-check", "--format", "github", str(env_file)]
    for extra, exit_code in (([], 0), (["--strict"], 78)):
        code, output = _invoke([*args, *extra])
        annotations = [line for line in output.splitlines() if line.startswith("::")]
        assert (code, len(annotations)) == (exit_code, 1), output
        prefix = f"::warning file={env_file},line=3,title=BACKUP_NOTHING::"
        assert annotations[0].startswith(prefix), annotations
        assert annotations[0][len(prefix):].startswith("BACKUP_NOTHING is not used by the setup job")
    assert output.splitlines()[-1] == f"{env_file}: 0 error(s), 1 warning(s): nothing was written"


def test_validate_with_the_real_pgbackrest_check() -> None:
    code, output = _invoke(["validate", "--format", "json"], POSIX)
    doc = json.loads(output)
    assert code == 0
    assert doc["pgbackrest_check"]["result"] in ("passed", "skipped")


@pytest.mark.skipif(not __import__("shutil").which("pgbackrest"), reason="pgbackrest is not installed")
def test_validate_refused_by_the_real_pgbackrest() -> None:
    code, output = _invoke(["validate", "--format", "json"], {**POSIX, "PGBACKREST_REPO1_SYMLINK": "y"})
    doc = json.loads(output)
    assert (code, doc["result"], doc["pgbackrest_check"]["result"]) == (78, "invalid", "failed")
    assert [p["variable"] for p in doc["problems"]] == ["pgbackrest"]
    assert any("repo1-symlink" in m for m in doc["pgbackrest_check"]["messages"])


@pytest.mark.parametrize("name", [*catalogue.REPO_TYPES, "common", "status", "validate", "environment"])
def test_schema_prints_json(name: str) -> None:
    code, output = _invoke(["schema", name])
    assert code == 0
    assert json.loads(output) == schema_check.load_schema(name)


def test_schema_without_name_prints_the_environment_schema_of_every_type() -> None:
    code, output = _invoke(["schema"])
    schema = json.loads(output)
    assert (code, schema["$id"]) == (0, "urn:setup-service:schema:environment")
    assert set(schema["$defs"]) == {"common", *catalogue.REPO_TYPES}
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid(S3) and validator.is_valid(POSIX) and validator.is_valid({})
    assert not validator.is_valid({k: v for k, v in S3.items() if k != "AWS_S3_BUCKET"})


def test_help_documents_exit_codes() -> None:
    code, output = _invoke(["generate", "--help"])
    assert code == 0
    for exit_code in ExitCode:
        assert f"{exit_code.value:>3}  {exit_code.meaning}" in output


def _help_exit_codes(command: str) -> dict[int, str]:
    """The exit-code table of `COMMAND --help`: code -> meaning."""
    code, output = _invoke([command, "--help"])
    assert code == 0
    table = output.split("Exit codes:\n", 1)[1].strip().splitlines()
    return {int(line.split(None, 1)[0]): line.split(None, 1)[1] for line in table}


def test_validate_help_lists_only_the_exit_codes_validate_can_return() -> None:
    """validate never writes and takes no lock: 73 and 75 (generate's) cannot happen."""
    assert _help_exit_codes("validate") == {
        code.value: code.meaning for code in (ExitCode.OK, ExitCode.USAGE, ExitCode.INTERNAL, ExitCode.CONFIG)}
    assert _help_exit_codes("generate") == {code.value: code.meaning for code in ExitCode}


def test_validate_isolated_help_names_both_ways_of_giving_files() -> None:
    (isolated,) = [p for p in cli.validate.params if p.name == "isolated"]
    assert isolated.help and "FILE" in isolated.help and "--env-file" in isolated.help
    assert "only the --env-file files" not in isolated.help


@pytest.mark.parametrize("argv", [["generate", "--bogus"], ["frobnicate"], ["generate", "--owner", "abc"],
                                  ["generate", "--format", "xml"], ["schema", "bogus"]])
def test_usage_errors_are_64(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["setup-service", *argv])
    assert cli.run() == 64


@pytest.mark.parametrize("mount", ["/etc/pg backrest", "relative", "/x'y"])
def test_bad_mount_path_is_a_usage_error(tmp_path: Path, mount: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """It once reached the SetupConfig model and ended as exit 70 (pydantic.ValidationError)."""
    monkeypatch.setattr(sys, "argv", ["setup-service", *_gen(tmp_path / "out", "--mount-path", mount)])
    assert cli.run() == 64
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("mount", ["/etc/pgbackrest/", "/", "/etc//pgbackrest"])
def test_mount_path_never_gives_a_double_slash(tmp_path: Path, mount: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr(sys, "argv", ["setup-service", *_gen(out, "--mount-path", mount)])
    monkeypatch.setenv("PGBACKREST_REPO1_TYPE", "posix")
    code = cli.run()
    if code == 0:
        archive = (out / "postgresql-archive.conf").read_text()
        assert "//" not in archive.split("archive_command = ", 1)[1]
    else:
        assert code == 64


def test_bad_mount_path_from_the_environment_is_a_usage_error(tmp_path: Path) -> None:
    proc = run_module(_gen(tmp_path / "o"), {**POSIX, "SETUP_MOUNT_PATH": "/etc/pg backrest"})
    assert proc.returncode == 64


# --- real processes --------------------------------------------------------------------------------

def test_process_bad_option_is_64(tmp_path: Path) -> None:
    proc = run_module(["generate", "--output-dir", str(tmp_path / "o"), "--bogus"], POSIX)
    assert proc.returncode == 64
    assert "No such option" in proc.stderr + proc.stdout


def test_process_invalid_is_78(tmp_path: Path) -> None:
    proc = run_module(_gen(tmp_path / "o"), {**S3, "AWS_REGION": "Bad Region"})
    assert proc.returncode == 78
    assert "error: AWS_REGION (from environment)" in proc.stdout
    assert not (tmp_path / "o").exists()


def test_process_valid_is_0_with_the_real_check(tmp_path: Path) -> None:
    proc = run_module(["generate", "--output-dir", str(tmp_path / "o"), "--format", "json"], S3)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["result"] == "written"
    assert doc["pgbackrest_check"]["result"] in ("passed", "skipped")
    assert doc["warnings"] == []  # the controlled environment has no stray AWS_* variables


def test_process_validate_two_files(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.env", tmp_path / "bad.env"
    good.write_text("PGBACKREST_REPO1_TYPE=posix\n")
    bad.write_text("PGBACKREST_REPO1_TYPE=gcs\n")
    proc = run_module(["validate", "--env-file", str(good), "--env-file", str(bad)])
    assert proc.returncode == 78
    proc = run_module(["validate", "--env-file", str(good), "--env-file", str(good)])
    assert proc.returncode == 0


def test_process_schema_prints_valid_json() -> None:
    proc = run_module(["schema", "s3"])
    assert proc.returncode == 0
    schema = json.loads(proc.stdout)
    assert schema["$id"] == "urn:setup-service:schema:s3"
    assert {"anyOf": [{"required": ["AWS_S3_BUCKET"]}, {"required": ["PGBACKREST_REPO1_S3_BUCKET"]},
                      {"required": ["PGBACKREST_REPO_S3_BUCKET"]}]} in schema["allOf"]


def test_process_dry_run(tmp_path: Path) -> None:
    proc = run_module(_gen(tmp_path / "o", "--dry-run"), S3)
    assert proc.returncode == 0
    assert "+repo1-s3-key-secret=<redacted>" in proc.stdout
    assert S3_SECRET not in proc.stdout + proc.stderr
    assert not (tmp_path / "o").exists()


def test_process_held_lock_is_75(tmp_path: Path) -> None:
    out = tmp_path / "o"
    out.mkdir()
    with open(out / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        proc = run_module(_gen(out), POSIX)
    assert proc.returncode == 75


def test_process_unwritable_output_is_73(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    proc = run_module(_gen(tmp_path / "file" / "o"), POSIX)
    assert proc.returncode == 73


def test_process_environment_wins_over_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PGBACKREST_REPO1_TYPE=posix\nPGBACKREST_STANZA=fromfile\n")
    proc = run_module(_gen(tmp_path / "o", "--env-file", str(env_file), "--format", "json"),
                      {"PGBACKREST_STANZA": "fromenv"})
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["stanza"] == "fromenv"


def test_process_value_that_is_not_utf8_is_invalid(tmp_path: Path) -> None:
    """It once passed validation and failed in render() with UnicodeEncodeError (exit 70)."""
    import subprocess

    env = {b"PATH": os.environb[b"PATH"], b"PYTHONPATH": str(Path(cli.__file__).parents[1]).encode(),
           b"PGBACKREST_REPO1_TYPE": b"posix", b"PGBACKREST_REPO1_PATH": b"/backup/caf\xe9"}
    proc = subprocess.run([sys.executable, "-m", "setup_service", *_gen(tmp_path / "o")], env=env,
                          capture_output=True, timeout=60)
    assert proc.returncode == 78


def test_process_env_file_that_is_not_utf8(tmp_path: Path) -> None:
    """It once ended as exit 70 (UnicodeDecodeError)."""
    env_file = tmp_path / "latin1.env"
    env_file.write_bytes(b"PGBACKREST_REPO1_TYPE=posix\nPGBACKREST_STANZA=caf\xe9\n")
    proc = run_module(["validate", "--env-file", str(env_file)])
    assert proc.returncode in (64, 78)


def test_validate_isolated_reads_only_the_files(tmp_path: Path) -> None:
    env_file = tmp_path / "prod.env"
    env_file.write_text("PGBACKREST_REPO1_TYPE=posix\nPGBACKREST_REPO1_PATH=/r\n")
    runner_env = {"PGBACKREST_REPO1_PATH": "relative", "BACKUP_RETENTION_FULL": "x"}
    assert run_module(["validate", "--env-file", str(env_file)], runner_env).returncode == 78
    isolated = run_module(["validate", "--isolated", "--env-file", str(env_file)], runner_env)
    assert isolated.returncode == 0, isolated.stdout + isolated.stderr


def test_validate_strict_fails_on_a_warning(tmp_path: Path) -> None:
    env_file = tmp_path / "prod.env"
    env_file.write_text("PGBACKREST_REPO1_TYPE=posix\nPGBACKREST_REPO1_PATH=/r\nBACKUP_NOTHING=1\n")
    assert run_module(["validate", "--isolated", "--env-file", str(env_file)]).returncode == 0
    strict = run_module(["validate", "--isolated", "--strict", "--env-file", str(env_file)])
    assert strict.returncode == 78 and "BACKUP_NOTHING" in strict.stdout


def test_the_sdks_own_variables_are_not_warned_about(tmp_path: Path) -> None:
    env_file = tmp_path / "prod.env"
    env_file.write_text("PGBACKREST_REPO1_TYPE=posix\nPGBACKREST_REPO1_PATH=/r\n")
    sdk = {"AWS_CA_BUNDLE": "/etc/ssl/ca.pem", "AWS_PROFILE": "ci", "AWS_DEFAULT_REGION": "eu-west-1"}
    result = run_module(["validate", "--strict", "--env-file", str(env_file)], sdk)
    assert result.returncode == 0, result.stdout


def test_validate_with_a_pattern_that_matches_nothing_is_64(tmp_path: Path) -> None:
    """docs/ci.md: an unexpanded `deploy/*.env` (no file matches) is passed as it is and fails
    with exit 64, so a moved file is noticed; a positional FILE as --isolated's only file."""
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "prod.env.bak").write_text("PGBACKREST_REPO1_TYPE=posix\n")
    proc = run_module(["validate", "--isolated", "--no-pgbackrest-check", "--format", "json",
                       "deploy/*.env"], cwd=tmp_path)
    doc = json.loads(proc.stdout)
    assert (proc.returncode, doc["result"]) == (64, "invalid"), proc.stdout + proc.stderr
    assert [(p["variable"], p["code"], p["message"]) for p in doc["problems"]] == [
        ("FILE", "usage", "deploy/*.env is not a readable file")]  # named as it was given
    proc = run_module(["validate", "--isolated", "--no-pgbackrest-check", "--format", "json",
                       "--env-file", "deploy/*.env"], cwd=tmp_path)
    assert [p["variable"] for p in json.loads(proc.stdout)["problems"]] == ["--env-file"]


def test_validate_isolated_without_a_file_is_a_usage_error() -> None:
    assert cli.run.__doc__  # the console script maps click's usage errors to 64
    result = CliRunner().invoke(cli.main, ["validate", "--isolated"], env=POSIX)
    assert result.exit_code == 2 and "name at least one" in result.output
    proc = run_module(["validate", "--isolated"], POSIX)
    assert proc.returncode == 64 and "name at least one" in proc.stderr + proc.stdout
