"""The pure core end to end: an environment in, a SetupConfig or every problem out."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from setup_service import render
from setup_service import catalogue, option_table
from setup_service.env_sources import Setting
from setup_service.problems import Severity
from setup_service.validate import validate
from tests.unit.support import (AZURE, GCS, GCS_KEY, GCS_KEY_BYTES, GCS_KEY_PATH, MOUNT, POSIX, S3, check, errors_of,
                                keyed, only, reader, rendered_options, repo_options, warnings_of)


def _error_keys(env: dict[str, str], **kwargs: object) -> set[tuple[str, str, str]]:
    outcome = check(env, **kwargs)  # type: ignore[arg-type]
    assert outcome.config is None
    return keyed(errors_of(outcome))


@pytest.mark.parametrize("name, env", [
    ("posix", POSIX), ("s3", S3), ("azure", AZURE), ("gcs", GCS), ("none", {}),
])
def test_valid_environments(name: str, env: dict[str, str]) -> None:
    outcome = check(env)
    assert errors_of(outcome) == [] and warnings_of(outcome) == []
    config = outcome.config
    assert config is not None
    assert config.repo_type == name
    assert config.backups_enabled is (name != "none")
    assert [r.type for r in config.repositories] == ([] if name == "none" else [name])
    assert config.stanza == "salespider"


# --- S3 -----------------------------------------------------------------------------------------

def test_s3_without_bucket() -> None:
    env = {k: v for k, v in S3.items() if k != "AWS_S3_BUCKET"}
    outcome = check(env)
    assert keyed(errors_of(outcome)) == {("AWS_S3_BUCKET", "missing", "error")}
    assert only(outcome.problems, "AWS_S3_BUCKET")[0].hint.startswith("set AWS_S3_BUCKET")


def test_s3_with_empty_bucket_counts_as_unset() -> None:
    assert _error_keys({**S3, "AWS_S3_BUCKET": ""}) == {("AWS_S3_BUCKET", "missing", "error")}


def test_invalid_region_form() -> None:
    outcome = check({**S3, "AWS_REGION": "Bad Region"})
    assert keyed(errors_of(outcome)) == {("AWS_REGION", "format", "error")}
    assert only(outcome.problems, "AWS_REGION")[0].source == "environment"


def test_region_that_is_not_aws_needs_an_endpoint() -> None:
    assert _error_keys({**S3, "AWS_REGION": "garage"}) == {("AWS_REGION", "format", "error")}
    outcome = check({**S3, "AWS_REGION": "garage", "AWS_S3_ENDPOINT": "garage.internal"})
    assert repo_options(outcome, 1)["repo1-s3-endpoint"] == "garage.internal"
    assert repo_options(outcome, 1)["repo1-s3-region"] == "garage"


def test_http_endpoint_is_a_tls_only_error() -> None:
    outcome = check({**S3, "AWS_S3_ENDPOINT": "http://minio.local:9000"})
    assert keyed(errors_of(outcome)) == {("AWS_S3_ENDPOINT", "format", "error")}
    problem = only(outcome.problems, "AWS_S3_ENDPOINT")[0]
    assert "TLS only" in problem.message
    assert "https://" in problem.hint


@pytest.mark.parametrize("endpoint, host, port", [
    ("minio.local", "minio.local", None),
    ("https://minio.local:9000", "minio.local", "9000"),
    ("minio.local:9000", "minio.local", "9000"),
    ("https://minio.local", "minio.local", None),
])
def test_endpoint_maps_to_host_and_port(endpoint: str, host: str, port: str | None) -> None:
    options = repo_options(check({**S3, "AWS_S3_ENDPOINT": endpoint}), 1)
    assert options["repo1-s3-endpoint"] == host
    assert options.get("repo1-storage-port") == port


def test_endpoint_port_disagreeing_with_storage_port() -> None:
    env = {**S3, "AWS_S3_ENDPOINT": "https://minio.local:9000", "PGBACKREST_REPO1_STORAGE_PORT": "9001"}
    assert _error_keys(env) == {("PGBACKREST_REPO1_STORAGE_PORT", "conflict", "error")}
    same = {**env, "PGBACKREST_REPO1_STORAGE_PORT": "9000"}
    assert repo_options(check(same), 1)["repo1-storage-port"] == "9000"


def test_default_endpoint_from_region() -> None:
    options = repo_options(check(S3), 1)
    assert options["repo1-s3-endpoint"] == "s3.eu-west-1.amazonaws.com"
    assert "repo1-storage-port" not in options


def test_s3_credentials_rendered_and_secret() -> None:
    outcome = check({**S3, "AWS_SESSION_TOKEN": "session-token-value"})
    options = repo_options(outcome, 1)
    assert options["repo1-s3-key"] == S3["AWS_ACCESS_KEY_ID"]
    assert options["repo1-s3-key-secret"] == S3["AWS_SECRET_ACCESS_KEY"]
    assert options["repo1-s3-token"] == "session-token-value"
    assert outcome.config is not None
    assert all(render.is_secret_key(k) for k in ("repo1-s3-key", "repo1-s3-key-secret", "repo1-s3-token"))


# --- Azure and GCS ------------------------------------------------------------------------------

def test_azure_key_that_is_not_base64() -> None:
    outcome = check({**AZURE, "AZURE_STORAGE_KEY": "not-base64!!"})
    assert keyed(errors_of(outcome)) == {("AZURE_STORAGE_KEY", "format", "error")}
    assert "sas" in only(outcome.problems, "AZURE_STORAGE_KEY")[0].hint


def test_azure_sas_token_is_not_checked_as_base64() -> None:
    env = {**AZURE, "AZURE_STORAGE_KEY": "sv=2022-11-02&sig=abc%2F", "PGBACKREST_REPO1_AZURE_KEY_TYPE": "sas"}
    options = repo_options(check(env), 1)
    assert options["repo1-azure-key-type"] == "sas"


def test_gcs_key_file_that_does_not_exist() -> None:
    outcome = check(GCS, files={})
    assert keyed(errors_of(outcome)) == {("GCS_KEY", "file", "error")}
    assert "does not exist" in only(outcome.problems, "GCS_KEY")[0].message


@pytest.mark.parametrize("content", [b"{}", b"not json", json.dumps({"type": "authorized_user"}).encode()])
def test_gcs_key_file_that_is_not_a_service_account(content: bytes) -> None:
    outcome = check(GCS, files={GCS_KEY_PATH: content})
    assert keyed(errors_of(outcome)) == {("GCS_KEY", "file", "error")}
    assert "service-account" in only(outcome.problems, "GCS_KEY")[0].message


def test_gcs_key_file_is_published_under_files() -> None:
    outcome = check(GCS)
    assert outcome.config is not None
    assert repo_options(outcome, 1)["repo1-gcs-key"] == f"{MOUNT}/files/repo1-gcs-key.json"
    [published] = outcome.config.files
    assert (published.name, published.secret, published.variable) == ("repo1-gcs-key.json", True, "GCS_KEY")
    assert json.loads(published.content) == GCS_KEY


def test_read_file_is_the_only_file_access() -> None:
    calls: list[str] = []

    def read_file(path: str) -> bytes:
        calls.append(path)
        return reader()(path)

    settings = {k: Setting(v, "environment") for k, v in GCS.items()}
    outcome = validate(settings, mount_path=MOUNT, read_file=read_file)
    assert outcome.config is not None
    assert calls == [GCS_KEY_PATH]


def test_gcs_token_key_type_takes_the_token_itself() -> None:
    env = {**GCS, "GCS_KEY": "ya29.token", "PGBACKREST_REPO1_GCS_KEY_TYPE": "token"}
    outcome = check(env, files={})
    assert repo_options(outcome, 1)["repo1-gcs-key"] == "ya29.token"
    assert outcome.config is not None and outcome.config.files == []


def test_ca_file_is_copied_and_not_secret() -> None:
    outcome = check({**S3, "PGBACKREST_REPO1_STORAGE_CA_FILE": "/certs/ca.pem"})
    assert outcome.config is not None
    assert repo_options(outcome, 1)["repo1-storage-ca-file"] == f"{MOUNT}/files/repo1-storage-ca-file.pem"
    assert [(f.name, f.secret) for f in outcome.config.files] == [("repo1-storage-ca-file.pem", False)]


# --- retention, schedules, webhook, limits -------------------------------------------------------

@pytest.mark.parametrize("name", ["BACKUP_RETENTION_FULL", "BACKUP_RETENTION_DIFF"])
@pytest.mark.parametrize("value", ["0", "abc", "-1", "1.5"])
def test_bad_retention(name: str, value: str) -> None:
    outcome = check({**POSIX, name: value})
    assert keyed(errors_of(outcome)) == {(name, "format", "error")}


def test_retention_applies_to_every_repository_unless_overridden() -> None:
    env = {**POSIX, "BACKUP_RETENTION_FULL": "2", "PGBACKREST_REPO2_TYPE": "posix",
           "PGBACKREST_REPO2_PATH": "/backup2", "PGBACKREST_REPO2_RETENTION_FULL": "9"}
    outcome = check(env)
    assert repo_options(outcome, 1)["repo1-retention-full"] == "2"
    assert repo_options(outcome, 2)["repo2-retention-full"] == "9"
    assert repo_options(outcome, 1)["repo1-retention-diff"] == "3"
    assert repo_options(outcome, 2)["repo2-retention-diff"] == "3"


@pytest.mark.parametrize("name, value", [
    ("BACKUP_SCHEDULE_FULL", "61 2 * * 0"), ("BACKUP_SCHEDULE_FULL", "every sunday"),
    ("BACKUP_SCHEDULE_DIFF", "0 2 * * 8"), ("BACKUP_SCHEDULE_INCR", "0 2 * *"),
    ("BACKUP_SCHEDULE_INCR", "@reboot"), ("BACKUP_SCHEDULE_FULL", "0 2 5-1 * *"),
])
def test_bad_cron_expression(name: str, value: str) -> None:
    outcome = check({**POSIX, name: value})
    assert keyed(errors_of(outcome)) == {(name, "format", "error")}


def test_diff_schedule_derived_from_the_default_full_schedule() -> None:
    outcome = check(POSIX)
    assert outcome.config is not None
    assert outcome.config.schedules == {"full": "0 2 * * 0", "diff": "0 2 * * 1-6"}


def test_diff_schedule_derived_from_a_custom_full_schedule() -> None:
    outcome = check({**POSIX, "BACKUP_SCHEDULE_FULL": "30 3 * * 1,4", "BACKUP_SCHEDULE_INCR": "0 */6 * * *"})
    assert outcome.config is not None
    assert outcome.config.schedules == {"full": "30 3 * * 1,4", "diff": "30 3 * * 0,2,3,5,6",
                                        "incr": "0 */6 * * *"}


def test_explicit_diff_schedule_is_kept() -> None:
    outcome = check({**POSIX, "BACKUP_SCHEDULE_DIFF": "0 4 * * 3"})
    assert outcome.config is not None and outcome.config.schedules["diff"] == "0 4 * * 3"


def test_monthly_full_schedule_has_no_derived_diff() -> None:
    outcome = check({**POSIX, "BACKUP_SCHEDULE_FULL": "0 2 1 * *"})
    assert outcome.config is not None and "diff" not in outcome.config.schedules
    assert keyed(warnings_of(outcome)) == {("BACKUP_SCHEDULE_DIFF", "missing", "warning")}


@pytest.mark.parametrize("url", ["ftp://hooks.example.com/x", "hooks.example.com/x", "https://",
                                 "javascript:alert(1)", "file:///etc/passwd"])
def test_webhook_url_must_be_http(url: str) -> None:
    outcome = check({**POSIX, "BACKUP_WEBHOOK_URL": url})
    assert keyed(errors_of(outcome)) == {("BACKUP_WEBHOOK_URL", "format", "error")}
    assert all(url not in p.message for p in outcome.problems)  # a secret: never quoted


def test_webhook_url_http_and_https_accepted() -> None:
    for url in ("http://hooks.internal:8080/backup", "https://hooks.example.com/x?token=1"):
        assert errors_of(check({**POSIX, "BACKUP_WEBHOOK_URL": url})) == []


@pytest.mark.parametrize("env, variable", [
    ({"BACKUP_MEMORY_LIMIT": "512M", "BACKUP_MEMORY_RESERVATION": "1G"}, "BACKUP_MEMORY_RESERVATION"),
    ({"BACKUP_CPU_LIMIT": "0.5", "BACKUP_CPU_RESERVATION": "1"}, "BACKUP_CPU_RESERVATION"),
])
def test_reservation_above_limit(env: dict[str, str], variable: str) -> None:
    outcome = check({**POSIX, **env})
    assert keyed(errors_of(outcome)) == {(variable, "conflict", "error")}


def test_limits_within_bounds() -> None:
    env = {**POSIX, "BACKUP_MEMORY_LIMIT": "1g", "BACKUP_MEMORY_RESERVATION": "1024m",
           "BACKUP_CPU_LIMIT": "2", "BACKUP_CPU_RESERVATION": "0.25"}
    assert errors_of(check(env)) == []


@pytest.mark.parametrize("name, value", [("BACKUP_CPU_LIMIT", "0"), ("BACKUP_MEMORY_LIMIT", "lots"),
                                         ("BACKUP_CPU_RESERVATION", "-1")])
def test_bad_limit(name: str, value: str) -> None:
    assert {k[0] for k in _error_keys({**POSIX, name: value})} == {name}


def test_memory_limit_in_bytes() -> None:
    """The b unit once made rules.compose_bytes raise ValueError (exit 70)."""
    outcome = check({**POSIX, "BACKUP_MEMORY_LIMIT": "512M", "BACKUP_MEMORY_RESERVATION": "100B"})
    assert errors_of(outcome) == []


# --- names ---------------------------------------------------------------------------------------

def test_friendly_variable_of_another_type_is_a_warning() -> None:
    env = {**GCS, "AWS_S3_BUCKET": "other-bucket"}
    outcome = check(env)
    assert outcome.config is not None
    assert keyed(outcome.problems) == {("AWS_S3_BUCKET", "ignored", "warning")}
    assert "repo1-s3-bucket" not in repo_options(outcome, 1)


def test_misspelled_bucket() -> None:
    outcome = check({**S3, "AWS_S3_BUCKT": "x"})
    assert keyed(errors_of(outcome)) == {("AWS_S3_BUCKT", "unknown", "error")}
    assert only(outcome.problems, "AWS_S3_BUCKT")[0].hint == "did you mean AWS_S3_BUCKET?"


def test_misspelled_pgbackrest_option() -> None:
    outcome = check({**POSIX, "PGBACKREST_PROCES_MAX": "4"})
    assert keyed(errors_of(outcome)) == {("PGBACKREST_PROCES_MAX", "unknown", "error")}
    assert only(outcome.problems, "PGBACKREST_PROCES_MAX")[0].hint == \
        "did you mean PGBACKREST_PROCESS_MAX?"


def test_command_line_only_option() -> None:
    assert _error_keys({**POSIX, "PGBACKREST_TYPE": "full"}) == \
        {("PGBACKREST_TYPE", "misplaced", "error")}


def test_renamed_option() -> None:
    """A name pgBackRest 2.45 still accepts works, with a warning that names the new one."""
    outcome = check({**S3, "PGBACKREST_REPO1_S3_CA_FILE": "/certs/ca.pem"}, files={"/certs/ca.pem": b"-----BEGIN CERTIFICATE-----\n"})
    assert keyed(outcome.problems) == {("PGBACKREST_REPO1_S3_CA_FILE", "deprecated", "warning")}
    assert "PGBACKREST_REPO1_STORAGE_CA_FILE" in only(outcome.problems, "PGBACKREST_REPO1_S3_CA_FILE")[0].hint
    assert repo_options(outcome, 1)["repo1-storage-ca-file"].endswith("/files/repo1-storage-ca-file.pem")


def test_unrelated_aws_variable_is_only_a_warning() -> None:
    outcome = check({**POSIX, "AWS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt"})
    assert outcome.config is not None
    assert keyed(outcome.problems) == {("AWS_CA_BUNDLE", "unused", "warning")}


# --- encryption ----------------------------------------------------------------------------------

def test_cipher_pass_without_cipher_type() -> None:
    outcome = check({**POSIX, "PGBACKREST_REPO1_CIPHER_PASS": "pass"})
    assert keyed(errors_of(outcome)) == {("PGBACKREST_REPO1_CIPHER_PASS", "dependency", "error")}
    assert only(outcome.problems, "PGBACKREST_REPO1_CIPHER_PASS")[0].hint == \
        "set PGBACKREST_REPO1_CIPHER_TYPE=aes-256-cbc"


def test_cipher_type_without_pass() -> None:
    outcome = check({**POSIX, "PGBACKREST_REPO1_CIPHER_TYPE": "aes-256-cbc"})
    assert keyed(errors_of(outcome)) == {("PGBACKREST_REPO1_CIPHER_PASS", "missing", "error")}


def test_encrypted_repository() -> None:
    outcome = check({**POSIX, "PGBACKREST_REPO1_CIPHER_TYPE": "aes-256-cbc",
                     "PGBACKREST_REPO1_CIPHER_PASS": "correct horse"})
    assert outcome.config is not None
    assert outcome.config.repositories[0].encrypted is True
    assert render.is_secret_key("repo1-cipher-pass")


# --- secrets from files ----------------------------------------------------------------------------

def test_name_file_secret_is_used_without_its_newline(tmp_path: Path) -> None:
    secret = tmp_path / "aws-secret"
    secret.write_text(S3["AWS_SECRET_ACCESS_KEY"] + "\n")
    env = {k: v for k, v in S3.items() if k != "AWS_SECRET_ACCESS_KEY"}
    outcome = check({**env, "AWS_SECRET_ACCESS_KEY_FILE": str(secret)})
    assert errors_of(outcome) == []
    assert repo_options(outcome, 1)["repo1-s3-key-secret"] == S3["AWS_SECRET_ACCESS_KEY"]


def test_name_and_name_file_conflict(tmp_path: Path) -> None:
    secret = tmp_path / "aws-secret"
    secret.write_text("other\n")
    outcome = check({**S3, "AWS_SECRET_ACCESS_KEY_FILE": str(secret)})
    assert ("AWS_SECRET_ACCESS_KEY", "conflict", "error") in keyed(errors_of(outcome))


def test_name_file_with_two_lines_is_rejected(tmp_path: Path) -> None:
    secret = tmp_path / "aws-secret"
    secret.write_text("line1\nrepo1-path=/evil\n")
    env = {k: v for k, v in S3.items() if k != "AWS_SECRET_ACCESS_KEY"}
    outcome = check({**env, "AWS_SECRET_ACCESS_KEY_FILE": str(secret)})
    assert outcome.config is None
    problem = only(errors_of(outcome), "AWS_SECRET_ACCESS_KEY")[0]
    assert problem.code == "format"
    assert problem.source == f"file {secret} (AWS_SECRET_ACCESS_KEY_FILE)"


# --- INI injection -----------------------------------------------------------------------------

def _good_value(variable: catalogue.Variable) -> str:
    special = {"AWS_SESSION_TOKEN": "token", "AWS_S3_ENDPOINT": "minio.local"}
    return special.get(variable.name) or variable.example or variable.default or "x"


def _base_for(name: str) -> dict[str, str]:
    variable = catalogue.BY_NAME.get(name)
    if variable is not None and variable.repo_types:
        return {"s3": S3, "azure": AZURE, "gcs": GCS, "posix": POSIX}[variable.repo_types[-1]]
    if name.startswith("PGBACKREST_REPO2_"):
        return {**POSIX, "PGBACKREST_REPO2_TYPE": "s3", "PGBACKREST_REPO2_S3_BUCKET": "b2-x",
                "PGBACKREST_REPO2_S3_REGION": "us-east-1", "PGBACKREST_REPO2_S3_KEY": "k",
                "PGBACKREST_REPO2_S3_KEY_SECRET": "s"}
    return S3


_INJECTION_TARGETS = (
    [(v.name, _good_value(v)) for v in catalogue.VARIABLES if v.name != catalogue.TYPE_VARIABLE]
    + [(catalogue.TYPE_VARIABLE, "posix"),
       ("PGBACKREST_REPO1_S3_URI_STYLE", "path"),  # string with an allow list
       ("PGBACKREST_LOG_PATH", "/var/log/pgbackrest"),  # path
       ("PGBACKREST_START_FAST", "y"),  # boolean
       ("PGBACKREST_PROCESS_MAX", "4"),  # integer
       ("PGBACKREST_ARCHIVE_PUSH_QUEUE_MAX", "1GiB"),  # size
       ("PGBACKREST_ARCHIVE_TIMEOUT", "60"),  # time
       ("PGBACKREST_DB_INCLUDE", "app"),  # list
       ("PGBACKREST_TABLESPACE_MAP", "ts1=/ts1"),  # hash
       ("PGBACKREST_PG1_USER", "postgres"),  # pg group
       ("PGBACKREST_REPO2_S3_KEY_SECRET", "s"),  # secure option of repo2
       ("PGBACKREST_REPO2_CIPHER_PASS", "pass")]
)
_BREAKS = {"newline": "{}\nrepo1-path=/evil", "carriage return": "{}\r[evil]", "leading space": " {}",
           "trailing space": "{} ", "tab": "{}\tx", "nul": "{}\x00", "lone newline at end": "{}\n"}


@pytest.mark.parametrize("name, good", _INJECTION_TARGETS, ids=[n for n, _ in _INJECTION_TARGETS])
@pytest.mark.parametrize("kind", sorted(_BREAKS))
def test_values_that_would_break_the_ini_format_are_rejected(name: str, good: str, kind: str) -> None:
    env = {**_base_for(name), name: _BREAKS[kind].format(good)}
    outcome = check(env)
    assert outcome.config is None
    assert (name, "format", "error") in keyed(errors_of(outcome))
    shown = json.dumps([p.as_dict() for p in outcome.problems])
    assert "/evil" not in shown and "[evil]" not in shown


def test_rejected_value_is_not_also_reported_missing() -> None:
    """A value rejected for a control character was once also reported as missing."""
    outcome = check({**S3, "AWS_SECRET_ACCESS_KEY": "abc\rdef"})
    assert keyed(errors_of(outcome)) == {("AWS_SECRET_ACCESS_KEY", "format", "error")}


# --- repositories ----------------------------------------------------------------------------------

def test_repo2_options_without_repo2_type() -> None:
    outcome = check({**POSIX, "PGBACKREST_REPO2_PATH": "/backup2", "PGBACKREST_REPO2_RETENTION_FULL": "3"})
    assert keyed(errors_of(outcome)) == {("PGBACKREST_REPO2_TYPE", "missing", "error")}


def test_repo2_type_that_is_not_a_storage_type() -> None:
    outcome = check({**POSIX, "PGBACKREST_REPO2_TYPE": "none"})
    assert ("PGBACKREST_REPO2_TYPE", "invalid", "error") in keyed(errors_of(outcome))


def test_posix_repo1_and_s3_repo2() -> None:
    env = {**POSIX, "PGBACKREST_REPO1_PATH": "/var/lib/pgbackrest",
           "PGBACKREST_REPO2_TYPE": "s3", "PGBACKREST_REPO2_S3_BUCKET": "offsite-x",
           "PGBACKREST_REPO2_S3_REGION": "us-east-1", "PGBACKREST_REPO2_S3_KEY": "key2",
           "PGBACKREST_REPO2_S3_KEY_SECRET": "secret2"}
    outcome = check(env)
    assert errors_of(outcome) == []
    assert outcome.config is not None
    assert [(r.index, r.type) for r in outcome.config.repositories] == [(1, "posix"), (2, "s3")]
    assert repo_options(outcome, 1) == {"repo1-type": "posix", "repo1-path": "/var/lib/pgbackrest",
                                        "repo1-retention-full": "7", "repo1-retention-diff": "3"}
    assert repo_options(outcome, 2) == {
        "repo2-type": "s3", "repo2-s3-bucket": "offsite-x", "repo2-s3-region": "us-east-1",
        "repo2-s3-endpoint": "s3.us-east-1.amazonaws.com", "repo2-s3-key": "key2",
        "repo2-s3-key-secret": "secret2", "repo2-retention-full": "7", "repo2-retention-diff": "3"}
    assert outcome.config.repositories[0].options[0] == ("repo1-type", "posix")  # type first


def test_two_posix_repositories_on_one_path() -> None:
    env = {**POSIX, "PGBACKREST_REPO2_TYPE": "posix"}
    assert _error_keys(env) == {("PGBACKREST_REPO2_PATH", "conflict", "error")}


def test_repo2_s3_requires_its_settings() -> None:
    outcome = check({**POSIX, "PGBACKREST_REPO2_TYPE": "s3"})
    assert {k[0] for k in keyed(errors_of(outcome))} == {
        "PGBACKREST_REPO2_S3_BUCKET", "PGBACKREST_REPO2_S3_REGION", "PGBACKREST_REPO2_S3_KEY",
        "PGBACKREST_REPO2_S3_KEY_SECRET"}
    assert all(p.code == "missing" for p in errors_of(outcome))


def test_option_of_another_repository_type_is_a_warning() -> None:
    outcome = check({**POSIX, "PGBACKREST_REPO1_S3_URI_STYLE": "path"})
    assert outcome.config is not None
    assert keyed(outcome.problems) == {("PGBACKREST_REPO1_S3_URI_STYLE", "ignored", "warning")}
    assert "repo1-s3-uri-style" not in repo_options(outcome, 1)


# --- SETUP_BACKUP --------------------------------------------------------------------------------

def test_setup_backup_false_with_s3_disables_backups() -> None:
    outcome = check({**S3, "SETUP_BACKUP": "false"})
    assert errors_of(outcome) == []
    assert ("SETUP_BACKUP", "ignored", "warning") in keyed(outcome.problems)
    config = outcome.config
    assert config is not None
    assert (config.backups_enabled, config.repo_type, config.repositories, config.schedules) == \
        (False, "none", [], {})


def test_setup_backup_true_without_repository() -> None:
    outcome = check({"SETUP_BACKUP": "true"})
    assert keyed(errors_of(outcome)) == {("SETUP_BACKUP", "conflict", "error")}


def test_setup_backup_bad_word() -> None:
    assert _error_keys({**POSIX, "SETUP_BACKUP": "maybe"}) == {("SETUP_BACKUP", "format", "error")}


def test_unknown_repo_type() -> None:
    outcome = check({"PGBACKREST_REPO1_TYPE": "ftp"})
    assert outcome.config is None
    assert {k[0] for k in keyed(errors_of(outcome))} == {"PGBACKREST_REPO1_TYPE"}


def test_unknown_repo_type_is_reported_once() -> None:
    outcome = check({"PGBACKREST_REPO1_TYPE": "ftp"})
    assert len(only(errors_of(outcome), "PGBACKREST_REPO1_TYPE")) == 1


# --- several problems in one run -----------------------------------------------------------------

def test_every_problem_is_collected_in_one_run() -> None:
    env = {"PGBACKREST_REPO1_TYPE": "s3", "AWS_REGION": "Bad Region", "AWS_ACCESS_KEY_ID": "k",
           "BACKUP_RETENTION_FULL": "0", "BACKUP_SCHEDULE_FULL": "x x x x x", "AWS_S3_BUCKT": "y",
           "BACKUP_WEBHOOK_URL": "ftp://x", "PGBACKREST_PROCES_MAX": "2", "PGBACKREST_TYPE": "full",
           "BACKUP_MEMORY_LIMIT": "256M", "BACKUP_MEMORY_RESERVATION": "1G",
           "GCS_BUCKET": "other"}
    outcome = check(env)
    assert outcome.config is None
    assert keyed(outcome.problems) == {
        ("AWS_REGION", "format", "error"), ("AWS_S3_BUCKET", "missing", "error"),
        ("AWS_SECRET_ACCESS_KEY", "missing", "error"), ("BACKUP_RETENTION_FULL", "format", "error"),
        ("BACKUP_SCHEDULE_FULL", "format", "error"), ("AWS_S3_BUCKT", "unknown", "error"),
        ("BACKUP_WEBHOOK_URL", "format", "error"), ("PGBACKREST_PROCES_MAX", "unknown", "error"),
        ("PGBACKREST_TYPE", "misplaced", "error"), ("BACKUP_MEMORY_RESERVATION", "conflict", "error"),
        ("GCS_BUCKET", "ignored", "warning"),
    }
    for problem in outcome.problems:
        assert problem.message and problem.variable


def test_problems_name_their_source() -> None:
    settings = {"PGBACKREST_REPO1_TYPE": Setting("posix", ".env file /x/.env"),
                "BACKUP_RETENTION_FULL": Setting("0", ".env file /x/.env"),
                "PGBACKREST_PROCESS_MAX": Setting("0", "environment")}
    outcome = validate(settings, mount_path=MOUNT, read_file=reader())
    assert {(p.variable, p.source) for p in outcome.problems} == {
        ("BACKUP_RETENTION_FULL", ".env file /x/.env"), ("PGBACKREST_PROCESS_MAX", "environment")}


# --- stanza, mount path, defaults ---------------------------------------------------------------

def test_custom_stanza_and_defaults() -> None:
    outcome = check({**POSIX, "PGBACKREST_STANZA": "main", "PGBACKREST_PROCESS_MAX": "4",
                     "PGBACKREST_PG1_PORT": "5433"})
    config = outcome.config
    assert config is not None
    assert config.stanza == "main"
    assert dict(config.global_options)["process-max"] == "4"
    assert dict(config.global_options)["compress-type"] == "lz4"
    assert dict(config.stanza_options) == {"pg1-path": "/var/lib/postgresql/data", "pg1-port": "5433",
                                           "pg1-socket-path": "/var/run/postgresql", "pg1-user": "postgres"}


@pytest.mark.parametrize("stanza", ["bad stanza", "-x", "a" * 65, "x/y"])
def test_bad_stanza(stanza: str) -> None:
    assert _error_keys({**POSIX, "PGBACKREST_STANZA": stanza}) == {("PGBACKREST_STANZA", "format", "error")}


def test_stanza_named_global_is_rejected() -> None:
    """[global] as the stanza section makes pgBackRest ignore pg1-* there."""
    assert {k[0] for k in _error_keys({**POSIX, "PGBACKREST_STANZA": "global"})} == {"PGBACKREST_STANZA"}


def test_mount_path_is_used_for_published_files() -> None:
    outcome = check(GCS, mount_path="/mnt/conf")
    assert repo_options(outcome, 1)["repo1-gcs-key"] == "/mnt/conf/files/repo1-gcs-key.json"


# --- regressions of bugs these tests found (fixed in the package meanwhile) --------------------------

@pytest.mark.parametrize("env", [
    {"PGBACKREST_ARCHIVE_MODE_CHECK": "n"},  # archive-check defaults to y
    {"PGBACKREST_TCP_KEEP_ALIVE_COUNT": "3"},  # sck-keep-alive defaults to y
    {"PGBACKREST_REPO1_HARDLINK": "y"},  # repo-bundle defaults to n
    {"PGBACKREST_REPO1_BUNDLE": "y", "PGBACKREST_REPO1_BUNDLE_SIZE": "20MiB", "PGBACKREST_REPO1_BLOCK": "y",
     "PGBACKREST_BETA": "y"},  # repo-block is beta in 2.45
    {"PGBACKREST_PG1_HOST": "db.internal"},  # pg-local (internal) defaults to n
], ids=["archive-mode-check", "tcp-keep-alive", "hardlink", "bundle", "pg-host"])
def test_options_with_a_boolean_dependency(env: dict[str, str]) -> None:
    """Depend rules on booleans ([True]) compare with y/n; they once crashed validate (TypeError)."""
    outcome = check({**POSIX, **env})
    assert errors_of(outcome) == []
    assert outcome.config is not None


@pytest.mark.parametrize("env, variable, hint", [
    ({"PGBACKREST_REPO1_BUNDLE_SIZE": "20MiB"}, "PGBACKREST_REPO1_BUNDLE_SIZE", "set PGBACKREST_REPO1_BUNDLE=y"),
    ({"PGBACKREST_ARCHIVE_CHECK": "n", "PGBACKREST_ARCHIVE_MODE_CHECK": "n"}, "PGBACKREST_ARCHIVE_MODE_CHECK",
     "set PGBACKREST_ARCHIVE_CHECK=y"),
    ({"PGBACKREST_REPO1_BUNDLE": "true", "PGBACKREST_REPO1_HARDLINK": "y"}, "PGBACKREST_REPO1_HARDLINK",
     "set PGBACKREST_REPO1_BUNDLE=n"),
])
def test_unmet_boolean_dependency(env: dict[str, str], variable: str, hint: str) -> None:
    outcome = check({**POSIX, **env})
    assert keyed(errors_of(outcome)) == {(variable, "dependency", "error")}
    assert only(outcome.problems, variable)[0].hint == hint


def test_s3_with_instance_credentials() -> None:
    """Key type auto (IAM role) needs no keys; it was once impossible to configure."""
    env = {k: v for k, v in S3.items() if not k.startswith("AWS_ACCESS") and not k.startswith("AWS_SECRET")}
    outcome = check({**env, "PGBACKREST_REPO1_S3_KEY_TYPE": "auto"})
    assert errors_of(outcome) == []
    assert "repo1-s3-key" not in repo_options(outcome, 1)
    assert repo_options(outcome, 1)["repo1-s3-key-type"] == "auto"


def test_s3_with_instance_credentials_and_keys() -> None:
    outcome = check({**S3, "PGBACKREST_REPO1_S3_KEY_TYPE": "auto"})
    assert keyed(errors_of(outcome)) == {("AWS_ACCESS_KEY_ID", "dependency", "error"),
                                         ("AWS_SECRET_ACCESS_KEY", "dependency", "error")}


def test_gcs_with_automatic_credentials() -> None:
    env = {k: v for k, v in GCS.items() if k != "GCS_KEY"}
    outcome = check({**env, "PGBACKREST_REPO1_GCS_KEY_TYPE": "auto"})
    assert errors_of(outcome) == []
    assert "repo1-gcs-key" not in repo_options(outcome, 1)


def test_recovery_option_depends_on_a_command_line_option() -> None:
    """recovery-option depends on restore --type: pgBackRest reads it from the file for restore."""
    outcome = check({**POSIX, "PGBACKREST_RECOVERY_OPTION": "recovery_target_action=promote:a=b=c"})
    assert errors_of(outcome) == []
    assert outcome.config is not None
    assert [v for k, v in outcome.config.global_options if k == "recovery-option"] == \
        ["recovery_target_action=promote", "a=b=c"]


@pytest.mark.parametrize("env", [{"PGBACKREST_COMPRESS_TYPE": "gz", "PGBACKREST_COMPRESS_LEVEL": "12"},
                                 {"PGBACKREST_COMPRESS_LEVEL": "20"}])
def test_compress_level_range_follows_compress_type(env: dict[str, str]) -> None:
    """The range was once checked before compress-type (or its lz4 default) was known."""
    outcome = check({**POSIX, **env})
    assert keyed(errors_of(outcome)) == {("PGBACKREST_COMPRESS_LEVEL", "format", "error")}


def test_compress_level_within_range() -> None:
    outcome = check({**POSIX, "PGBACKREST_COMPRESS_TYPE": "zst", "PGBACKREST_COMPRESS_LEVEL": "15"})
    assert outcome.config is not None
    assert dict(outcome.config.global_options)["compress-level"] == "15"


def test_unreleased_option_is_a_version_error() -> None:
    """repo-storage-prefetch is in no release yet; the message once said 'needs pgBackRest None'."""
    outcome = check({**S3, "PGBACKREST_REPO1_STORAGE_PREFETCH": "4"})
    [problem] = only(outcome.problems, "PGBACKREST_REPO1_STORAGE_PREFETCH")
    assert (problem.code, problem.severity) == ("version", Severity.ERROR)
    assert "None" not in problem.message


def test_option_newer_than_debian_is_a_version_warning() -> None:
    outcome = check({**POSIX, "PGBACKREST_REPO1_SYMLINK": "y"})
    assert keyed(outcome.problems) == {("PGBACKREST_REPO1_SYMLINK", "version", "warning")}
    assert "2.57" in outcome.problems[0].message


def test_every_settable_option_is_handled_without_an_exception() -> None:
    """One plausible value for each option: validate returns problems, never raises."""
    samples = {"boolean": "y", "integer": "1", "size": "1MiB", "time": "60", "path": "/x/y",
               "hash": "k=v", "list": "a", "string": "value"}
    for option in option_table.options().values():
        if option.internal or option.section == "command-line":
            continue
        value = option.allow[0] if option.allow else samples[option.type]
        for base in (POSIX, S3):
            outcome = check({**base, option.env_name(1 if option.group else None): value})
            assert outcome.config is not None or errors_of(outcome), option.name


# --- What the compose deployment needs beyond pgBackRest ----------------------------------------

COMPOSE = {**POSIX, "SETUP_DEPLOYMENT": "compose"}


def test_the_compose_deployment_needs_a_postgres_password() -> None:
    outcome = check(COMPOSE)
    assert keyed(errors_of(outcome)) == {("POSTGRES_PASSWORD", "missing", "error")}
    problem = only(outcome.problems, "POSTGRES_PASSWORD")[0]
    assert "refuses to initialise" in problem.message
    assert "POSTGRES_PASSWORD_FILE" in problem.hint and "POSTGRES_HOST_AUTH_METHOD=trust" in problem.hint


@pytest.mark.parametrize("extra", [
    {"POSTGRES_PASSWORD": "s3cret"},
    {"POSTGRES_PASSWORD_FILE": "/run/secrets/postgres-password"},
    {"POSTGRES_HOST_AUTH_METHOD": "trust"},
])
def test_any_of_the_official_images_ways_to_authenticate_will_do(extra: dict[str, str]) -> None:
    outcome = check({**COMPOSE, **extra})
    assert errors_of(outcome) == [] and warnings_of(outcome) == []


def test_an_auth_method_other_than_trust_still_needs_a_password() -> None:
    assert _error_keys({**COMPOSE, "POSTGRES_HOST_AUTH_METHOD": "scram-sha-256"}) == {
        ("POSTGRES_PASSWORD", "missing", "error")}


def test_a_password_and_a_password_file_conflict() -> None:
    env = {**COMPOSE, "POSTGRES_PASSWORD": "s3cret", "POSTGRES_PASSWORD_FILE": "/run/secrets/pw"}
    assert _error_keys(env) == {("POSTGRES_PASSWORD_FILE", "conflict", "error")}


def test_outside_the_compose_deployment_no_password_is_needed() -> None:
    assert errors_of(check(POSIX)) == []


def test_the_password_is_reported_missing_with_every_other_problem() -> None:
    assert _error_keys({**COMPOSE, "BACKUP_RETENTION_FULL": "abc"}) == {
        ("POSTGRES_PASSWORD", "missing", "error"), ("BACKUP_RETENTION_FULL", "format", "error")}


# --- Values wrapped in quotes (docker run --env-file keeps them) --------------------------------

def test_a_quoted_value_that_fails_says_why() -> None:
    outcome = check({**POSIX, "BACKUP_SCHEDULE_FULL": '"0 2 * * 0"'})
    assert keyed(errors_of(outcome)) == {("BACKUP_SCHEDULE_FULL", "format", "error")}
    hint = only(outcome.problems, "BACKUP_SCHEDULE_FULL")[0].hint
    assert "docker run --env-file" in hint and "wrapped in quotes" in hint


def test_a_quoted_value_that_passes_is_a_warning_without_its_value() -> None:
    outcome = check({**S3, "AWS_SECRET_ACCESS_KEY": "'LEAKquoted'"})
    assert errors_of(outcome) == []
    assert keyed(warnings_of(outcome)) == {("AWS_SECRET_ACCESS_KEY", "quoted", "warning")}
    problem = only(outcome.problems, "AWS_SECRET_ACCESS_KEY")[0]
    assert "LEAKquoted" not in problem.message + problem.hint


def test_quotes_from_a_dotenv_file_are_not_flagged() -> None:
    # python-dotenv strips one pair; a value that still has quotes was quoted on purpose.
    from tests.unit.support import settings as make_settings
    from setup_service.validate import validate as run_validate
    env = make_settings({**POSIX, "BACKUP_WEBHOOK_URL": "https://h.example.com/'x'"}, ".env file x")
    env["PGBACKREST_REPO1_PATH"] = Setting('"/var/lib/pgbackrest"', ".env file x")
    outcome = run_validate(env, mount_path=MOUNT, read_file=reader())
    assert all(p.code != "quoted" for p in outcome.problems)


def test_a_repository_retention_overrides_the_every_repository_default() -> None:
    env = {**POSIX, "BACKUP_RETENTION_FULL": "5", "PGBACKREST_REPO1_RETENTION_FULL": "10",
           "PGBACKREST_REPO2_TYPE": "posix", "PGBACKREST_REPO2_PATH": "/r2"}
    outcome = check(env)
    assert errors_of(outcome) == [] and warnings_of(outcome) == []
    assert repo_options(outcome, 1)["repo1-retention-full"] == "10"
    assert repo_options(outcome, 2)["repo2-retention-full"] == "5"


@pytest.mark.parametrize("region", ["RegionOne", "garage", "default", "eu_west"])
def test_any_region_goes_with_a_custom_endpoint(region: str) -> None:
    outcome = check({**S3, "AWS_REGION": region, "AWS_S3_ENDPOINT": "https://objects.example.net"})
    assert errors_of(outcome) == []
    assert repo_options(outcome, 1)["repo1-s3-region"] == region


def test_regionone_without_an_endpoint_is_not_an_aws_region() -> None:
    assert _error_keys({**S3, "AWS_REGION": "RegionOne"}) == {("AWS_REGION", "format", "error")}


# --- pgBackRest's own names for the options the guide names ------------------------------------

_OWN_S3 = {"PGBACKREST_REPO1_S3_BUCKET": "bucket-one", "PGBACKREST_REPO1_S3_KEY": "AKIAOWN",
           "PGBACKREST_REPO1_S3_KEY_SECRET": "own/secret"}


def test_pgbackrests_own_names_satisfy_required() -> None:
    env = {k: v for k, v in S3.items()
           if k not in ("AWS_S3_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    outcome = check({**env, **_OWN_S3})
    assert errors_of(outcome) == [] and warnings_of(outcome) == []
    options = repo_options(outcome, 1)
    assert (options["repo1-s3-bucket"], options["repo1-s3-key"]) == ("bucket-one", "AKIAOWN")


def test_both_spellings_with_one_value_are_fine() -> None:
    outcome = check({**S3, "PGBACKREST_REPO1_S3_BUCKET": S3["AWS_S3_BUCKET"]})
    assert errors_of(outcome) == []


def test_both_spellings_with_different_values_name_both() -> None:
    outcome = check({**S3, "PGBACKREST_REPO1_S3_BUCKET": "another-bucket"})
    assert keyed(errors_of(outcome)) == {("PGBACKREST_REPO1_S3_BUCKET", "conflict", "error")}
    problem = only(outcome.problems, "PGBACKREST_REPO1_S3_BUCKET")[0]
    assert "AWS_S3_BUCKET" in problem.message + problem.hint


def test_a_missing_option_names_both_spellings() -> None:
    env = {k: v for k, v in S3.items() if k != "AWS_S3_BUCKET"}
    problem = only(check(env).problems, "AWS_S3_BUCKET")[0]
    assert problem.code == "missing" and "PGBACKREST_REPO1_S3_BUCKET" in problem.hint


def test_gcs_key_by_pgbackrests_own_name() -> None:
    env = {k: v for k, v in GCS.items() if k != "GCS_KEY"}
    outcome = check({**env, "PGBACKREST_REPO1_GCS_KEY": GCS_KEY_PATH}, files={GCS_KEY_PATH: GCS_KEY_BYTES})
    assert errors_of(outcome) == []


# --- [global:<command>] sections: PGBACKREST_<COMMAND>__<OPTION> --------------------------------

def test_command_sections_are_rendered() -> None:
    config = rendered_options(check({**POSIX, "PGBACKREST_ARCHIVE_PUSH__PROCESS_MAX": "4",
                                     "PGBACKREST_ARCHIVE_PUSH__COMPRESS_LEVEL": "3",
                                     "PGBACKREST_RESTORE__PROCESS_MAX": "6"}))
    assert config["global:archive-push"] == {"compress-level": ["3"], "process-max": ["4"]}
    assert config["global:restore"] == {"process-max": ["6"]}
    assert config["global"]["process-max"] == ["2"]  # the default for every other command


@pytest.mark.parametrize("name, code, words", [
    ("PGBACKREST_RESTORE__COMPRESS_LEVEL", "invalid", "not an option of the restore command"),
    ("PGBACKREST_BACKUP__STANZA", "misplaced", "command-line option"),
    ("PGBACKREST_BACKUP__PG1_PATH", "misplaced", "cannot be set per command"),
    ("PGBACKREST_ARCHIVE_PUSHH__PROCESS_MAX", "unknown", "not a pgBackRest command"),
    ("PGBACKREST_ARCHIVE_PUSH__PROCES_MAX", "unknown", "not a pgBackRest option"),
])
def test_command_sections_are_validated(name: str, code: str, words: str) -> None:
    outcome = check({**POSIX, name: "3"})
    assert keyed(errors_of(outcome)) == {(name, code, "error")}
    assert words in only(outcome.problems, name)[0].message


def test_command_section_typos_get_a_hint() -> None:
    hint = only(check({**POSIX, "PGBACKREST_ARCHIVE_PUSHH__PROCESS_MAX": "4"}).problems,
                "PGBACKREST_ARCHIVE_PUSHH__PROCESS_MAX")[0].hint
    assert hint == "did you mean PGBACKREST_ARCHIVE_PUSH__PROCESS_MAX?"


def test_a_command_section_value_is_checked_like_any_other() -> None:
    assert _error_keys({**POSIX, "PGBACKREST_ARCHIVE_PUSH__PROCESS_MAX": "many"}) == {
        ("PGBACKREST_ARCHIVE_PUSH__PROCESS_MAX", "format", "error")}


def test_async_archive_get_asked_for_in_its_own_section_is_kept_with_a_warning() -> None:
    outcome = check({**POSIX, "PGBACKREST_ARCHIVE_GET__ARCHIVE_ASYNC": "y"})
    assert rendered_options(outcome)["global:archive-get"] == {"archive-async": ["y"]}
    assert keyed(warnings_of(outcome)) == {("PGBACKREST_ARCHIVE_GET__ARCHIVE_ASYNC", "version", "warning")}


# --- pgBackRest 2.45's options: deprecated names, stop-auto, beta ------------------------------

@pytest.mark.parametrize("name, key, section", [
    ("PGBACKREST_DB_PATH", "pg1-path", "salespider"),
    ("PGBACKREST_RETENTION_FULL", "repo1-retention-full", "global"),
    ("PGBACKREST_REPO1_S3_VERIFY_SSL", "repo1-storage-verify-tls", "global"),
])
def test_deprecated_names_are_published_under_the_current_name(name: str, key: str, section: str) -> None:
    value = "n" if "VERIFY" in name else ("/srv/pg" if "PATH" in name else "4")
    outcome = check({**S3, name: value})
    assert keyed(outcome.problems) == {(name, "deprecated", "warning")}
    assert rendered_options(outcome)[section][key] == [value]


def test_stop_auto_is_an_option_of_245() -> None:
    outcome = check({**POSIX, "PGBACKREST_STOP_AUTO": "y"})
    assert errors_of(outcome) == [] and rendered_options(outcome)["global"]["stop-auto"] == ["y"]


def test_block_incremental_needs_beta() -> None:
    env = {**POSIX, "PGBACKREST_REPO1_BUNDLE": "y", "PGBACKREST_REPO1_BLOCK": "y"}
    assert _error_keys(env) == {("PGBACKREST_REPO1_BLOCK", "beta", "error")}
    outcome = check({**env, "PGBACKREST_BETA": "y"})
    assert errors_of(outcome) == []
    assert rendered_options(outcome)["global"]["beta"] == ["y"]


# --- the target pgBackRest version --------------------------------------------------------------

NEWEST = (2, 59, 1)


def test_stop_auto_became_internal_in_258() -> None:
    assert _error_keys({**POSIX, "PGBACKREST_STOP_AUTO": "y"}, version=NEWEST) == {
        ("PGBACKREST_STOP_AUTO", "unknown", "error")}


def test_block_incremental_needs_no_beta_after_245() -> None:
    outcome = check({**POSIX, "PGBACKREST_REPO1_BUNDLE": "y", "PGBACKREST_REPO1_BLOCK": "y"},
                    version=NEWEST)
    assert errors_of(outcome) == []


def test_the_archive_get_race_is_fixed_in_259() -> None:
    assert "global:archive-get" in rendered_options(check(POSIX))
    assert "global:archive-get" not in rendered_options(check(POSIX, version=NEWEST))


def test_an_option_newer_than_the_target_is_a_warning() -> None:
    outcome = check({**POSIX, "PGBACKREST_ALLOW_ROOT": "y"})
    assert keyed(outcome.problems) == {("PGBACKREST_ALLOW_ROOT", "version", "warning")}
    assert "needs pgBackRest 2.59.0 or newer (the images run 2.45)" in outcome.problems[0].message
    assert check({**POSIX, "PGBACKREST_ALLOW_ROOT": "y"}, version=NEWEST).problems == []


def test_the_target_version_setting_and_detection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from setup_service import app

    fake = tmp_path / "pgbackrest"
    fake.write_text("#!/bin/sh\necho 'pgBackRest 2.59.1'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    assert app.target_version({}) == (2, 59, 1)
    assert app.target_version({"SETUP_PGBACKREST_VERSION": Setting("2.45", "environment")}) == (2, 45)
    monkeypatch.setenv("PATH", "/nonexistent")
    assert app.target_version({}) == (2, 45)
