"""Every `.env` block of docs/deployment.md validates as shipped, as `make validate` would run it
(the compose deployment's checks included): the quick starts, and the storage examples that
store no key (instance or workload identity)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from .tools import REPO, run

DOC = REPO / "docs" / "deployment.md"


def env_blocks() -> dict[str, str]:
    """The ```bash blocks whose first line is a `# .env` comment, by their line and comment."""
    text = DOC.read_text()
    return {f"line {text[:m.start()].count(chr(10)) + 2}: {m[1]}": m[2]
            for m in re.finditer(r"```bash\n(# \.env[^\n]*)\n(.*?)```", text, flags=re.S)}


def test_the_no_key_examples_are_there() -> None:
    titles = " ".join(env_blocks())
    assert "S3 with the instance's role, no key stored" in titles
    assert "GCS with the workload's identity, no key stored" in titles


@pytest.mark.parametrize("title", sorted(env_blocks()))
def test_each_env_block_validates(title: str, tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(env_blocks()[title])
    result = run([sys.executable, "-m", "setup_service", "validate", "--isolated", "--format", "json",
                  "--no-pgbackrest-check", str(env)],
                 env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)})
    report = json.loads(result.stdout)
    assert result.returncode == 0, report.get("errors", report)
    assert report["result"] == "valid"


def test_no_key_is_stored_with_an_identity(tmp_path: Path) -> None:
    """With key type auto, the published repo.conf holds no key option at all."""
    [body] = [b for t, b in env_blocks().items() if "instance's role" in t]
    env = tmp_path / ".env"
    env.write_text(body)
    out = tmp_path / "out"
    result = run([sys.executable, "-m", "setup_service", "generate", "--env-file", str(env), "--output-dir",
                  str(out), "--owner", "0:0", "--no-pgbackrest-check"],
                 env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "SETUP_DEPLOYMENT": "compose"})
    assert result.returncode == 0, result.stdout + result.stderr
    repo_conf = (out / "conf.d" / "repo.conf").read_text()
    assert "repo1-s3-key-type=auto" in repo_conf
    assert not re.search(r"^repo1-s3-(key|key-secret|token)=", repo_conf, flags=re.M), repo_conf
