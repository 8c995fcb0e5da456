"""Rendering a SetupConfig into the files of one set, read back as the consumers read them."""

from __future__ import annotations

import shlex

import pytest

from setup_service import render
from tests.property.pgbackrest_ini import parse, read_rendered
from tests.unit.support import (AZURE_KEY, GCS, MOUNT, POSIX, S3, S3_SECRET, check, keyed, only,
                                rendered_options, warnings_of)


def _files(env: dict[str, str], mount_path: str = MOUNT) -> dict[str, render.RenderedFile]:
    outcome = check(env, mount_path=mount_path)
    assert outcome.config is not None, [p.as_dict() for p in outcome.problems]
    return render.render(outcome.config)


def _settings(text: str) -> dict[str, str]:
    """postgresql.conf lines: name = value."""
    pairs = [line.split(" = ", 1) for line in text.splitlines() if line and not line.startswith("#")]
    return {k: v for k, v in pairs}


def _cron(text: str) -> list[tuple[str, str]]:
    """(schedule, backup type) of each line; the restore drill's as (schedule, "drill")."""
    lines = [line.rsplit(" run-backup ", 1) if " run-backup " in line else [line.removesuffix(" restore-drill"), "drill"]
             for line in text.splitlines() if line and not line.startswith("#")]
    return [(schedule, kind) for schedule, kind in lines]


def test_the_set_of_files() -> None:
    files = _files(GCS)
    assert set(files) == {"pgbackrest.conf", "conf.d/repo.conf", "postgresql-archive.conf", "crontab",
                          "files/repo1-gcs-key.json"}
    assert {path for path, f in files.items() if f.secret} == {"conf.d/repo.conf", "files/repo1-gcs-key.json"}


def test_options_read_back_with_pgbackrests_rules() -> None:
    env = {**S3, "PGBACKREST_STANZA": "main", "PGBACKREST_PROCESS_MAX": "4", "PGBACKREST_DB_INCLUDE": "a:b"}
    config = rendered_options(check(env))
    assert set(config) == {"global", "global:archive-get", "main"}
    # async archiving pushes only: async archive-get races in pgBackRest 2.45 (issue 2423)
    assert config["global"]["archive-async"] == ["y"]
    assert config["global:archive-get"] == {"archive-async": ["n"]}
    assert config["main"] == {"pg1-path": ["/var/lib/postgresql/data"], "pg1-port": ["5432"],
                              "pg1-socket-path": ["/var/run/postgresql"], "pg1-user": ["postgres"]}
    assert config["global"]["process-max"] == ["4"]
    assert config["global"]["db-include"] == ["a", "b"]
    assert config["global"]["repo1-s3-key-secret"] == [S3_SECRET]
    assert config["global"]["repo1-type"] == ["s3"]


def test_async_archive_get_chosen_by_the_user_is_kept_with_a_warning() -> None:
    outcome = check({**POSIX, "PGBACKREST_ARCHIVE_ASYNC": "y"})
    config = rendered_options(outcome)
    assert "global:archive-get" not in config and config["global"]["archive-async"] == ["y"]
    assert keyed(warnings_of(outcome)) == {("PGBACKREST_ARCHIVE_ASYNC", "version", "warning")}
    assert "issue 2423" in only(outcome.problems, "PGBACKREST_ARCHIVE_ASYNC")[0].message


def test_no_archive_get_section_without_async_archiving() -> None:
    config = rendered_options(check({**POSIX, "PGBACKREST_ARCHIVE_ASYNC": "n"}))
    assert "global:archive-get" not in config


def test_main_file_has_no_repository_options() -> None:
    files = _files(S3)
    main = parse(files["pgbackrest.conf"].content.decode())
    assert not [k for section in main.values() for k in section if k.startswith("repo")]
    assert S3_SECRET.encode() not in files["pgbackrest.conf"].content
    repo = parse(files["conf.d/repo.conf"].content.decode())
    assert set(repo) == {"global"}
    assert all(k.startswith("repo1-") for k in repo["global"])


def test_no_repository_when_backups_are_disabled() -> None:
    files = _files({**S3, "SETUP_BACKUP": "false"})
    assert parse(files["conf.d/repo.conf"].content.decode()) == {"global": {}}
    assert _settings(files["postgresql-archive.conf"].content.decode()) == {"archive_mode": "off"}
    assert _cron(files["crontab"].content.decode()) == []


def test_archive_settings_when_backups_are_enabled() -> None:
    files = _files({**POSIX, "PGBACKREST_STANZA": "main"}, mount_path="/mnt/conf")
    settings = _settings(files["postgresql-archive.conf"].content.decode())
    assert settings["archive_mode"] == "on"
    assert settings["wal_level"] == "replica"
    command = settings["archive_command"]
    assert command.startswith("'") and command.endswith("'")
    assert shlex.split(command[1:-1]) == ["pgbackrest", "--config=/mnt/conf/pgbackrest.conf",
                                          "--config-include-path=/mnt/conf/conf.d", "--stanza=main",
                                          "archive-push", "%p"]


