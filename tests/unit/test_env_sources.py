"""Reading the environment: process environment over .env, empty = unset, NAME_FILE secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from setup_service import env_sources
from setup_service.env_sources import Setting
from setup_service.exit_codes import ExitCode
from setup_service.problems import Severity


def _write_env(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "test.env"
    path.write_text(text)
    return path


def test_process_environment_wins_over_env_file(tmp_path: Path) -> None:
    env_file = _write_env(tmp_path, "AWS_S3_BUCKET=from-file\nAWS_REGION=eu-west-1\n")
    settings, problems = env_sources.read_environment({"AWS_S3_BUCKET": "from-env"}, env_file)
    assert problems == []
    assert settings["AWS_S3_BUCKET"] == Setting("from-env", "environment")
    assert settings["AWS_REGION"] == Setting("eu-west-1", f".env file {env_file}")


def test_only_owned_names_are_read(tmp_path: Path) -> None:
    env_file = _write_env(tmp_path, "COMPOSE_PROJECT_NAME=x\nBACKUP_SCHEDULE_FULL=0 3 * * 0\n")
    settings, _ = env_sources.read_environment({"PATH": "/bin", "HOME": "/root", "LANG": "C"},
                                               env_file)
    assert set(settings) == {"BACKUP_SCHEDULE_FULL"}


def test_empty_values_count_as_unset(tmp_path: Path) -> None:
    env_file = _write_env(tmp_path, "AWS_S3_BUCKET=\nAWS_REGION=\nGCS_BUCKET=bucket\n")
    settings, problems = env_sources.read_environment({"PGBACKREST_REPO1_TYPE": ""}, env_file)
    assert problems == []
    assert set(settings) == {"GCS_BUCKET"}


def test_empty_process_value_hides_the_env_file_value(tmp_path: Path) -> None:
    """The process environment wins even when it is empty, and empty means unset."""
    env_file = _write_env(tmp_path, "AWS_S3_BUCKET=from-file\n")
    settings, _ = env_sources.read_environment({"AWS_S3_BUCKET": ""}, env_file)
    assert "AWS_S3_BUCKET" not in settings


def test_missing_env_file_is_a_usage_problem(tmp_path: Path) -> None:
    settings, problems = env_sources.read_environment({}, tmp_path / "absent.env")
    assert settings == {}
    assert [(p.variable, p.code, p.exit_code) for p in problems] == \
        [("--env-file", "usage", ExitCode.USAGE)]


def test_env_file_that_is_not_utf8_is_a_problem(tmp_path: Path) -> None:
    """It once raised UnicodeDecodeError (exit 70)."""
    env_file = tmp_path / "latin1.env"
    env_file.write_bytes(b"PGBACKREST_REPO1_TYPE=posix\nPGBACKREST_REPO1_PATH=/caf\xe9\n")
    _, problems = env_sources.read_environment({}, env_file)
    assert [p.variable for p in problems] == ["--env-file"]


@pytest.mark.parametrize("content, expected", [
    ("s3cret\n", "s3cret"),
    ("s3cret\r\n", "s3cret"),
    ("s3cret", "s3cret"),
    ("s3cret\n\n", "s3cret\n"),  # only the one trailing newline an editor adds
    ("two\nlines\n", "two\nlines"),  # kept, so that validation rejects it
])
def test_name_file_is_read_with_the_trailing_newline_stripped(tmp_path: Path, content: str,
                                                               expected: str) -> None:
    secret = tmp_path / "secret"
    secret.write_bytes(content.encode())
    settings, problems = env_sources.resolve_files(
        {"AWS_SECRET_ACCESS_KEY_FILE": Setting(str(secret), "environment")})
    assert problems == []
    assert settings == {"AWS_SECRET_ACCESS_KEY": Setting(
        expected, f"file {secret} (AWS_SECRET_ACCESS_KEY_FILE)")}


def test_name_and_name_file_both_set_is_a_conflict(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    settings, problems = env_sources.resolve_files({
        "AWS_SECRET_ACCESS_KEY": Setting("direct", "environment"),
        "AWS_SECRET_ACCESS_KEY_FILE": Setting(str(secret), "environment"),
    })
    assert [(p.variable, p.code, p.severity) for p in problems] == \
        [("AWS_SECRET_ACCESS_KEY", "conflict", Severity.ERROR)]
    assert "AWS_SECRET_ACCESS_KEY_FILE" in problems[0].hint
    assert "direct" not in problems[0].message + problems[0].hint
    assert "from-file" not in problems[0].message + problems[0].hint


def test_name_file_with_empty_name_uses_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    settings, problems = env_sources.resolve_files({
        "AWS_SECRET_ACCESS_KEY": Setting("", "environment"),
        "AWS_SECRET_ACCESS_KEY_FILE": Setting(str(secret), "environment"),
    })
    assert problems == []
    assert settings["AWS_SECRET_ACCESS_KEY"].value == "from-file"


def test_name_file_that_does_not_exist(tmp_path: Path) -> None:
    settings, problems = env_sources.resolve_files(
        {"AZURE_STORAGE_KEY_FILE": Setting(str(tmp_path / "absent"), ".env file x")})
    assert settings == {}
    assert [(p.variable, p.code, p.source) for p in problems] == \
        [("AZURE_STORAGE_KEY_FILE", "file", ".env file x")]
    assert "AZURE_STORAGE_KEY" in problems[0].hint


def test_name_file_that_is_not_utf8(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_bytes(b"\xff\xfe\x00")
    _, problems = env_sources.resolve_files({"DATABASE_URL_FILE": Setting(str(secret), "environment")})
    assert [(p.variable, p.code) for p in problems] == [("DATABASE_URL_FILE", "file")]


def test_empty_name_file_and_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    settings, problems = env_sources.resolve_files({
        "AWS_ACCESS_KEY_ID_FILE": Setting("", "environment"),
        "AWS_SECRET_ACCESS_KEY_FILE": Setting(str(empty), "environment"),
    })
    assert (settings, problems) == ({}, [])


@pytest.mark.parametrize("name, target", [
    ("AWS_SECRET_ACCESS_KEY_FILE", "AWS_SECRET_ACCESS_KEY"),
    ("GCS_KEY_FILE", "GCS_KEY"),
    ("PGBACKREST_REPO2_CIPHER_PASS_FILE", "PGBACKREST_REPO2_CIPHER_PASS"),
    ("PGBACKREST_REPO1_STORAGE_CA_FILE", None),  # a pgBackRest option of its own
    ("PGBACKREST_TLS_SERVER_KEY_FILE", None),
    ("AWS_S3_BUCKT_FILE", None),
    ("AWS_S3_BUCKET", None),
])
def test_file_target(name: str, target: str | None) -> None:
    assert env_sources.file_target(name) == target


def test_file_option_is_kept_as_a_path() -> None:
    settings, problems = env_sources.resolve_files(
        {"PGBACKREST_REPO1_STORAGE_CA_FILE": Setting("/certs/ca.pem", "environment")})
    assert problems == []
    assert settings == {"PGBACKREST_REPO1_STORAGE_CA_FILE": Setting("/certs/ca.pem", "environment")}


def test_env_file_values_keep_quotes_semantics(tmp_path: Path) -> None:
    env_file = _write_env(tmp_path, 'BACKUP_SCHEDULE_FULL="0 3 * * 0"\n# comment\n'
                                    "export BACKUP_RETENTION_FULL=5\nDATABASE_URL='postgresql://a@b/c'\n")
    settings, _ = env_sources.read_environment({}, env_file)
    assert {k: s.value for k, s in settings.items()} == {
        "BACKUP_SCHEDULE_FULL": "0 3 * * 0", "BACKUP_RETENTION_FULL": "5",
        "DATABASE_URL": "postgresql://a@b/c"}


def test_env_file_value_with_dollar_is_not_interpolated(tmp_path: Path) -> None:
    env_file = _write_env(tmp_path, "AWS_SECRET_ACCESS_KEY=ab$HOME\n")
    settings, _ = env_sources.read_environment({"HOME": "/root"}, env_file)
    assert settings["AWS_SECRET_ACCESS_KEY"].value == "ab$HOME"


def test_an_unterminated_quote_is_an_error_naming_the_file_and_line(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text('PGBACKREST_REPO1_TYPE=posix\nAWS_SECRET_ACCESS_KEY="LEAKunterminated\n'
                        "BACKUP_RETENTION_FULL=5\n")
    settings, problems = env_sources.read_environment({}, env_file)
    assert [(p.variable, p.code, p.severity.value) for p in problems] == [
        ("AWS_SECRET_ACCESS_KEY", "format", "error")]
    assert f"line 2 of {env_file}" in problems[0].message
    assert "LEAK" not in problems[0].message + problems[0].hint
    assert settings["BACKUP_RETENTION_FULL"].value == "5"
