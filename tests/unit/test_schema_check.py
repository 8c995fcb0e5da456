"""The per-type JSON Schema applied to the environment; messages never quote a secret."""

from __future__ import annotations

import pytest

from setup_service import catalogue, schema_check
from tests.unit.support import AZURE, GCS, POSIX, S3, settings


def _keys(repo_type: str, env: dict[str, str]) -> set[tuple[str, str]]:
    return {(p.variable, p.code) for p in schema_check.check(repo_type, settings(env))}


@pytest.mark.parametrize("repo_type, env", [("posix", POSIX), ("s3", S3), ("azure", AZURE),
                                            ("gcs", GCS), ("none", {})])
def test_valid_environment_passes_its_schema(repo_type: str, env: dict[str, str]) -> None:
    assert schema_check.check(repo_type, settings(env)) == []


def test_required_variables_of_a_type() -> None:
    assert _keys("s3", {"PGBACKREST_REPO1_TYPE": "s3"}) == {
        ("AWS_S3_BUCKET", "missing"), ("AWS_REGION", "missing"), ("AWS_ACCESS_KEY_ID", "missing"),
        ("AWS_SECRET_ACCESS_KEY", "missing")}


def test_missing_hint_has_an_example_unless_secret() -> None:
    problems = {p.variable: p for p in schema_check.check("s3", settings({"PGBACKREST_REPO1_TYPE": "s3"}))}
    assert problems["AWS_S3_BUCKET"].hint == ("set AWS_S3_BUCKET, e.g. AWS_S3_BUCKET=your-backup-bucket"
                                              " (or pgBackRest's own name, PGBACKREST_REPO1_S3_BUCKET)")
    assert problems["AWS_SECRET_ACCESS_KEY"].hint == ("set AWS_SECRET_ACCESS_KEY (or pgBackRest's "
                                                      "own name, PGBACKREST_REPO1_S3_KEY_SECRET)")


def test_pattern_error_quotes_plain_values_and_hides_secrets() -> None:
    problems = {p.variable: p for p in schema_check.check("azure", settings(
        {**AZURE, "AZURE_STORAGE_ACCOUNT": "Bad_Account", "AZURE_STORAGE_CONTAINER": "Bad_Container"}))}
    assert "'Bad_Container'" in problems["AZURE_STORAGE_CONTAINER"].message
    assert "Bad_Account" not in problems["AZURE_STORAGE_ACCOUNT"].message  # secret in the catalogue
    assert problems["AZURE_STORAGE_ACCOUNT"].code == "format"
    assert problems["AZURE_STORAGE_ACCOUNT"].hint == "use " + catalogue.BY_NAME["AZURE_STORAGE_ACCOUNT"].form


def test_generic_option_forms() -> None:
    problems = {p.variable: p for p in schema_check.check("posix", settings(
        {**POSIX, "PGBACKREST_START_FAST": "perhaps", "PGBACKREST_LOG_PATH": "relative",
         "PGBACKREST_COMPRESS_TYPE": "rar", "PGBACKREST_REPO2_CIPHER_TYPE": "rot13"}))}
    assert (problems["PGBACKREST_START_FAST"].code, problems["PGBACKREST_START_FAST"].hint) == \
        ("format", "use y or n (true/false also accepted)")
    assert problems["PGBACKREST_LOG_PATH"].hint == "use an absolute path"
    assert problems["PGBACKREST_COMPRESS_TYPE"].code == "invalid"
    assert "lz4" in problems["PGBACKREST_COMPRESS_TYPE"].hint


def test_secret_friendly_variable_is_not_quoted() -> None:
    problems = schema_check.check("posix", settings({**POSIX, "DATABASE_URL": "mysql://u:s3cr3t@h/db"}))
    assert [(p.variable, p.code) for p in problems] == [("DATABASE_URL", "format")]
    assert "s3cr3t" not in problems[0].message + problems[0].hint


def test_type_mismatch_is_reported() -> None:
    assert ("PGBACKREST_REPO1_TYPE", "invalid") in _keys("s3", {**POSIX})


def test_source_is_kept() -> None:
    [problem] = schema_check.check("posix", {**settings(POSIX),
                                             **settings({"BACKUP_RETENTION_FULL": "x"}, ".env file e")})
    assert (problem.variable, problem.source) == ("BACKUP_RETENTION_FULL", ".env file e")
