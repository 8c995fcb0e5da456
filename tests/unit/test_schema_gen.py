"""The committed schemas are exactly what the catalogue generates, and are valid JSON Schemas."""

from __future__ import annotations

import json

import jsonschema
import pytest

from setup_service import catalogue, option_table, schema_gen
from setup_service.resources import schemas_dir


def test_committed_schemas_equal_generated() -> None:
    for name, schema in schema_gen.generated().items():
        committed = (schemas_dir() / name).read_text()
        assert json.loads(committed) == schema, name
        assert committed == schema_gen.dump(schema), name


@pytest.mark.parametrize("name", sorted([*schema_gen.generated(), "status.json"]))
def test_schemas_are_valid_draft_2020_12(name: str) -> None:
    """common.json once held "description": null for options without a summary."""
    schema = json.loads((schemas_dir() / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)


def test_every_variable_is_in_a_schema() -> None:
    generated = schema_gen.generated()
    listed = set(generated["common.json"]["properties"])
    for repo_type in catalogue.REPO_TYPES:
        listed |= set(generated[f"{repo_type}.json"]["properties"])
    assert listed == {v.name for v in catalogue.VARIABLES}


def test_required_per_type_comes_from_the_catalogue() -> None:
    """Required variables, credentials only while their key type needs them (not with auto)."""
    import jsonschema

    for repo_type in catalogue.STORAGE_TYPES:
        schema = schema_gen.type_schema(repo_type)
        expected = {v.name for v in catalogue.VARIABLES if repo_type in v.required_for}
        validator = jsonschema.Draft202012Validator(
            schema, registry=_registry())
        errors = list(validator.iter_errors({catalogue.TYPE_VARIABLE: repo_type}))
        # each required option by the guide's name or pgBackRest's own (anyOf of two requireds)
        missing = {e.schema["anyOf"][0]["required"][0] for e in errors if e.validator == "anyOf"}
        missing |= {e.message.split("'")[1] for e in errors if e.validator == "required"}
        assert missing == expected, repo_type
        own = {e.schema["anyOf"][1]["required"][0] for e in errors if e.validator == "anyOf"}
        assert own == {option_table.options()[catalogue.BY_NAME[n].option].env_name(1)  # type: ignore[index]
                       for n in expected}
    assert "required" not in schema_gen.type_schema("none")


def _registry():  # type: ignore[no-untyped-def]
    from referencing import Registry, Resource

    return Registry().with_resource(schema_gen.BASE_URI + "common", Resource.from_contents(schema_gen.common_schema()))


@pytest.mark.parametrize("repo_type, selector, credentials", [
    ("s3", "PGBACKREST_REPO1_S3_KEY_TYPE", {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}),
    ("gcs", "PGBACKREST_REPO1_GCS_KEY_TYPE", {"GCS_KEY"}),
])
def test_credentials_are_optional_with_key_type_auto(repo_type: str, selector: str, credentials: set[str]) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema_gen.type_schema(repo_type), registry=_registry())
    missing = {e.message.split("'")[1] for e in validator.iter_errors(
        {catalogue.TYPE_VARIABLE: repo_type, selector: "auto"}) if e.validator == "required"}
    assert not missing & credentials


def test_secrets_are_write_only() -> None:
    common = schema_gen.common_schema()
    for repo_type in catalogue.REPO_TYPES:
        for name, prop in schema_gen.type_schema(repo_type)["properties"].items():
            assert prop.get("writeOnly", False) == (name in catalogue.SECRET_NAMES), name
    for name, prop in common["properties"].items():
        assert prop.get("writeOnly", False) == (name in catalogue.SECRET_NAMES), name
    secure = [o for o in option_table.options().values() if o.secure]
    for option in secure:
        pattern = next(p for p in common["patternProperties"] if p.endswith(
            option.name.upper().replace("-", "_")[len(option.group or ""):] + "$"))
        assert common["patternProperties"][pattern].get("writeOnly") is True


def test_option_patterns_match_indexed_names() -> None:
    import re

    patterns = [re.compile(p) for p in schema_gen.common_schema()["patternProperties"]]
    for name in ("PGBACKREST_REPO2_S3_BUCKET", "PGBACKREST_REPO256_PATH", "PGBACKREST_PG1_PATH",
                 "PGBACKREST_PROCESS_MAX"):
        assert any(p.search(name) for p in patterns), name
    for name in ("PGBACKREST_REPO0_PATH", "PGBACKREST_REPO257_PATH", "PGBACKREST_STANZA_X",
                 "PGBACKREST_TYPE"):
        assert not any(p.search(name) for p in patterns), name
