"""The reporters: text for people, JSON for machines, GitHub Actions annotations."""

from __future__ import annotations

import json

from setup_service import reporter, status
from setup_service.problems import Problem, Severity

PROBLEMS = [
    Problem("AWS_REGION", "'Bad Region' is not in the expected form", hint="use a region such as us-east-1",
            source=".env file /ci/prod.env", code="format"),
    Problem("AWS_CA_BUNDLE", "is not used by the setup job", source="environment", code="unused",
            severity=Severity.WARNING),
    Problem("X", "100% wrong: a, b\nnext line\r", hint="fix: it, now"),
]


def test_text_lists_each_problem_then_a_summary() -> None:
    doc = status.build("invalid", config=None, problems=PROBLEMS)
    lines = reporter.text(doc, PROBLEMS).splitlines()
    assert lines[0] == "error: AWS_REGION (from .env file /ci/prod.env): 'Bad Region' is not in the expected form"
    assert lines[1] == "  fix: use a region such as us-east-1"
    assert lines[2] == "warning: AWS_CA_BUNDLE (from environment): is not used by the setup job"
    assert lines[-1] == "2 error(s), 1 warning(s): nothing was written"


def test_text_summary_of_a_written_set() -> None:
    doc = {"result": "written", "backups_enabled": True, "stanza": "main", "generation": 2,
           "output_dir": "/out", "problems": [], "warnings": [{}],
           "repositories": [{"index": 1, "type": "posix", "encrypted": False},
                            {"index": 2, "type": "s3", "encrypted": True}]}
    assert reporter.text(doc, []) == ("result: written; backups enabled: repo1=posix, repo2=s3 (encrypted); "
                                      "stanza main; generation 2; in /out; 1 warning(s)")
    disabled = {"result": "valid", "backups_enabled": False, "stanza": "main", "repositories": []}
    assert reporter.text(disabled, []) == "result: valid; backups disabled; stanza main"


def test_text_shows_pgbackrest_messages_of_a_failed_check() -> None:
    doc = {"result": "invalid", "problems": [{}], "warnings": [],
           "pgbackrest_check": {"result": "failed", "messages": ["backup: WARN: invalid option 'x'"]}}
    problem = Problem("pgbackrest", "pgBackRest rejects the generated configuration")
    assert reporter.text(doc, [problem]).splitlines()[1] == "error: pgbackrest: backup: WARN: invalid option 'x'"


def test_json_is_the_status_document() -> None:
    doc = status.build("invalid", config=None, problems=PROBLEMS)
    assert json.loads(reporter.json_report(doc, PROBLEMS)) == json.loads(json.dumps(doc))


def test_github_annotations_and_escaping() -> None:
    doc = status.build("invalid", config=None, problems=PROBLEMS)
    lines = reporter.github(doc, PROBLEMS).splitlines()
    assert lines[0] == ("::error file=/ci/prod.env,title=AWS_REGION::AWS_REGION 'Bad Region' is not in the "
                        "expected form (fix: use a region such as us-east-1)")
    assert lines[1] == "::warning title=AWS_CA_BUNDLE::AWS_CA_BUNDLE is not used by the setup job"
    assert lines[2] == "::error title=X::X 100%25 wrong: a, b%0Anext line%0D (fix: fix: it, now)"
    assert lines[3] == "2 error(s), 1 warning(s): nothing was written"
    assert len(lines) == 4  # a newline in a message never starts a new workflow command


def test_github_property_escaping() -> None:
    problem = Problem("A,B:C", "m", source=".env file /a,b:c.env")
    line = reporter.github({"result": "invalid"}, [problem]).splitlines()[0]
    assert line.startswith("::error file=/a%2Cb%3Ac.env,title=A%2CB%3AC::")


def test_reporters_table() -> None:
    assert set(reporter.REPORTERS) == {"text", "json", "github"}
