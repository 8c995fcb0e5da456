"""pgBackRest's own parser as the last check, with the real binary (Debian's 2.45 here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from setup_service import render, selfcheck
from tests.unit.support import AZURE, GCS, POSIX, S3, check

pytestmark = pytest.mark.skipif(shutil.which("pgbackrest") is None, reason="pgbackrest is not installed")

HEADER = "# hand-written\n"


def _set(global_lines: str, stanza_lines: str = "pg1-path=/var/lib/postgresql/data\n",
         repo_lines: str = "repo1-type=posix\n") -> dict[str, render.RenderedFile]:
    return {
        "pgbackrest.conf": render.RenderedFile(
            f"{HEADER}[global]\n{global_lines}\n[main]\n{stanza_lines}".encode(), False),
        "conf.d/repo.conf": render.RenderedFile(f"{HEADER}[global]\n{repo_lines}".encode(), True),
    }


@pytest.mark.parametrize("env", [POSIX, S3, AZURE, GCS, {}], ids=["posix", "s3", "azure", "gcs", "none"])
def test_rendered_configs_pass(env: dict[str, str]) -> None:
    outcome = check(env)
    assert outcome.config is not None
    result = selfcheck.run(render.render(outcome.config), outcome.config.stanza)
    assert (result.ran, result.result, result.messages) == (True, "passed", ())
    assert result.version.startswith("pgBackRest ")


def test_invalid_option_fails_with_a_message() -> None:
    result = selfcheck.run(_set("bogus-option=1\n"), "main")
    assert result.ran and result.result == "failed"
    assert result.messages
    assert all("bogus-option" in m for m in result.messages)
    assert {m.split(":")[0] for m in result.messages} <= set(selfcheck.COMMANDS)


def test_out_of_range_value_fails() -> None:
    result = selfcheck.run(_set("process-max=0\n"), "main")
    assert result.result == "failed"
    assert any("process-max" in m for m in result.messages)


def test_messages_do_not_show_the_staging_directory() -> None:
    result = selfcheck.run(_set("bogus-option=1\n"), "main")
    assert not any("setup-service-check-" in m for m in result.messages)


def test_environment_pgbackrest_variables_are_not_passed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGBACKREST_BOGUS_OPTION", "1")
    monkeypatch.setenv("PGBACKREST_PROCESS_MAX", "0")
    result = selfcheck.run(_set("process-max=2\n"), "main")
    assert result.result == "passed", result.messages


def test_skipped_without_the_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    result = selfcheck.run(_set(""), "main")
    assert (result.ran, result.result) == (False, "skipped")
    assert result.as_dict() == {"ran": False, "result": "skipped", "version": "",
                                "messages": ["pgbackrest is not installed here"]}


def test_a_failing_binary_without_a_message_is_a_failure(tmp_path: Path) -> None:
    fake = tmp_path / "pgbackrest"
    fake.write_text('#!/bin/sh\n[ "$1" = version ] && { echo "pgBackRest 9.99"; exit 0; }\nexit 3\n')
    fake.chmod(0o755)
    result = selfcheck.run(_set(""), "main", binary=str(fake))
    assert (result.result, result.version) == ("failed", "pgBackRest 9.99")
    assert result.messages == tuple(f"{c}: pgbackrest help {c} exited 3" for c in selfcheck.COMMANDS)
