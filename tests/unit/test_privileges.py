"""Started as root with SETUP_USER (the compose deployment): the job reads the .env file, then
runs as SETUP_USER with no capability. Run in subprocesses: setuid cannot be undone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from setup_service import privileges

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (it tests dropping root)")

_PROBE = """
import json, os
from setup_service import privileges
path = os.environ.get("SETUP_ENV_FILE", "")
privileges.lower(os.environ)
try:
    open(path).read()
    direct = "readable"
except OSError as exc:
    direct = exc.strerror
status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\\t" in line)
copy = privileges.content(path)
print(json.dumps({"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups(),
                  "cap_eff": status["CapEff"].strip(), "cap_prm": status["CapPrm"].strip(),
                  "copy": None if copy is None else copy.decode(), "direct": direct}))
"""


def _probe(environ: dict[str, str]) -> dict[str, object]:
    result = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True,
                            env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), **environ},
                            timeout=60, check=True)
    return dict(json.loads(result.stdout))


@pytest.fixture
def private_env(tmp_path: Path) -> Path:
    """A .env at 0600, owned by a user who is neither root nor 999 (the user running compose)."""
    tmp_path.chmod(0o755)
    env = tmp_path / ".env"
    env.write_text("PGBACKREST_REPO1_TYPE=posix\nPOSTGRES_PASSWORD=canary-private\n")
    env.chmod(0o600)
    os.chown(env, 4242, 4242)
    return env


def test_root_reads_the_env_file_then_is_setup_user_without_any_capability(private_env: Path) -> None:
    seen = _probe({"SETUP_USER": "999:999", "SETUP_ENV_FILE": str(private_env)})
    assert (seen["uid"], seen["euid"], seen["gid"], seen["groups"]) == (999, 999, 999, [])
    assert seen["cap_eff"] == seen["cap_prm"] == "0000000000000000"
    assert seen["copy"] == private_env.read_text()
    assert seen["direct"] == "Permission denied"  # the file itself is out of reach from now on


@pytest.mark.parametrize("user", ["", "999", "nobody:nogroup", "999:"])
def test_without_a_valid_setup_user_nothing_changes(private_env: Path, user: str) -> None:
    seen = _probe({"SETUP_USER": user, "SETUP_ENV_FILE": str(private_env)})
    assert (seen["uid"], seen["copy"]) == (0, None)


def test_a_missing_env_file_is_left_to_its_reader(tmp_path: Path) -> None:
    seen = _probe({"SETUP_USER": "999:999", "SETUP_ENV_FILE": str(tmp_path / "missing")})
    assert (seen["uid"], seen["copy"]) == (999, None)


def test_not_root_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 999)
    monkeypatch.setattr(os, "setuid", lambda _uid: pytest.fail("setuid as non-root"))
    privileges.lower({"SETUP_USER": "999:999", "SETUP_ENV_FILE": "/nonexistent"})
