#!/usr/bin/env python3
"""Derive setup_service/pgbackrest_options.json from the shared pgBackRest option reference.

The reference (../shared/reference/pgbackrest-options.json) is large; the setup job ships only
the fields it validates against. Run this when the reference changes; a unit test checks that
the shipped table still matches the reference.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REFERENCE = ROOT.parent / "shared" / "reference" / "pgbackrest-options.json"
TABLE = ROOT / "setup_service" / "pgbackrest_options.json"


def _scalar(value: Any, type_: str) -> Any:
    """A default or bound in the unit the validator compares: bytes, ms or the raw value."""
    if isinstance(value, dict) and "bytes" in value:
        return value["bytes"]
    if isinstance(value, dict) and "ms" in value:
        return value["ms"]
    if isinstance(value, dict) and "literal" in value:
        return value.get("resolved_with_default_build", value["literal"])
    return value


def _default(opt: dict[str, Any]) -> Any:
    default = opt["default"]
    if isinstance(default, dict) and "by_option" in default:
        return {"by_option": default["by_option"],
                "map": {k: _scalar(v, opt["type"]) for k, v in default["map"].items()}}
    return _scalar(default, opt["type"])


def _range(opt: dict[str, Any]) -> Any:
    rng = opt["allow_range"]
    if rng is None:
        return None
    if "by_option" in rng:
        return {"by_option": rng["by_option"],
                "map": {k: [_scalar(v["min"], opt["type"]), _scalar(v["max"], opt["type"])]
                        for k, v in rng["map"].items()}}
    return [_scalar(rng["min"], opt["type"]), _scalar(rng["max"], opt["type"])]


def _type(pgbackrest_type: str) -> str:
    """The validator's type for pgBackRest's: a string-id is a string with an allow list."""
    return "string" if pgbackrest_type == "string-id" else pgbackrest_type


def compact(opt: dict[str, Any]) -> dict[str, Any]:
    old = opt["versions"].get("as_of_2_45_if_different") or {}
    required_for = set(opt["required_without_default_for_commands"])
    depend = opt["depend"]
    return {
        "type": opt["type"],
        "group": opt["index_group"],
        "section": opt["section"],
        "secure": opt["secure"],
        "internal": opt["internal"],
        # What pgBackRest 2.45 (the images' version) says, where it differs from the newest:
        # stop-auto became internal only in 2.58, repo-block left beta in 2.46.
        "internal_2_45": old.get("internal", opt["internal"]),
        "beta_2_45": old.get("beta", opt["beta"]),
        "beta": opt["beta"],
        "commands": sorted(opt["commands"] or {}),
        "command_sections": "global:<command>" in opt["config_file_sections"],
        # repo-path for repo1-path: pgBackRest still reads the pre-2.22 unindexed names
        "unindexed": bool(opt.get("unindexed_name_accepted")),
        "required": bool(required_for & {"backup", "archive-push"}),
        "default": _default(opt),
        "allow": opt["allow_list"],
        "allow_2_45": old.get("allow_list", opt["allow_list"]),
        # pg-socket-path was a path (leading '/') until 2.55, backup-standby a boolean until 2.54
        "type_2_45": _type(old.get("type_pgbackrest", opt["type_pgbackrest"])),
        "range": _range(opt),
        "range_2_45": _range({**opt, "allow_range": old["allow_range"]}) if "allow_range" in old else _range(opt),
        "depend": None if depend is None else {"option": depend["option"], "values": depend["values"]},
        # where a command overrides the dependency (spool-path: archive-push only with archive-async)
        "command_depend": {command: {"option": spec["depend"]["option"], "values": spec["depend"]["values"]}
                           for command, spec in sorted((opt["commands"] or {}).items())
                           if spec.get("depend")} or None,
        "since": opt["versions"]["first_release_with_option"],
        "deprecated": [d["name"] for d in opt["deprecated_names"] or []],
        "summary": opt["summary"],
    }


def build(reference: Path) -> dict[str, Any]:
    data = json.loads(reference.read_text())
    return {name: compact(opt) for name, opt in sorted(data["options"].items())}


def main() -> int:
    reference = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_REFERENCE
    TABLE.write_text(json.dumps(build(reference), indent=1, sort_keys=True) + "\n")
    print(f"wrote {TABLE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
