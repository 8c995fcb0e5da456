"""JSON Schemas of the environment, one per repository type, generated from the catalogue.

`python -m setup_service.schema_gen` rewrites schemas/; a unit test checks that the committed
files are what the catalogue generates, so the schemas can never drift from the contract.

Every file stands alone, for the standard tools (check-jsonschema, ajv, editors): each type's
schema carries the shared variables in its own `$defs` (no reference leaves the file), and
environment.json holds them all, choosing the type by PGBACKREST_REPO1_TYPE. Patterns stay in
the ECMA-262 subset the JSON Schema specification asks for.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from setup_service import catalogue, namespace, option_table
from setup_service.resources import schemas_dir

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_URI = "urn:setup-service:schema:"
_INDEX = "(?:[1-9][0-9]?|1[0-9]{2}|2[0-4][0-9]|25[0-6])"
# PGBACKREST_REPO1_TYPE is the catalogue's (it also takes "none"); other indexes are pgBackRest's.
_INDEX_FROM_2 = "(?:[2-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-6])"
TYPE_PATTERNS = {
    "boolean": catalogue.BOOL_PATTERN,
    "integer": "^[+-]?[0-9]+$",
    "size": "^[0-9]+([KkMmGgTtPp][Ii]?[Bb]?|[Bb])?$",
    "time": "^[0-9]+(\\.[0-9]+)?(ms|s|m|h|d|w)?$",
    "path": "^/",
}


def _variable_schema(variable: catalogue.Variable) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "minLength": 1, "description": variable.summary}
    if variable.name in namespace.EMPTY_IS_A_VALUE:
        del schema["minLength"]  # empty means off
    if variable.pattern:
        schema["pattern"] = variable.pattern
    if variable.enum:
        schema["enum"] = list(variable.enum)
    if variable.default is not None:
        schema["default"] = variable.default
    if variable.secret:
        schema["writeOnly"] = True
    return schema


def _option_schema(option: option_table.Option) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "minLength": 1}
    if option.summary:
        schema["description"] = option.summary
    if option.type in TYPE_PATTERNS:
        schema["pattern"] = TYPE_PATTERNS[option.type]
    if option.name == "repo-type":
        schema["enum"] = list(catalogue.STORAGE_TYPES)
    elif option.allow is not None and not option.multi:
        schema["enum"] = list(option.allow)
    if option.secure:
        schema["writeOnly"] = True
    return schema


def _option_pattern(option: option_table.Option) -> str:
    name = option.name.upper().replace("-", "_")
    if option.group:
        group = option.group.upper()
        index = _INDEX_FROM_2 if option.name == "repo-type" else _INDEX
        name = f"{group}{index}{name[len(group):]}"
    return f"^{option_table.ENV_PREFIX}{name}$"


def _command_pattern(option: option_table.Option) -> str:
    """PGBACKREST_<COMMAND>__<OPTION> for the commands the option may be set for."""
    commands = "|".join(c.upper().replace("-", "_") for c in option.commands)
    return (f"^{option_table.ENV_PREFIX}(?:{commands}){option_table.COMMAND_SEPARATOR}"
            f"{option.name.upper().replace('-', '_')}$")


def common_schema() -> dict[str, Any]:
    settable = [o for o in option_table.options().values() if option_table.settable(o)]
    per_command = {_command_pattern(o): _option_schema(o) for o in settable
                   if o.command_sections and not o.group and o.commands}
    return {
        "$schema": DIALECT,
        "$id": BASE_URI + "common",
        "title": "setup-service environment: variables shared by every repository type",
        "type": "object",
        "properties": {v.name: _variable_schema(v) for v in catalogue.VARIABLES
                       if not v.repo_types and v.name != catalogue.TYPE_VARIABLE},
        "patternProperties": {**{_option_pattern(o): _option_schema(o) for o in settable},
                              **per_command},
    }


def type_schema(repo_type: str) -> dict[str, Any]:
    own = [v for v in catalogue.VARIABLES if repo_type in v.repo_types]
    type_var = catalogue.BY_NAME[catalogue.TYPE_VARIABLE]
    type_prop = dict(_variable_schema(type_var), const=repo_type)
    type_prop.pop("enum", None)
    required = [v for v in own if repo_type in v.required_for and not _conditional(v)]
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "$id": BASE_URI + repo_type,
        "title": f"setup-service environment for repository type {repo_type}",
        "type": "object",
        "allOf": [{"$ref": _COMMON_REF}],
        "properties": {catalogue.TYPE_VARIABLE: type_prop,
                       **{v.name: _variable_schema(v) for v in own}},
    }
    if repo_type != "none":
        schema["required"] = [catalogue.TYPE_VARIABLE]
    conditions = [_required(v) for v in required]
    conditions += [_required_unless(v) for v in own if repo_type in v.required_for and _conditional(v)]
    if conditions:
        schema["allOf"] += conditions
    schema["$defs"] = {"common": _embedded(common_schema())}
    return schema


_COMMON_REF = "#/$defs/common"


def _embedded(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema as a $defs entry: no $schema, $id or $defs of its own."""
    return {k: v for k, v in schema.items() if k not in ("$schema", "$id", "$defs")}


