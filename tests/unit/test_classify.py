"""Sorting variables into option assignments; unknown, misplaced and conflicting names."""

from __future__ import annotations

import pytest

from setup_service import classify
from setup_service.problems import Severity
from tests.unit.support import settings


def _run(env: dict[str, str]) -> tuple[list[classify.Assignment], list]:
    return classify.classify(settings(env))


def test_friendly_and_generic_variables_become_assignments() -> None:
    assignments, problems = _run({"AWS_S3_BUCKET": "b-x", "PGBACKREST_REPO2_PATH": "/r2",
                                  "PGBACKREST_PROCESS_MAX": "4", "PGBACKREST_PG1_PORT": "5433",
                                  "BACKUP_SCHEDULE_FULL": "0 2 * * 0"})
    assert problems == []
    found = {(a.variable, a.option.name, a.index, a.value, a.secret) for a in assignments}
    assert found == {
        ("AWS_S3_BUCKET", "repo-s3-bucket", 1, "b-x", False),
        ("PGBACKREST_REPO2_PATH", "repo-path", 2, "/r2", False),
        ("PGBACKREST_PROCESS_MAX", "process-max", None, "4", False),
        ("PGBACKREST_PG1_PORT", "pg-port", 1, "5433", False),
    }


def test_secret_flags_from_catalogue_and_option_table() -> None:
    assignments, _ = _run({"AWS_SECRET_ACCESS_KEY": "x", "PGBACKREST_REPO2_CIPHER_PASS": "y",
                           "AZURE_STORAGE_ACCOUNT": "acct"})
    assert {a.variable: a.secret for a in assignments} == {
        "AWS_SECRET_ACCESS_KEY": True, "PGBACKREST_REPO2_CIPHER_PASS": True,
        "AZURE_STORAGE_ACCOUNT": True}


@pytest.mark.parametrize("name, hint", [
    ("AWS_S3_BUCKT", "did you mean AWS_S3_BUCKET?"),
    ("AWS_SECRET_ACCES_KEY", "did you mean AWS_SECRET_ACCESS_KEY?"),
    ("BACKUP_SCHEDULE_FUL", "did you mean BACKUP_SCHEDULE_FULL?"),
    ("PGBACKREST_PROCES_MAX", "did you mean PGBACKREST_PROCESS_MAX?"),
    ("PGBACKREST_REPO2_S3_BUKET", "did you mean PGBACKREST_REPO2_S3_BUCKET?"),
])
def test_misspelled_names_are_errors_with_a_hint(name: str, hint: str) -> None:
    assignments, problems = _run({name: "x"})
    assert assignments == []
    assert [(p.variable, p.code, p.severity, p.hint, p.source) for p in problems] == \
        [(name, "unknown", Severity.ERROR, hint, "environment")]


def test_unrelated_name_in_an_owned_namespace_is_a_warning() -> None:
    _, problems = _run({"AWS_CA_BUNDLE": "/etc/ssl/certs/ca.pem", "AWS_PROFILE": "default"})
    assert {(p.variable, p.code, p.severity) for p in problems} == {
        ("AWS_CA_BUNDLE", "unused", Severity.WARNING), ("AWS_PROFILE", "unused", Severity.WARNING)}


def test_unknown_pgbackrest_option_without_a_close_name() -> None:
    _, problems = _run({"PGBACKREST_FROBNICATE": "1"})
    assert [(p.variable, p.code, p.severity) for p in problems] == \
        [("PGBACKREST_FROBNICATE", "unknown", Severity.ERROR)]
    assert "pgbackrest help" in problems[0].hint


@pytest.mark.parametrize("name, new", [
    ("PGBACKREST_REPO1_S3_CA_FILE", "PGBACKREST_REPO1_STORAGE_CA_FILE"),
    ("PGBACKREST_REPO2_S3_VERIFY_SSL", "PGBACKREST_REPO2_STORAGE_VERIFY_TLS"),
])
def test_renamed_option_hints_the_new_name(name: str, new: str) -> None:
    """Deprecated names pgBackRest 2.45 still accepts set the current option, with a warning."""
    assignments, problems = _run({name: "x"})
    assert [(p.variable, p.code, p.severity) for p in problems] == [(name, "deprecated", Severity.WARNING)]
    assert problems[0].hint == f"rename it to {new}"
    assert [(a.variable, a.option.env_name(a.index)) for a in assignments] == [(name, new)]


