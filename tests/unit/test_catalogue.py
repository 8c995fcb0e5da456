"""The catalogue is consistent with itself and with pgBackRest's option table."""

from __future__ import annotations

import re

import pytest

from setup_service import catalogue, option_table


def test_names_are_unique_and_indexed() -> None:
    names = [v.name for v in catalogue.VARIABLES]
    assert len(names) == len(set(names))
    assert set(catalogue.BY_NAME) == set(names)


def test_every_option_exists_in_the_option_table() -> None:
    table = option_table.options()
    for variable in catalogue.VARIABLES:
        if variable.option:
            assert variable.option in table, variable.name
    for name in (*catalogue.FILE_OPTIONS, *catalogue.PRODUCTION_DEFAULTS, *catalogue.STANZA_DEFAULTS):
        assert name in table, name


def test_by_option_maps_each_option_to_one_friendly_variable() -> None:
    with_option = [v for v in catalogue.VARIABLES if v.option]
    assert len({v.option for v in with_option}) == len(with_option)
    assert catalogue.BY_OPTION["repo-s3-bucket"].name == "AWS_S3_BUCKET"
    assert catalogue.BY_OPTION["repo-gcs-key"].name == "GCS_KEY"


def test_secret_names() -> None:
    assert catalogue.SECRET_NAMES == {v.name for v in catalogue.VARIABLES if v.secret}
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AZURE_STORAGE_KEY", "GCS_KEY", "BACKUP_WEBHOOK_URL", "DATABASE_URL"):
        assert name in catalogue.SECRET_NAMES
    for name in ("AWS_S3_BUCKET", "AWS_REGION", "PGBACKREST_STANZA", "BACKUP_SCHEDULE_FULL"):
        assert name not in catalogue.SECRET_NAMES


def test_secure_options_have_secret_friendly_variables() -> None:
    table = option_table.options()
    for variable in catalogue.VARIABLES:
        if variable.option and table[variable.option].secure:
            assert variable.secret, variable.name


@pytest.mark.parametrize("variable", catalogue.VARIABLES, ids=lambda v: v.name)
def test_pattern_enum_and_examples_agree(variable: catalogue.Variable) -> None:
    if variable.pattern:
        pattern = re.compile(variable.pattern)
        if variable.example:
            assert pattern.search(variable.example), variable.example
        if variable.default:
            assert pattern.search(variable.default), variable.default
        assert variable.form, "a pattern needs a form for the error hint"
    if variable.enum:
        assert variable.default is None or variable.default in variable.enum


@pytest.mark.parametrize("variable", catalogue.VARIABLES, ids=lambda v: v.name)
def test_repo_type_lists_are_repo_types(variable: catalogue.Variable) -> None:
    assert set(variable.repo_types) <= set(catalogue.STORAGE_TYPES)
    assert set(variable.required_for) <= set(variable.repo_types)
    assert variable.used_by in ("setup", "pgbackrest", "scheduler", "backup-status", "restore-drill", "compose", "cli")


def test_type_variable() -> None:
    variable = catalogue.BY_NAME[catalogue.TYPE_VARIABLE]
    assert variable.enum == catalogue.REPO_TYPES
    assert variable.default == "none"
    assert set(catalogue.STORAGE_TYPES) == set(catalogue.REPO_TYPES) - {"none"}


def test_every_repo_variables_are_retention() -> None:
    every = {v.name: v.option for v in catalogue.VARIABLES if v.every_repo}
    assert every == {"BACKUP_RETENTION_FULL": "repo-retention-full",
                     "BACKUP_RETENTION_DIFF": "repo-retention-diff"}


def test_production_defaults_are_valid_option_values() -> None:
    from setup_service import values

    table = option_table.options()
    for name, value in {**catalogue.PRODUCTION_DEFAULTS, **catalogue.STANZA_DEFAULTS}.items():
        values.normalise(table[name], value, {}, secret=False)  # raises when invalid


def test_variables_whose_empty_value_is_a_value() -> None:
    """An empty value counts as unset, except for these (an empty drill schedule turns drills
    off): each is in the catalogue, and its pattern takes the empty value."""
    import re

    from setup_service import namespace

    for name in namespace.EMPTY_IS_A_VALUE:
        variable = catalogue.BY_NAME[name]
        assert variable.pattern and re.match(variable.pattern, ""), name
        assert variable.default, name  # unset takes the default, empty turns it off
