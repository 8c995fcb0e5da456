"""The compose tests need a container engine with compose v2; under CI a missing one fails them.

On these machines `bash ../shared/lab/containers/engine.sh up` provides it (.ci/run calls it);
on a user's machine with Docker the same tests build on the official base images.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from typing import Iterator

import pytest

from .deployment import CONFIG_VOLUME, PROJECT, WORK_ROOT, Deployment

pytestmark = pytest.mark.compose


def _engine_problem() -> str:
    for args, what in ((["docker", "info"], "a container engine (docker info)"),
                       (["docker", "compose", "version"], "compose v2 (docker compose version)")):
        try:
            result = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{what} is not available: {exc}"
        if result.returncode != 0:
            return f"{what} is not available: {result.stderr.strip()[-300:]}"
    return ""


# Written before the tests create anything, removed once they have removed it all: volumes found
# without it belong to someone else (a user's own deployment, whose data `down -v` would delete).
MARKER = WORK_ROOT / ".deployment-owned-by-tests"


def _docker_lines(*args: str) -> list[str]:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60,
                            check=False)
    return result.stdout.split() if result.returncode == 0 else []


def _foreign_deployment() -> str:
    """A salespider deployment (containers or volumes) on this engine the tests did not create."""
    found = _docker_lines("ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}")
    found += _docker_lines("volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}")
    found += [v for v in _docker_lines("volume", "ls", "-q") if v == CONFIG_VOLUME]
    if found and not MARKER.exists():
        return (f"a {PROJECT} deployment that these tests did not create is on this engine "
                f"({len(found)} containers and volumes); the tests would remove it with its "
                "volumes. Remove or move it first")
    return ""


@pytest.fixture(scope="session")
def engine() -> Iterator[None]:
    problem = _engine_problem() or _foreign_deployment()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    WORK_ROOT.mkdir(parents=True, exist_ok=True)
    MARKER.touch()
    yield
    if not _docker_lines("volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}"):
        MARKER.unlink()


@contextlib.contextmanager
def fresh_deployment(name: str) -> Iterator[Deployment]:
    """A fresh project directory and fresh volumes; removed again afterwards."""
    deployment = Deployment(name)
    deployment.reset()
    try:
        yield deployment
    finally:
        deployment.reset()


@pytest.fixture
def deployment(engine: None, request: pytest.FixtureRequest) -> Iterator[Deployment]:
    with fresh_deployment(request.node.name.replace("[", "-").replace("]", "")) as deployment:
        yield deployment
