"""The machine-readable status document (schemas/status.json); never holds a secret."""

from __future__ import annotations

import datetime
import json
from typing import Any, Iterable

from setup_service import __version__
from setup_service.models import SetupConfig
from setup_service.problems import Problem, errors, warnings
from setup_service.render import RenderedFile

SCHEMA_VERSION = 1


def problems_part(problems: Iterable[Problem]) -> dict[str, list[dict[str, str]]]:
    problems = list(problems)
    return {"warnings": [p.as_dict() for p in warnings(problems)],
            "problems": [p.as_dict() for p in errors(problems)]}


def build(result: str, *, config: SetupConfig | None, problems: Iterable[Problem],
          files: dict[str, RenderedFile] | None = None, content_hash: str = "",
          generation: int = 0, check: dict[str, Any] | None = None,
          output_dir: str = "") -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool_version": __version__,
        "result": result,
        "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    if config is not None:
        doc.update({
            "backups_enabled": config.backups_enabled,
            "stanza": config.stanza,
            "repo_type": config.repo_type,
            "mount_path": config.mount_path,
            "repositories": [{"index": r.index, "type": r.type, "encrypted": r.encrypted}
                             for r in config.repositories],
            "schedules": dict(config.schedules),
        })
    if files is not None:
        doc["files"] = [{"path": path, "mode": "0640" if f.secret else "0644", "secret": f.secret}
                        for path, f in sorted(files.items())]
    if content_hash:
        doc["content_hash"] = content_hash
    if generation:
        doc["generation"] = generation
    if output_dir:
        doc["output_dir"] = output_dir
    if check is not None:
        doc["pgbackrest_check"] = check
    doc.update(problems_part(problems))
    return doc


def dumps(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()
