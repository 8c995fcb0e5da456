"""The runs behind the commands: generate (publish, dry-run, check) and validate; secrets never leak."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from setup_service import app, catalogue, namespace, option_table, publish, render, reporter, selfcheck
from setup_service.exit_codes import ExitCode
from tests.unit.support import app_request as _request
from tests.unit.support import generate as _generate
from tests.unit.support import (AZURE, GCS, GCS_KEY_BYTES, GCS_KEY_PATH, MOUNT, POSIX, S3, S3_SECRET,
                                clean_environ, reader, tree)


@pytest.fixture(autouse=True)
def _environ(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environ(monkeypatch)
    monkeypatch.setattr(app, "_read_file", reader(_FILES))




def test_generate_writes_a_valid_set(tmp_path: Path) -> None:
    result = _generate(tmp_path / "out", S3)
    assert result.exit_code is ExitCode.OK
    assert (result.doc["result"], result.doc["generation"], result.doc["problems"]) == ("written", 1, [])
    assert result.doc["pgbackrest_check"] == {"ran": False, "result": "disabled", "version": "", "messages": []}


def test_generate_invalid_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _generate(out, {**S3, "AWS_REGION": "Bad Region"})
    assert (result.exit_code, result.doc["result"]) == (ExitCode.CONFIG, "invalid")
    assert [(p["variable"], p["code"]) for p in result.doc["problems"]] == [("AWS_REGION", "format")]
    assert not out.exists()


def test_generate_with_the_real_pgbackrest_check(tmp_path: Path) -> None:
    result = _generate(tmp_path / "out", S3, pgbackrest_check=True)
    assert result.exit_code is ExitCode.OK
    assert result.doc["pgbackrest_check"]["result"] in ("passed", "skipped")


def test_pgbackrest_refusal_is_invalid_and_writes_nothing(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def refuses(files: dict[str, render.RenderedFile], stanza: str) -> selfcheck.CheckResult:
        return selfcheck.CheckResult(True, "failed", "pgBackRest 2.45",
                                     (f"backup: ERROR: value '{S3_SECRET}' is bad",))

    monkeypatch.setattr(selfcheck, "run", refuses)
    out = tmp_path / "out"
    result = _generate(out, S3, pgbackrest_check=True)
    assert (result.exit_code, result.doc["result"]) == (ExitCode.CONFIG, "invalid")
    assert [p.variable for p in result.problems] == ["pgbackrest"]
    assert result.doc["pgbackrest_check"]["messages"] == ["backup: ERROR: value '<redacted>' is bad"]
    assert S3_SECRET not in reporter.text(result.doc, result.problems)
    assert not out.exists()


def test_pgbackrest_messages_redact_a_secret_with_a_unicode_line_separator(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "first\u2028second-half"

    def echoes(files: dict[str, render.RenderedFile], stanza: str) -> selfcheck.CheckResult:
        return selfcheck.CheckResult(True, "failed", "pgBackRest 2.45", (f"backup: ERROR: '{secret}'",))

    monkeypatch.setattr(selfcheck, "run", echoes)
    result = _generate(tmp_path / "out", {**S3, "AWS_SECRET_ACCESS_KEY": secret}, pgbackrest_check=True)
    assert "second-half" not in json.dumps(result.doc)


@pytest.mark.skipif(not __import__("shutil").which("pgbackrest"), reason="pgbackrest is not installed")
def test_real_pgbackrest_refuses_an_option_it_does_not_know(tmp_path: Path) -> None:
    result = _generate(tmp_path / "out", {**POSIX, "PGBACKREST_REPO1_SYMLINK": "y"}, pgbackrest_check=True)
    assert (result.exit_code, result.doc["result"]) == (ExitCode.CONFIG, "invalid")
    assert any("repo1-symlink" in m for m in result.doc["pgbackrest_check"]["messages"])


def test_dry_run_shows_a_redacted_diff_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _generate(out, S3, dry_run=True)
    assert (result.exit_code, result.doc["result"], result.doc["changes_pending"]) == (ExitCode.OK, "dry-run", True)
    assert "+repo1-s3-key-secret=<redacted>" in result.diff
    assert "+repo1-s3-bucket=unit-bucket" in result.diff
    assert S3_SECRET not in result.diff and S3["AWS_ACCESS_KEY_ID"] not in result.diff
    assert not out.exists()


def test_dry_run_after_publishing_shows_only_the_change(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _generate(out, S3)
    before = tree(out)
    same = _generate(out, S3, dry_run=True)
    assert (same.diff, same.doc["changes_pending"]) == ("", False)
    changed = _generate(out, {**S3, "BACKUP_RETENTION_FULL": "5"}, dry_run=True)
    minus = [line for line in changed.diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    plus = [line for line in changed.diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert (minus, plus) == (["-repo1-retention-full=7"], ["+repo1-retention-full=5"])
    assert tree(out) == before


def test_dry_run_does_not_show_secrets_of_the_published_set(tmp_path: Path) -> None:
    """The old repo.conf was once redacted with the new config's secret keys only."""
    out = tmp_path / "out"
    _generate(out, AZURE)
    result = _generate(out, S3, dry_run=True)
    assert AZURE["AZURE_STORAGE_KEY"] not in result.diff


