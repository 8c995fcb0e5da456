"""One reporter for problems and results: text for people, JSON for machines, GitHub annotations."""

from __future__ import annotations

import json
from typing import Any, Callable

from setup_service.problems import Problem, Severity


def _text_problem(p: Problem) -> str:
    where = f" (from {p.source})" if p.source else ""
    line = f"{p.severity.value}: {p.variable}{where}: {p.message}"
    return line + (f"\n  fix: {p.hint}" if p.hint else "")


def _summary(doc: dict[str, Any]) -> str:
    n_err, n_warn = len(doc.get("problems", [])), len(doc.get("warnings", []))
    result = doc["result"]
    if result == "invalid":
        return f"{n_err} error(s), {n_warn} warning(s): nothing was written"
    parts = [f"result: {result}"]
    if "backups_enabled" in doc:
        repos = ", ".join(f"repo{r['index']}={r['type']}" + (" (encrypted)" if r["encrypted"] else "")
                          for r in doc.get("repositories", []))
        parts.append(f"backups {'enabled: ' + repos if doc['backups_enabled'] else 'disabled'}")
        parts.append(f"stanza {doc['stanza']}")
    if doc.get("generation"):
        parts.append(f"generation {doc['generation']}")
    if doc.get("output_dir"):
        parts.append(f"in {doc['output_dir']}")
    if n_warn:
        parts.append(f"{n_warn} warning(s)")
    return "; ".join(parts)


def text(doc: dict[str, Any], problems: list[Problem]) -> str:
    lines = [_text_problem(p) for p in problems]
    check = doc.get("pgbackrest_check")
    if check and check.get("result") == "failed":
        lines += [f"error: pgbackrest: {m}" for m in check.get("messages", [])]
    lines.append(_summary(doc))
    return "\n".join(lines)


def problems_from(doc: dict[str, Any]) -> list[Problem]:
    """The problems recorded in a status document, for reprinting it."""
    return [Problem(p["variable"], p["message"], hint=p.get("hint", ""), source=p.get("source", ""),
                    severity=Severity(p["severity"]), code=p["code"])
            for p in doc.get("warnings", []) + doc.get("problems", [])]


def json_report(doc: dict[str, Any], problems: list[Problem]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True)


def _escape(value: str, *, property_value: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if property_value else value


def github(doc: dict[str, Any], problems: list[Problem], env_file: str | None = None,
           lines: dict[str, int] | None = None) -> str:
    """GitHub Actions workflow commands: each problem points at the env file being validated and,
    when the variable (or its NAME_FILE) is written there, at its line; the summary names the file."""
    out = []
    for p in problems:
        kind = "error" if p.severity is Severity.ERROR else "warning"
        props = []
        file = env_file if env_file is not None else \
            p.source[len(".env file "):] if p.source.startswith(".env file ") else None
        if file is not None:
            props.append(f"file={_escape(file, property_value=True)}")
            line = (lines or {}).get(p.variable) or (lines or {}).get(p.variable + "_FILE")
            if line:
                props.append(f"line={line}")
        props.append(f"title={_escape(p.variable, property_value=True)}")
        message = p.message + (f" (fix: {p.hint})" if p.hint else "")
        out.append(f"::{kind} {','.join(props)}::{_escape(p.variable + ' ' + message)}")
    out.append((f"{env_file}: " if env_file is not None else "") + _summary(doc))
    return "\n".join(out)


REPORTERS: dict[str, Callable[[dict[str, Any], list[Problem]], str]] = {
    "text": text, "json": json_report, "github": github}