def test_crontab_lines() -> None:
    files = _files({**POSIX, "BACKUP_SCHEDULE_INCR": "0 */6 * * *"})
    assert _cron(files["crontab"].content.decode()) == [
        ("0 2 * * 0", "full"), ("0 2 * * 1-6", "diff"), ("0 */6 * * *", "incr"), ("0 5 1 * *", "drill")]


def test_the_restore_drill_is_monthly_by_default_and_an_empty_schedule_turns_it_off() -> None:
    assert _cron(_files({**POSIX, "BACKUP_SCHEDULE_DRILL": "30 4 * * 6"})["crontab"].content.decode())[-1] == \
        ("30 4 * * 6", "drill")
    assert [kind for _, kind in _cron(_files({**POSIX, "BACKUP_SCHEDULE_DRILL": ""})["crontab"].content.decode())] \
        == ["full", "diff"]


def test_encrypted_repository_is_marked() -> None:
    files = _files({**POSIX, "PGBACKREST_REPO1_CIPHER_TYPE": "aes-256-cbc", "PGBACKREST_REPO1_CIPHER_PASS": "pw"})
    assert b"# repository 1: posix (encrypted)" in files["conf.d/repo.conf"].content


def test_values_with_ini_characters_stay_values() -> None:
    config = rendered_options(check({**POSIX, "PGBACKREST_REPO1_CIPHER_TYPE": "aes-256-cbc",
                                     "PGBACKREST_REPO1_CIPHER_PASS": "a=b#[c] ;d"}))
    assert config["global"]["repo1-cipher-pass"] == ["a=b#[c] ;d"]


def test_content_hash() -> None:
    files = _files(POSIX)
    digest = render.content_hash(files)
    assert digest.startswith("sha256:") and len(digest) == len("sha256:") + 64
    assert render.content_hash(dict(reversed(list(files.items())))) == digest
    changed = dict(files, crontab=render.RenderedFile(b"x", False))
    assert render.content_hash(changed) != digest
    moved = {("x" + k if k == "crontab" else k): v for k, v in files.items()}
    assert render.content_hash(moved) != digest


def test_redacted_hides_secret_values_and_files() -> None:
    outcome = check({**S3, "AWS_SESSION_TOKEN": "tok-SECRET"})
    assert outcome.config is not None
    files = render.render(outcome.config)
    shown = render.redacted("conf.d/repo.conf", files["conf.d/repo.conf"])
    assert S3_SECRET not in shown and S3["AWS_ACCESS_KEY_ID"] not in shown and "tok-SECRET" not in shown
    assert "repo1-s3-key-secret=<redacted>" in shown
    assert "repo1-s3-bucket=unit-bucket" in shown
    secret_file = render.RenderedFile(b"PRIVATE", True)
    assert "PRIVATE" not in render.redacted("files/k.json", secret_file)
    assert render.redacted("files/ca.pem", render.RenderedFile(b"PUBLIC\n", False)) == "PUBLIC\n"


def test_redacted_with_a_unicode_line_separator_in_a_secret() -> None:
    """Redaction splits at LF only, as pgBackRest does (str.splitlines() once leaked the tail)."""
    secret = "first\u2028leaked=tail"
    outcome = check({**S3, "AWS_SECRET_ACCESS_KEY": secret})
    assert outcome.config is not None
    files = render.render(outcome.config)
    assert read_rendered(files)["global"]["repo1-s3-key-secret"] == [secret]  # pgBackRest reads it whole
    shown = render.redacted("conf.d/repo.conf", files["conf.d/repo.conf"])
    assert "leaked" not in shown


def test_azure_secret_values_only_in_repo_conf() -> None:
    from tests.unit.support import AZURE

    files = _files(AZURE)
    for path, file in files.items():
        assert (AZURE_KEY.encode() in file.content) == (path == "conf.d/repo.conf"), path


def test_stanza_only_option_goes_to_the_stanza_section() -> None:
    """pg-version-force was once rendered in [global], where pgBackRest ignores it with a warning."""
    config = rendered_options(check({**POSIX, "PGBACKREST_PG_VERSION_FORCE": "15"}))
    assert config["salespider"]["pg-version-force"] == ["15"]
    assert "pg-version-force" not in config["global"]


def test_every_secret_variable_sets_a_key_that_is_redacted() -> None:
    """Redaction has one rule: the option table's secure flag, or the catalogue's secret flag."""
    from setup_service import catalogue, option_table

    for variable in catalogue.VARIABLES:
        if variable.option:
            key = option_table.options()[variable.option].key(1)
            assert render.is_secret_key(key) is variable.secret or \
                option_table.options()[variable.option].secure, variable.name
    assert not render.is_secret_key("repo1-s3-bucket")
    assert render.is_secret_key("repo7-azure-key")
