"""Applying the per-type JSON Schema to the environment, with errors turned into Problems.

jsonschema's own messages quote the offending value; a secret must never be printed, so each
message here is built from the failing keyword, not taken from jsonschema.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from setup_service import catalogue
from setup_service.env_sources import Setting
from setup_service.problems import Problem
from setup_service.resources import schemas_dir
from setup_service import schema_gen


@functools.lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((schemas_dir() / f"{name}.json").read_text())
    return result


@functools.lru_cache(maxsize=None)
def _validator(repo_type: str) -> Any:
    import jsonschema  # type: ignore[import-untyped]  # lazy: costs tens of milliseconds at start-up

    return jsonschema.Draft202012Validator(load_schema(repo_type))  # self-contained: no registry


_TYPE_FORMS = {
    "boolean": "y or n (true/false also accepted)",
    "integer": "a whole number",
    "size": "a size such as 512MiB or 4GiB",
    "time": "whole seconds, e.g. 60",
    "path": "an absolute path",
}


def _form(name: str, schema: dict[str, Any]) -> str:
    variable = catalogue.BY_NAME.get(name)
    if variable is not None and variable.form:
        return variable.form
    for option_type, form in _TYPE_FORMS.items():
        if schema.get("pattern") == schema_gen.TYPE_PATTERNS.get(option_type):
            return form
    return f"a value matching {schema.get('pattern')}"


def _message(error: Any, secret: bool, name: str) -> tuple[str, str, str]:
    """(code, message, hint) for one jsonschema error."""
    keyword = error.validator
    value = "the value" if secret else repr(error.instance)
    schema = error.schema
    if keyword in ("required", "anyOf"):
        return "missing", "is required for this repository type", ""
    if keyword == "const":
        return "invalid", f"{value} does not match the repository type", ""
    if keyword == "enum":
        return "invalid", f"{value} is not one of the allowed values", \
            "use one of: " + ", ".join(map(str, schema["enum"]))
    if keyword == "pattern":
        return "format", f"{value} is not in the expected form", "use " + _form(name, schema)
    return "invalid", f"{value} is not valid ({keyword})", ""


def check(repo_type: str, settings: dict[str, Setting]) -> list[Problem]:
    """Problems the schema of repo_type finds in the settings."""
    instance = {name: s.value for name, s in settings.items()}
    problems = []
    for error in _validator(repo_type).iter_errors(instance):
        alternative = ""
        if error.validator == "required":
            name = error.message.split("'")[1]
        elif error.validator == "anyOf" and not error.absolute_path:  # either name is required
            name, alternative = (s["required"][0] for s in error.schema["anyOf"][:2])
        else:
            name = str(error.absolute_path[0]) if error.absolute_path else "environment"
        variable = catalogue.BY_NAME.get(name)
        secret = (variable.secret if variable else False) or _schema_secret(error)
        code, message, hint = _message(error, secret, name)
        if code == "missing":
            hint = f"set {name}" + (f", e.g. {name}={variable.example}" if variable and
                                    variable.example and not secret else "")
            hint += f" (or pgBackRest's own name, {alternative})" if alternative else ""
        source = settings[name].source if name in settings else ""
        problems.append(Problem(name, message, hint=hint, code=code, source=source))
    return problems


def _schema_secret(error: Any) -> bool:
    return bool(error.schema.get("writeOnly")) if isinstance(error.schema, dict) else False
