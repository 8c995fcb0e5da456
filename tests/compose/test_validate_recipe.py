"""The CI recipe of docs/deployment.md with the setup image: `docker run --env-file` keeps the
quotes of a .env file and gets a hint that says so; mounting the file and passing --env-file
validates it as docker compose reads it."""

from __future__ import annotations

import json

import pytest

from .deployment import REPO, Deployment, run

pytestmark = pytest.mark.compose

IMAGE = "salespider/setup-service:local"


@pytest.fixture
def image(deployment: Deployment) -> str:
    deployment.compose("build", "setup")
    return IMAGE


def test_docker_run_env_file_quotes_get_a_hint(image: str) -> None:
    result = run(["docker", "run", "--rm", "--env-file", str(REPO / "examples" / "posix.env"),
                  image, "validate", "--format", "json"], check=False)
    assert result.returncode == 78, result.stdout + result.stderr
    # one source (here the process environment): validate --format json prints its status document
    problems = {p["variable"]: p for p in json.loads(result.stdout)["problems"]}
    assert "docker run --env-file" in problems["BACKUP_SCHEDULE_FULL"]["hint"]


@pytest.mark.parametrize("example", ["none", "posix", "s3", "azure"])
def test_the_mounted_file_validates(image: str, example: str) -> None:
    result = run(["docker", "run", "--rm", "-v", f"{REPO / 'examples'}:/env:ro", image,
                  "validate", "--env-file", f"/env/{example}.env"], check=False)
    assert result.returncode == 0, result.stdout + result.stderr
