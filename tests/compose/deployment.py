"""A compose deployment driven the way README and docs/deployment.md tell users to drive it.

Each Deployment is a copy of the project as shipped (no tests, no virtualenv) in its own
directory, with a `.env` next to `docker-compose.yml`; everything runs through `make` and
`docker compose` there. The compose file fixes the container names and the config volume's name,
so one deployment runs on an engine at a time: `reset()` removes it with its volumes.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
WORK_ROOT = Path(os.environ.get("COMPOSE_TEST_ROOT", "/tmp/setup-service-compose"))
POSTGRES, BACKUP = "salespider-postgres", "salespider-backup"
PROJECT = "salespider"
CONFIG_VOLUME = "pgbackrest-config"
# What a user's checkout holds besides the tests and local state.
_NOT_SHIPPED = {".git", ".venv", ".cache", "tests", "out", "__pycache__", ".mypy_cache",
                ".pytest_cache", ".env", ".hypothesis"}


class CommandFailed(AssertionError):
    pass


@dataclasses.dataclass(frozen=True)
class ContainerState:
    status: str  # created, running, exited, ...
    exit_code: int
    started_at: str
    finished_at: str
    restart_count: int
    health: str  # healthy, unhealthy, starting, or "" without a healthcheck


def run(args: list[str], *, cwd: Path | None = None, timeout: float = 600,
        check: bool = True, input: str | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                            check=False, input=input)
    if check and result.returncode != 0:
        raise CommandFailed(f"{' '.join(args)} exited {result.returncode}\n"
                            f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}")
    return result


def copy_project(target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(REPO, target, ignore=lambda _d, names: [n for n in names if n in _NOT_SHIPPED])


class Deployment:
    """One project directory and the deployment running from it."""

    def __init__(self, name: str) -> None:
        self.dir = WORK_ROOT / name
        copy_project(self.dir)

    # --- what the user does ----------------------------------------------------------------
    def use_example(self, example: str, **extra: str) -> None:
        text = (REPO / "examples" / f"{example}.env").read_text()
        self.write_env(text + "".join(f"{k}={v}\n" for k, v in extra.items()))

    def write_env(self, text: str) -> None:
        (self.dir / ".env").write_text(text)

    def edit_env(self, **changes: str | None) -> None:
        """Set (or, with None, remove) variables in .env, keeping the rest as written."""
        lines = (self.dir / ".env").read_text().splitlines()
        kept = [line for line in lines if line.split("=", 1)[0].strip() not in changes]
        kept += [f"{k}={v}" for k, v in changes.items() if v is not None]
        self.write_env("\n".join(kept) + "\n")

    def make(self, *target: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        return run(["make", *target], cwd=self.dir, check=check, timeout=timeout)

    def compose(self, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return run(["docker", "compose", *args], cwd=self.dir, check=check, timeout=timeout)

    def reset(self) -> None:
        """Remove the deployment, its volumes included (the tests' fresh start). Its data goes
        too, so nothing is gained by waiting for a clean stop (with the cloud examples' fake,
        unreachable endpoints, `down --timeout 5` took 11 s)."""
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "1", timeout=300)

    # --- looking at it ----------------------------------------------------------------------
    def state(self, container: str) -> ContainerState:
        fmt = ("{{json .State.Status}} {{.State.ExitCode}} {{json .State.StartedAt}} "
               "{{json .State.FinishedAt}} {{.RestartCount}} "
               "{{if .State.Health}}{{json .State.Health.Status}}{{else}}\"\"{{end}}")
        out = run(["docker", "inspect", "--format", fmt, container]).stdout.split()
        return ContainerState(json.loads(out[0]), int(out[1]), json.loads(out[2]),
                              json.loads(out[3]), int(out[4]), json.loads(out[5]))

    def healthcheck(self, container: str, *env: str) -> int:
        """The container's healthcheck as the engine holds it, run once in the container (with
        extra `NAME=value` variables): its exit code, 0 healthy, 1 a failed probe."""
        test = json.loads(run(["docker", "inspect", "--format", "{{json .Config.Healthcheck.Test}}",
                               container]).stdout)
        assert test[0] == "CMD-SHELL", test
        env_args = [arg for pair in env for arg in ("-e", pair)]
        return run(["docker", "exec", *env_args, container, "sh", "-c", test[1]], check=False).returncode

    def setup_container(self) -> str:
        return run(["docker", "ps", "-a", "--latest", "--filter", f"label=com.docker.compose.project={PROJECT}",
                    "--filter", "label=com.docker.compose.service=setup", "--format", "{{.Names}}"]).stdout.strip()

    def logs(self, container: str) -> str:
        result = run(["docker", "logs", container])
        return result.stdout + result.stderr

    def psql(self, sql: str, database: str = "salespider") -> str:
        return run(["docker", "exec", POSTGRES, "psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                    "-U", "postgres", "-d", database, "-c", sql]).stdout.strip()

    def status(self) -> dict[str, Any]:
        """The published status.json, read from the config volume as the services see it."""
        out = run(["docker", "run", "--rm", "-v", "pgbackrest-config:/config:ro", "--entrypoint",
                   "cat", "salespider/setup-service:local", "/config/status.json"]).stdout
        return dict(json.loads(out))

    def wait_for(self, what: str, predicate: Any, timeout: float = 120, interval: float = 1) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            time.sleep(interval)

    def switch_wal_and_wait_archived(self, timeout: float = 120) -> str:
        """Forces a WAL switch and waits until that segment is archived; returns its name."""
        segment = self.psql("SELECT pg_walfile_name(pg_switch_wal())")
        self.wait_for(f"{segment} archived", lambda: self.psql(
            "SELECT coalesce(last_archived_wal, '') >= " f"'{segment}' FROM pg_stat_archiver") == "t",
            timeout)
        return segment

    def archiver(self) -> dict[str, str]:
        row = self.psql("SELECT archived_count, failed_count, coalesce(last_archived_wal, '') "
                        "FROM pg_stat_archiver")
        archived, failed, last = row.split("|")
        return {"archived_count": archived, "failed_count": failed, "last_archived_wal": last}

    def crash_restarts(self) -> int:
        """How often the postmaster reinitialised after a child crashed."""
        return self.logs(POSTGRES).count("terminating any other active server processes")
