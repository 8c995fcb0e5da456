"""A repository's identity: which changes between two published sets orphan the backups."""

from __future__ import annotations

from pathlib import Path

import pytest

from setup_service import identity, render
from setup_service.exit_codes import ExitCode
from tests.unit.support import POSIX, S3, check, generate, tree


def _files(env: dict[str, str]) -> dict[str, render.RenderedFile]:
    outcome = check(env)
    assert outcome.config is not None, [p.as_dict() for p in outcome.problems]
    return render.render(outcome.config)


ENCRYPTED = {**POSIX, "PGBACKREST_REPO1_CIPHER_TYPE": "aes-256-cbc",
             "PGBACKREST_REPO1_CIPHER_PASS": "old-passphrase"}


@pytest.mark.parametrize("base, change, key", [
    (ENCRYPTED, {"PGBACKREST_REPO1_CIPHER_PASS": "new-passphrase"}, "repo1-cipher-pass"),
    (ENCRYPTED, {"PGBACKREST_REPO1_CIPHER_TYPE": "", "PGBACKREST_REPO1_CIPHER_PASS": ""}, "repo1-cipher-type"),
    (POSIX, {"PGBACKREST_REPO1_PATH": "/elsewhere"}, "repo1-path"),
    (POSIX, {"PGBACKREST_STANZA": "other"}, "stanza"),
    (POSIX, {"PGBACKREST_PG1_PATH": "/srv/other"}, "pg1-path"),
    (S3, {"AWS_S3_BUCKET": "other-bucket"}, "repo1-s3-bucket"),
    (S3, {"AWS_S3_ENDPOINT": "https://objects.example.net"}, "repo1-s3-endpoint"),
    (S3, {"PGBACKREST_REPO1_TYPE": "posix", "PGBACKREST_REPO1_PATH": "/r",
          "AWS_S3_BUCKET": "", "AWS_REGION": "", "AWS_ACCESS_KEY_ID": "",
          "AWS_SECRET_ACCESS_KEY": ""}, "repo1-type"),
])
def test_identity_changes(base: dict[str, str], change: dict[str, str], key: str) -> None:
    new = {k: v for k, v in {**base, **change}.items() if v}
    assert key in [c.key for c in identity.changes(_files(base), _files(new))]


@pytest.mark.parametrize("base, change", [
    (S3, {"AWS_ACCESS_KEY_ID": "AKIANEW", "AWS_SECRET_ACCESS_KEY": "new/secret"}),
    (POSIX, {"BACKUP_RETENTION_FULL": "3", "BACKUP_SCHEDULE_FULL": "0 3 * * 0"}),
    (POSIX, {"PGBACKREST_REPO2_TYPE": "posix", "PGBACKREST_REPO2_PATH": "/r2"}),  # a repository added
    (POSIX, {"PGBACKREST_PROCESS_MAX": "4", "PGBACKREST_COMPRESS_TYPE": "zst"}),
])
def test_changes_that_keep_the_repository(base: dict[str, str], change: dict[str, str]) -> None:
    assert identity.changes(_files(base), _files({**base, **change})) == []


def test_removing_a_repository_is_how_an_old_one_is_retired() -> None:
    two = {**POSIX, "PGBACKREST_REPO2_TYPE": "posix", "PGBACKREST_REPO2_PATH": "/r2"}
    assert identity.changes(_files(two), _files(POSIX)) == []


def test_a_first_publish_changes_nothing() -> None:
    assert identity.changes({}, _files(POSIX)) == []


def test_generate_refuses_and_leaves_the_set_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert generate(out, ENCRYPTED).exit_code is ExitCode.OK
    before = tree(out)
    result = generate(out, {**ENCRYPTED, "PGBACKREST_REPO1_CIPHER_PASS": "LEAKnewpass"})
    assert result.exit_code is ExitCode.CONFIG
    assert [(p.variable, p.code) for p in result.problems] == [
        ("PGBACKREST_REPO1_CIPHER_PASS", "repository-change")]
    assert "LEAKnewpass" not in str(result.doc) and "old-passphrase" not in str(result.doc)
    assert tree(out) == before


def test_allowed_change_is_published_and_recorded(tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate(out, POSIX)
    result = generate(out, {**POSIX, "PGBACKREST_REPO1_PATH": "/moved",
                            "SETUP_ALLOW_REPOSITORY_CHANGE": "true"})
    assert result.exit_code is ExitCode.OK
    assert result.doc["repository_change"] == {
        "generation": 2, "changes": [{"key": "repo1-path", "variable": "PGBACKREST_REPO1_PATH"}]}
    assert [p.code for p in result.problems] == ["repository-change"]


def test_dry_run_reports_the_refusal(tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate(out, POSIX)
    result = generate(out, {**POSIX, "PGBACKREST_STANZA": "other"}, dry_run=True)
    assert result.exit_code is ExitCode.CONFIG
    assert [p.variable for p in result.problems] == ["PGBACKREST_STANZA"]


def test_validate_against_the_published_volume(tmp_path: Path) -> None:
    from setup_service import app

    out = tmp_path / "out"
    generate(out, POSIX)
    env_file = tmp_path / "prod.env"
    env_file.write_text("PGBACKREST_REPO1_TYPE=posix\nPGBACKREST_REPO1_PATH=/moved\n")
    [(_, refused)] = app.validate_files({}, [env_file], False, against=out)
    assert refused.exit_code is ExitCode.CONFIG
    assert [p.variable for p in refused.problems] == ["PGBACKREST_REPO1_PATH"]
    [(_, alone)] = app.validate_files({}, [env_file], False)
    assert alone.exit_code is ExitCode.OK