@pytest.mark.parametrize("name", ["PGBACKREST_TYPE", "PGBACKREST_STANZA_X", "PGBACKREST_CONFIG",
                                  "PGBACKREST_SET", "PGBACKREST_TARGET"])
def test_command_line_only_option_is_rejected(name: str) -> None:
    _, problems = _run({name: "x"})
    if name == "PGBACKREST_STANZA_X":  # not an option at all
        assert problems[0].code == "unknown"
        return
    assert [(p.variable, p.code, p.severity) for p in problems] == \
        [(name, "misplaced", Severity.ERROR)]
    assert "command line" in problems[0].hint


def test_stanza_is_a_catalogue_variable_not_a_command_line_option() -> None:
    assignments, problems = _run({"PGBACKREST_STANZA": "main"})
    assert (assignments, problems) == ([], [])


def test_internal_option_is_rejected() -> None:
    _, problems = _run({"PGBACKREST_PG1_LOCAL": "y"})
    assert [(p.variable, p.code) for p in problems] == [("PGBACKREST_PG1_LOCAL", "unknown")]


@pytest.mark.parametrize("name", ["PGBACKREST_REPO0_PATH", "PGBACKREST_REPO257_PATH",
                                  "PGBACKREST_PG300_PORT"])
def test_index_out_of_range(name: str) -> None:
    _, problems = _run({name: "/x"})
    assert [(p.variable, p.code) for p in problems] == [(name, "invalid")]
    assert "1 to 256" in problems[0].hint


def test_group_option_without_index() -> None:
    _, problems = _run({"PGBACKREST_REPO_S3_URI_STYLE": "path"})
    assert [(p.variable, p.code, p.hint) for p in problems] == \
        [("PGBACKREST_REPO_S3_URI_STYLE", "unknown", "use PGBACKREST_REPO1_S3_URI_STYLE")]


def test_unindexed_names_pgbackrest_still_reads_are_repo1() -> None:
    """repo-s3-bucket without an index: pgBackRest before 2.22 wrote it so, and still reads it."""
    assignments, problems = _run({"PGBACKREST_REPO_S3_BUCKET": "b-x"})
    assert [(p.variable, p.code, p.severity) for p in problems] == \
        [("PGBACKREST_REPO_S3_BUCKET", "deprecated", Severity.WARNING)]
    assert [(a.option.key(a.index), a.value) for a in assignments] == [("repo1-s3-bucket", "b-x")]


def test_the_unindexed_type_is_refused() -> None:
    _, problems = _run({"PGBACKREST_REPO_TYPE": "s3"})
    assert [(p.variable, p.code, p.severity, p.hint) for p in problems] == \
        [("PGBACKREST_REPO_TYPE", "deprecated", Severity.ERROR, "rename it to PGBACKREST_REPO1_TYPE")]


def test_two_variables_for_one_option_conflict() -> None:
    _, problems = _run({"AWS_S3_BUCKET": "a-x", "PGBACKREST_REPO1_S3_BUCKET": "b-x"})
    assert [(p.variable, p.code) for p in problems] == [("PGBACKREST_REPO1_S3_BUCKET", "conflict")]
    assert "AWS_S3_BUCKET" in problems[0].message
    assert "a-x" not in problems[0].message and "b-x" not in problems[0].message


def test_catalogue_variables_without_option_are_not_assignments() -> None:
    assignments, problems = _run({"SETUP_BACKUP": "true", "BACKUP_WEBHOOK_URL": "https://x/y",
                                  "DATABASE_URL": "postgresql://a/b"})
    assert (assignments, problems) == ([], [])
