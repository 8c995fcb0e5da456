"""Scopes: the options of [global], each pg index and each repository, with defaults and depends."""

from __future__ import annotations

import pytest

from setup_service import catalogue, classify, scopes
from setup_service.problems import Severity
from setup_service.collector import Collector
from tests.unit.support import MOUNT, reader, settings


def _builder(env: dict[str, str], repo_type: str) -> tuple[scopes.ScopeBuilder, Collector]:
    collector = Collector(settings(env))
    builder = scopes.ScopeBuilder(collector, MOUNT, reader())
    assignments, problems = classify.classify(settings(env))
    assert problems == []
    builder.open_repos(assignments, repo_type)
    builder.assign(assignments)
    builder.apply_defaults()
    builder.normalise()
    return builder, collector


def test_scope_get_own_inherited_and_default() -> None:
    glob = scopes.Scope(None, {"process-max": ["4"]})
    repo = scopes.Scope(1, {"repo-type": ["s3"]}, parent=glob)
    assert repo.get("repo-type") == "s3"
    assert repo.get("process-max") == "4"  # inherited
    assert repo.get("compress-type") == "gz"  # pgBackRest's default
    assert repo.get("repo-s3-bucket") is None
    assert repo.flat() == {"process-max": "4", "repo-type": "s3"}
    assert scopes.Scope(1, {"repo-type": ["s3"]}).get("repo-storage-upload-chunk-size") == str(5 * 1024 ** 2)


def test_scope_default_uses_the_scope_s_own_context() -> None:
    """A default chosen by another option is looked up in the repository, not in [global]."""
    repo = scopes.Scope(1, {"repo-type": ["s3"]}, parent=scopes.Scope(None))
    assert repo.get("repo-storage-upload-chunk-size") == str(5 * 1024 ** 2)


def test_scope_valid_follows_the_dependency_chain() -> None:
    s3 = scopes.Scope(1, {"repo-type": ["s3"]})
    posix = scopes.Scope(1, {"repo-type": ["posix"]})
    assert s3.valid("repo-s3-bucket") and not posix.valid("repo-s3-bucket")
    assert s3.valid("repo-s3-key")  # repo-s3-key-type defaults to shared
    assert not scopes.Scope(1, {"repo-type": ["s3"], "repo-s3-key-type": ["auto"]}).valid("repo-s3-key")
    assert not posix.valid("repo-cipher-pass")
    assert scopes.Scope(1, {"repo-cipher-type": ["aes-256-cbc"]}).valid("repo-cipher-pass")
    assert scopes.Scope(None).valid("process-max")


def test_scope_valid_with_a_boolean_dependency() -> None:
    """Depend values [True] match y (and the default True); they once never matched."""
    assert scopes.Scope(None).valid("archive-mode-check")
    assert scopes.Scope(None, {"sck-keep-alive": ["y"]}).valid("tcp-keep-alive-count")


def test_defaults_applied() -> None:
    builder, collector = _builder({"PGBACKREST_PROCESS_MAX": "4"}, "posix")
    assert collector.problems == []
    assert builder.glob.values["process-max"] == ["4"]  # the user's value wins
    for name, value in catalogue.PRODUCTION_DEFAULTS.items():
        if name != "process-max":
            assert builder.glob.values[name] == [value]
    assert {k: v[0] for k, v in builder.pgs[1].values.items()} == catalogue.STANZA_DEFAULTS
    assert builder.repos[1].values["repo-retention-full"] == ["7"]
    assert builder.repos[1].values["repo-retention-diff"] == ["3"]


def test_every_repo_variable_reaches_every_repository() -> None:
    env = {"BACKUP_RETENTION_FULL": "5", "PGBACKREST_REPO2_TYPE": "posix", "PGBACKREST_REPO3_TYPE": "s3",
           "PGBACKREST_REPO3_RETENTION_FULL": "1"}
    builder, _ = _builder(env, "posix")
    assert {i: s.values["repo-retention-full"] for i, s in builder.repos.items()} == \
        {1: ["5"], 2: ["5"], 3: ["1"]}


