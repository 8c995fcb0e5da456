"""The status document: its fields, its schema, and never a secret."""

from __future__ import annotations

import json

import jsonschema
import pytest

from setup_service import render, status
from setup_service.problems import Problem, Severity
from setup_service.resources import schemas_dir
from tests.unit.support import S3, S3_SECRET, check

SCHEMA = json.loads((schemas_dir() / "status.json").read_text())


def _validate(doc: dict[str, object]) -> None:
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(doc)


def test_written_document() -> None:
    outcome = check({**S3, "PGBACKREST_REPO1_CIPHER_TYPE": "aes-256-cbc", "PGBACKREST_REPO1_CIPHER_PASS": "pw",
                     "AWS_CA_BUNDLE": "/x"})
    assert outcome.config is not None
    files = render.render(outcome.config)
    doc = status.build("written", config=outcome.config, problems=outcome.problems, files=files,
                       content_hash=render.content_hash(files), generation=3,
                       check={"ran": True, "result": "passed", "version": "pgBackRest 2.45", "messages": []},
                       output_dir="/out")
    _validate(doc)
    assert doc["result"] == "written"
    assert (doc["backups_enabled"], doc["stanza"], doc["repo_type"], doc["generation"]) == \
        (True, "salespider", "s3", 3)
    assert doc["repositories"] == [{"index": 1, "type": "s3", "encrypted": True}]
    assert doc["schedules"] == {"full": "0 2 * * 0", "diff": "0 2 * * 1-6"}
    assert {f["path"]: (f["mode"], f["secret"]) for f in doc["files"]} == {
        "conf.d/repo.conf": ("0640", True), "pgbackrest.conf": ("0644", False),
        "postgresql-archive.conf": ("0644", False), "crontab": ("0644", False)}
    assert doc["problems"] == []
    assert [w["variable"] for w in doc["warnings"]] == ["AWS_CA_BUNDLE"]
    assert S3_SECRET not in status.dumps(doc).decode() and "pw" not in json.dumps(doc["repositories"])


def test_invalid_document() -> None:
    problems = [Problem("AWS_S3_BUCKET", "is required", code="missing"),
                Problem("AWS_CA_BUNDLE", "is not used", code="unused", severity=Severity.WARNING)]
    doc = status.build("invalid", config=None, problems=problems)
    _validate(doc)
    assert doc["problems"] == [{"variable": "AWS_S3_BUCKET", "severity": "error", "code": "missing",
                                "message": "is required"}]
    assert doc["warnings"][0]["severity"] == "warning"
    assert "backups_enabled" not in doc and "generation" not in doc


@pytest.mark.parametrize("result", ["written", "unchanged", "invalid", "dry-run", "valid", "failed"])
def test_every_result_matches_the_schema(result: str) -> None:
    _validate(status.build(result, config=None, problems=[]))


def test_dumps_is_stable_json() -> None:
    doc = status.build("valid", config=None, problems=[])
    text = status.dumps(doc).decode()
    assert text.endswith("\n")
    assert json.loads(text) == doc
    assert list(json.loads(text)) == sorted(doc)