def environment_schema() -> dict[str, Any]:
    """Every repository type in one schema: PGBACKREST_REPO1_TYPE (unset or empty: none) picks
    the type's rules. What `setup-service schema` prints with no argument."""
    type_var = catalogue.TYPE_VARIABLE
    chosen = [{"if": {"required": [type_var], "properties": {type_var: {"const": t}}},
               "then": {"$ref": f"#/$defs/{t}"}} for t in catalogue.REPO_TYPES]
    unset = {"if": {"not": {"required": [type_var]}}, "then": {"$ref": "#/$defs/none"}}
    return {
        "$schema": DIALECT,
        "$id": BASE_URI + "environment",
        "title": "setup-service environment (any repository type)",
        "type": "object",
        "properties": {type_var: _variable_schema(catalogue.BY_NAME[type_var])},
        "allOf": [unset, *chosen],
        "$defs": {"common": _embedded(common_schema()),
                  **{t: _embedded(type_schema(t)) for t in catalogue.REPO_TYPES}},
    }


def _conditional(variable: catalogue.Variable) -> dict[str, Any] | None:
    """The depend rule that makes a credential optional (key type auto), if any."""
    depend = option_table.options()[variable.option].depend if variable.option else None
    if depend is None or depend["option"] == "repo-type" or depend["values"] is None:
        return None
    return depend


def required_names(variable: catalogue.Variable) -> list[str]:
    """The names any one of which sets the variable: the guide's or pgBackRest's own
    (AWS_S3_BUCKET or PGBACKREST_REPO1_S3_BUCKET)."""
    if variable.option is None:
        return [variable.name]
    option = option_table.options()[variable.option]
    names = [variable.name, option.env_name(1)]
    if option.unindexed:  # pgBackRest still reads PGBACKREST_REPO_S3_BUCKET (deprecated)
        names.append(option.env_name(None))
    return names


def _required(variable: catalogue.Variable) -> dict[str, Any]:
    names = required_names(variable)
    if len(names) == 1:
        return {"required": names}
    return {"anyOf": [{"required": [name]} for name in names]}


def _required_unless(variable: catalogue.Variable) -> dict[str, Any]:
    """Required while the key-type option it depends on is unset (its default) or allows it."""
    depend = _conditional(variable) or {}
    selector = option_table.options()[depend["option"]].env_name(1)
    return {
        "if": {"required": [selector],
               "properties": {selector: {"not": {"enum": depend["values"]}}}},
        "else": _required(variable),
    }


def validate_schema() -> dict[str, Any]:
    """What `validate --format json` prints for several files: one status document per file."""
    status = json.loads((Path(schemas_dir()) / "status.json").read_text())
    return {
        "$schema": DIALECT,
        "$id": BASE_URI + "validate",
        "title": "setup-service validate --format json, several files",
        "description": "With one file, validate --format json prints that file's status document "
                       "(status.json); with several, this: each file's status and exit code, and the "
                       "run's result and exit code (the first failure's).",
        "type": "object",
        "required": ["schema_version", "result", "exit_code", "files"],
        "additionalProperties": False,
        "properties": {
            "schema_version": {"const": 1},
            "result": {"enum": ["valid", "invalid"]},
            "exit_code": {"type": "integer"},
            "files": {"type": "array", "items": {
                "type": "object", "required": ["file", "exit_code", "status"], "additionalProperties": False,
                "properties": {"file": {"type": "string"}, "exit_code": {"type": "integer"},
                               "status": {"$ref": "#/$defs/status"}}}},
        },
        "$defs": {"status": _embedded(status), **status.get("$defs", {})},
    }


def generated() -> dict[str, dict[str, Any]]:
    """File name -> schema, for every generated schema."""
    files = {"common.json": common_schema(), "environment.json": environment_schema()}
    files.update({f"{t}.json": type_schema(t) for t in catalogue.REPO_TYPES})
    files["validate.json"] = validate_schema()
    return files


def dump(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2) + "\n"


def main() -> int:
    target = Path(schemas_dir())
    for name, schema in generated().items():
        (target / name).write_text(dump(schema))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