def test_repo_options_without_any_repository_are_ignored() -> None:
    builder, collector = _builder({"PGBACKREST_REPO1_PATH": "/x", "PGBACKREST_REPO2_TYPE": "s3"}, "none")
    assert builder.repos == {}
    assert {(p.variable, p.code, p.severity) for p in collector.problems} == {
        ("PGBACKREST_REPO1_PATH", "ignored", Severity.WARNING),
        ("PGBACKREST_REPO2_TYPE", "ignored", Severity.WARNING)}


def test_repo2_without_type_is_reported_once() -> None:
    _, collector = _builder({"PGBACKREST_REPO2_PATH": "/x", "PGBACKREST_REPO2_RETENTION_FULL": "2"}, "posix")
    assert [(p.variable, p.code) for p in collector.problems] == [("PGBACKREST_REPO2_TYPE", "missing")]


def test_pg_options_get_their_own_scope() -> None:
    builder, _ = _builder({"PGBACKREST_PG2_PATH": "/pg2", "PGBACKREST_PG1_PORT": "5433"}, "posix")
    assert builder.pgs[2].values == {"pg-path": ["/pg2"]}
    assert builder.pgs[1].values["pg-port"] == ["5433"]


def test_bad_value_is_a_format_problem() -> None:
    builder, collector = _builder({"PGBACKREST_PROCESS_MAX": "lots"}, "posix")
    assert [(p.variable, p.code) for p in collector.problems] == [("PGBACKREST_PROCESS_MAX", "format")]
    assert "process-max" not in builder.glob.origin  # a rejected value takes no further part


@pytest.mark.parametrize(("name", "value", "repo_type"), [
    ("PGBACKREST_REPO1_AZURE_KEY_TYPE", "auto", "azure"),  # allow list: auto is 2.58's
    ("PGBACKREST_PG1_SOCKET_PATH", "run/postgresql", "posix"),  # a path (leading '/') until 2.55
    ("PGBACKREST_BACKUP_STANDBY", "prefer", "posix"),  # a boolean until 2.54
    ("PGBACKREST_COMPRESS_LEVEL_NETWORK", "11", "posix"),  # 0..9 until 2.55
])
def test_a_value_the_images_pgbackrest_refuses_is_an_error(name: str, value: str, repo_type: str) -> None:
    """pgBackRest 2.45 refuses the whole file for such a value (an option it does not know, it
    only warns about and ignores: that stays a warning)."""
    builder, collector = _builder({name: value}, repo_type)
    assert [(p.variable, p.code, p.severity) for p in collector.problems] == [(name, "version", Severity.ERROR)]
    assert "pgBackRest 2.45" in collector.problems[0].message
    everywhere = [builder.glob, *builder.pgs.values(), *builder.repos.values()]
    assert not any(a.variable == name for scope in everywhere for a in scope.origin.values())  # not written


def test_a_value_only_newer_pgbackrest_takes_is_fine_when_the_images_run_it() -> None:
    env = {"PGBACKREST_PG1_SOCKET_PATH": "run/postgresql", "PGBACKREST_BACKUP_STANDBY": "prefer"}
    collector = Collector(settings(env), (2, 59))
    builder = scopes.ScopeBuilder(collector, MOUNT, reader())
    assignments, _ = classify.classify(settings(env), (2, 59))
    builder.open_repos(assignments, "posix")
    builder.assign(assignments)
    builder.normalise()
    assert collector.problems == []


def test_the_2_45_hint_lists_its_allowed_values() -> None:
    _, collector = _builder({"PGBACKREST_REPO1_AZURE_KEY_TYPE": "auto"}, "azure")
    assert "shared, sas" in collector.problems[0].hint


def test_multi_values_are_split() -> None:
    builder, _ = _builder({"PGBACKREST_DB_INCLUDE": "app:audit"}, "posix")
    assert builder.glob.values["db-include"] == ["app", "audit"]