def test_dry_run_does_not_show_a_removed_secret_file(tmp_path: Path) -> None:
    """A published key file the new config drops was once shown in clear."""
    out = tmp_path / "out"
    _generate(out, GCS)
    result = _generate(out, S3, dry_run=True)
    assert "UNITTESTPRIVATEKEYMATERIAL" not in result.diff


def test_owner_warning_when_not_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 4242)
    monkeypatch.setattr(os, "getgroups", lambda: [4242])
    result = _generate(tmp_path / "out", POSIX, owner=publish.Owner(999, 999))
    assert result.exit_code is ExitCode.OK
    assert [(w["variable"], w["code"]) for w in result.doc["warnings"]] == [("--owner", "owner")]


def test_no_owner_warning_as_that_user_without_supplementary_groups(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """privileges.lower() leaves no supplementary group: the primary group is the one."""
    monkeypatch.setattr(os, "geteuid", lambda: 999)
    monkeypatch.setattr(os, "getegid", lambda: 999)
    monkeypatch.setattr(os, "getgroups", lambda: [])
    monkeypatch.setattr(os, "chown", lambda *_args, **_kw: None)
    result = _generate(tmp_path / "out", POSIX, owner=publish.Owner(999, 999))
    assert result.exit_code is ExitCode.OK
    assert result.doc["warnings"] == []


def test_environment_wins_over_the_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PGBACKREST_REPO1_TYPE=posix\nBACKUP_RETENTION_FULL=2\nPGBACKREST_STANZA=fromfile\n")
    result = _generate(tmp_path / "out", {"PGBACKREST_STANZA": "fromenv"}, env_file=env_file)
    assert result.doc["stanza"] == "fromenv"
    assert "repo1-retention-full=2" in (tmp_path / "out" / "conf.d" / "repo.conf").read_text()


def test_name_file_conflict_is_invalid(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("other\n")
    result = _generate(tmp_path / "out", {**S3, "AWS_SECRET_ACCESS_KEY_FILE": str(secret)})
    assert result.exit_code is ExitCode.CONFIG
    assert [(p["variable"], p["code"]) for p in result.doc["problems"]] == [("AWS_SECRET_ACCESS_KEY", "conflict")]


def test_missing_env_file_is_usage(tmp_path: Path) -> None:
    result = _generate(tmp_path / "out", {}, env_file=tmp_path / "absent.env")
    assert result.exit_code is ExitCode.USAGE


def test_validate_files_each_on_its_own(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.env", tmp_path / "bad.env"
    good.write_text("PGBACKREST_REPO1_TYPE=posix\n")
    bad.write_text("PGBACKREST_REPO1_TYPE=s3\nAWS_S3_BUCKET=b-x\n")
    results = app.validate_files({}, [good, bad], check=False)
    assert [(label, r.exit_code, r.doc["result"]) for label, r in results] == [
        (str(good), ExitCode.OK, "valid"), (str(bad), ExitCode.CONFIG, "invalid")]
    assert {p["variable"] for p in results[1][1].doc["problems"]} == {
        "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    assert all(p.get("source", ".env file").startswith(".env file") for p in results[1][1].doc["problems"])


def test_validate_of_the_process_environment() -> None:
    [(label, result)] = app.validate_files(POSIX, [None], check=False)
    assert (label, result.exit_code, result.doc["result"]) == ("environment", ExitCode.OK, "valid")


# --- secrets never leak -------------------------------------------------------------------------

_AZURE_SECRET_KEY = base64.b64encode(b"LEAK-azure-shared-key-0001").decode()
_GCS_TOKEN_PATH = "/secrets/LEAK-gcs-key.json"
_FILES = {GCS_KEY_PATH: GCS_KEY_BYTES, _GCS_TOKEN_PATH: GCS_KEY_BYTES, "/certs/ca.pem": b"-----BEGIN X"}
_S3_REPO2 = {**POSIX, "PGBACKREST_REPO2_TYPE": "s3", "PGBACKREST_REPO2_S3_BUCKET": "b2-x",
             "PGBACKREST_REPO2_S3_REGION": "us-east-1", "PGBACKREST_REPO2_S3_KEY": "LEAKs3key2",
             "PGBACKREST_REPO2_S3_KEY_SECRET": "LEAKs3secret2"}
_AZURE_REPO2 = {**POSIX, "PGBACKREST_REPO2_TYPE": "azure", "PGBACKREST_REPO2_AZURE_ACCOUNT": "LEAKacct2",
                "PGBACKREST_REPO2_AZURE_KEY": _AZURE_SECRET_KEY,
                "PGBACKREST_REPO2_AZURE_CONTAINER": "container2"}

# (secret variable, its value, the environment it is valid in)
_VALID_SECRETS: list[tuple[str, str, dict[str, str]]] = [
    ("AWS_ACCESS_KEY_ID", "LEAKaccesskeyid", S3),
    ("AWS_SECRET_ACCESS_KEY", "LEAK/secret+access=key", S3),
    ("AWS_SESSION_TOKEN", "LEAKsessiontoken", S3),
    ("AZURE_STORAGE_ACCOUNT", "leakaccount01", AZURE),
    ("AZURE_STORAGE_KEY", _AZURE_SECRET_KEY, AZURE),
    ("GCS_KEY", _GCS_TOKEN_PATH, GCS),
    ("BACKUP_WEBHOOK_URL", "https://hooks.example.com/LEAKwebhooktoken", POSIX),
    ("DATABASE_URL", "postgresql://app:LEAKdbpassword@db.example.com/app", POSIX),
    ("POSTGRES_PASSWORD", "LEAKpostgrespassword", {**POSIX, "SETUP_DEPLOYMENT": "compose"}),
    ("PGBACKREST_REPO2_S3_KEY", "LEAKs3key2", _S3_REPO2),
    ("PGBACKREST_REPO2_S3_KEY_SECRET", "LEAKs3secret2", _S3_REPO2),
    ("PGBACKREST_REPO2_S3_TOKEN", "LEAKs3token2", _S3_REPO2),
    ("PGBACKREST_REPO2_S3_SSE_CUSTOMER_KEY", "LEAKssecustomerkey", _S3_REPO2),
    ("PGBACKREST_REPO2_AZURE_ACCOUNT", "LEAKacct2", _AZURE_REPO2),
    ("PGBACKREST_REPO2_AZURE_KEY", _AZURE_SECRET_KEY, _AZURE_REPO2),
    ("PGBACKREST_REPO2_AZURE_ENDPOINT", "LEAK-endpoint.example.net", _AZURE_REPO2),
    ("PGBACKREST_REPO2_CIPHER_PASS", "LEAK cipher pass",
     {**POSIX, "PGBACKREST_REPO2_TYPE": "posix", "PGBACKREST_REPO2_PATH": "/r2",
      "PGBACKREST_REPO2_CIPHER_TYPE": "aes-256-cbc"}),
    ("PGBACKREST_REPO1_CIPHER_PASS", "LEAK repo1 pass", {**POSIX, "PGBACKREST_REPO1_CIPHER_TYPE": "aes-256-cbc"}),
    ("PGBACKREST_REPO2_GCS_KEY", "LEAKgcstoken2",
     {**POSIX, "PGBACKREST_REPO2_TYPE": "gcs", "PGBACKREST_REPO2_GCS_BUCKET": "b2",
      "PGBACKREST_REPO2_GCS_KEY_TYPE": "token"}),
]
_SECURE_OPTIONS = {o.name for o in option_table.options().values() if o.secure}


def test_the_secret_cases_cover_every_secret() -> None:
    covered = {name for name, _, _ in _VALID_SECRETS}
    assert catalogue.SECRET_NAMES <= covered
    generic = {option_table.parse_env_name(n).option for n in covered if n.startswith("PGBACKREST_")}
    assert _SECURE_OPTIONS - generic <= {"repo-sftp-private-key-passphrase"}  # sftp: not a supported type


def _outputs(result: app.Result) -> dict[str, str]:
    shown = {fmt: format_(result.doc, result.problems) for fmt, format_ in reporter.REPORTERS.items()}
    shown["problems"] = json.dumps([p.as_dict() for p in result.problems] + [repr(p) for p in result.problems])
    shown["diff"] = result.diff
    return shown


# The published files that may hold a secret (0640): pgBackRest's options and key files, and
# what the other containers read instead of environment variables.
_SECRET_FILES = ("conf.d/repo.conf", "files/repo1-gcs-key.json", namespace.POSTGRES_PASSWORD_FILE,
                 namespace.WEBHOOK_URL_FILE)


def _assert_hidden(secret: str, out: Path, result: app.Result) -> None:
    for where, text in _outputs(result).items():
        assert secret not in text, where
    if (out / "..data").exists():
        assert secret not in (out / "status.json").read_text()
        for path, content in tree(out).items():
            if secret.encode() in content:
                assert path in _SECRET_FILES, path
                assert (out / path).stat().st_mode & 0o777 == 0o640, path


@pytest.mark.parametrize("name, value, base", _VALID_SECRETS, ids=[n for n, _, _ in _VALID_SECRETS])
def test_a_valid_secret_stays_in_the_secret_files(name: str, value: str, base: dict[str, str],
                                                  tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**base, name: value}
    dry = _generate(out, env, dry_run=True)
    assert dry.exit_code is ExitCode.OK, [p.as_dict() for p in dry.problems]
    _assert_hidden(value, out, dry)
    result = _generate(out, env)
    assert result.doc["result"] == "written"
    _assert_hidden(value, out, result)
    rendered = name.startswith("PGBACKREST_") or catalogue.BY_NAME[name].option is not None
    if rendered and name != "GCS_KEY":  # GCS_KEY's path is replaced by the published copy's
        assert value.encode() in tree(out)["conf.d/repo.conf"]
    published = {"POSTGRES_PASSWORD": namespace.POSTGRES_PASSWORD_FILE,
                 "BACKUP_WEBHOOK_URL": namespace.WEBHOOK_URL_FILE}  # instead of container environment
    if name in published:
        assert tree(out)[published[name]] == value.encode()
    again = _generate(out, env, dry_run=True)
    _assert_hidden(value, out, again)


_BREAK_SECRET = ["{}\nrepo1-path=/x", " {}", "{}\r", "{}\t"]


@pytest.mark.parametrize("name, value, base", _VALID_SECRETS, ids=[n for n, _, _ in _VALID_SECRETS])
@pytest.mark.parametrize("form", _BREAK_SECRET)
def test_a_rejected_secret_is_never_shown(name: str, value: str, base: dict[str, str], form: str,
                                          tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _generate(out, {**base, name: form.format(value)})
    assert result.exit_code is ExitCode.CONFIG
    _assert_hidden(value, out, result)


@pytest.mark.parametrize("name, value, base", [
    ("AZURE_STORAGE_ACCOUNT", "LEAK Bad Account", AZURE),
    ("AZURE_STORAGE_KEY", "LEAK not base64!", AZURE),
    ("GCS_KEY", "relative/LEAK.json", GCS),
    ("GCS_KEY", "/secrets/LEAK-absent.json", GCS),
    ("BACKUP_WEBHOOK_URL", "ftp://LEAK.example.com/hook", POSIX),
    ("DATABASE_URL", "mysql://u:LEAKpw@db/app", POSIX),
    ("PGBACKREST_REPO1_CIPHER_PASS", "LEAKwithouttype", POSIX),
    ("AWS_SECRET_ACCESS_KEY", "LEAKonwrongtype", GCS),
    ("PGBACKREST_REPO2_S3_KEY_SECRET", "LEAKnorepo2type", POSIX),
    ("PGBACKREST_REPO2_SFTP_PRIVATE_KEY_PASSPHRASE", "LEAKsftppass",
     {**POSIX, "PGBACKREST_REPO2_TYPE": "sftp"}),
    ("PGBACKREST_REPO1_AZURE_KEY", "LEAKazureonposix", POSIX),
    ("PGBACKREST_REPO1_S3_KEY", "LEAKconflict", S3),
])
def test_a_misused_secret_is_never_shown(name: str, value: str, base: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _generate(out, {**base, name: value})
    assert result.problems
    _assert_hidden(value, out, result)


def test_secret_from_a_file_is_never_shown(tmp_path: Path) -> None:
    secret = tmp_path / "s"
    secret.write_text("LEAKfromfile\nsecond line\n")
    env = {k: v for k, v in S3.items() if k != "AWS_SECRET_ACCESS_KEY"}
    result = _generate(tmp_path / "out", {**env, "AWS_SECRET_ACCESS_KEY_FILE": str(secret)})
    assert result.exit_code is ExitCode.CONFIG
    _assert_hidden("LEAKfromfile", tmp_path / "out", result)
