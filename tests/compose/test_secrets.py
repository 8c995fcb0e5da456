"""No secret in `docker inspect`: the S3 deployment on its emulator with a canary value for every
secret in .env, deployed with `make deploy` as users do, with .env at the default mode and at 0600
owned by another user (the one who runs compose, not root, not 999). Each secret reaches where it
is used (repo.conf, PostgreSQL's password over TCP, the webhook), and no canary appears in the
configuration or the logs of any container, running or exited; a rotation through `make config`
leaves the old values in none either."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from setup_service import catalogue

from . import s3_emulator
from .deployment import BACKUP, PROJECT, Deployment, run

pytestmark = pytest.mark.compose

ACCESS_KEY = "AKIACANARYACCESS01"
CANARIES = {
    "AWS_ACCESS_KEY_ID": ACCESS_KEY,
    "AWS_SECRET_ACCESS_KEY": "canary/secret+key01",
    "AWS_SESSION_TOKEN": "canary-session-token-01",
    "PGBACKREST_REPO1_CIPHER_PASS": "canary cipher pass 01",
    "POSTGRES_PASSWORD": "canary-postgres-pw-01",
    "BACKUP_WEBHOOK_URL": "http://webhook:8080/hooks/canary-webhook-01",
    "DATABASE_URL": "postgresql://app:canary-database-pw-01@db.example.com/app",
    "AZURE_STORAGE_ACCOUNT": "canaryazureaccount01",
    "AZURE_STORAGE_KEY": "Y2FuYXJ5LWF6dXJlLWtleS0wMQ==",
}
# Every secret the catalogue knows, but GCS_KEY: a path to a key file, not a value that could leak.
assert catalogue.SECRET_NAMES - CANARIES.keys() == {"GCS_KEY"}
ROTATED = {"AWS_SECRET_ACCESS_KEY": "canary/rotated+key02",
           "BACKUP_WEBHOOK_URL": "http://webhook:8080/hooks/canary-webhook-02"}


def accept(emulator: s3_emulator.Emulator, secret: str) -> None:
    (emulator.conf / "credentials.json").write_text(json.dumps({"access_key": ACCESS_KEY, "secret_key": secret}))


def containers() -> list[str]:
    return run(["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}"]).stdout.split()


SHIPPED = {"setup", "postgres", "backup"}  # the deployment's services; the store and receiver are the test's


def leaked(values: list[str]) -> list[str]:
    """Where a value shows: any container's configuration (docker inspect), or a log of one of
    the deployment's own containers (the emulator logs the access keys it is sent)."""
    found = []
    for container in containers():
        inspected = run(["docker", "inspect", container]).stdout
        [details] = json.loads(inspected)
        name, service = details["Name"], details["Config"]["Labels"]["com.docker.compose.service"]
        logs = subprocess.run(["docker", "logs", container], capture_output=True, text=True, timeout=60)
        for value in values:
            if value in inspected:
                found.append(f"{value} in docker inspect {name}")
            if service in SHIPPED and value in logs.stdout + logs.stderr:
                found.append(f"{value} in docker logs {name}")
    assert {json.loads(run(["docker", "inspect", c]).stdout)[0]["Config"]["Labels"]["com.docker.compose.service"]
            for c in containers()} >= SHIPPED  # the exited setup container too
    return found


def connects(password: str) -> bool:
    """psql from this host over TCP to the published port, as an application would."""
    result = subprocess.run(["psql", "-X", "-At", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-d",
                             "salespider", "-c", "SELECT current_user"], capture_output=True, text=True,
                            timeout=60, env={**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10"})
    return result.returncode == 0 and result.stdout.strip() == "postgres"


@pytest.mark.parametrize("mode", ["default", "0600"])
def test_no_secret_in_any_container_configuration_or_log(deployment: Deployment, mode: str) -> None:
    emulator = s3_emulator.add(deployment, CANARIES["AWS_SECRET_ACCESS_KEY"], drill=True)
    accept(emulator, CANARIES["AWS_SECRET_ACCESS_KEY"])
    env = s3_emulator.env(CANARIES["AWS_SECRET_ACCESS_KEY"]).replace("POSTGRES_PASSWORD=change-me\n", "")
    env = "".join(line + "\n" for line in env.splitlines() if not line.startswith("AWS_ACCESS_KEY_ID="))
    deployment.write_env(env + "PGBACKREST_REPO1_CIPHER_TYPE=aes-256-cbc\n"
                         + "".join(f"{k}={v}\n" for k, v in CANARIES.items() if k != "AWS_SECRET_ACCESS_KEY"))
    if mode == "0600":
        os.chmod(deployment.dir / ".env", 0o600)
        os.chown(deployment.dir / ".env", 4242, 4242)  # the user who runs compose: neither root nor 999

    deployed = deployment.make("deploy")
    assert not [v for v in CANARIES.values() if v in deployed.stdout + deployed.stderr]
    deployment.wait_for("the scheduler", lambda: "scheduler: running" in deployment.logs(BACKUP), timeout=180)
    status = deployment.status()
    assert (status["repo_type"], status["pgbackrest_check"]["result"]) == ("s3", "passed"), status
    repo_conf = deployment.compose("exec", "-T", "backup", "cat", "/etc/pgbackrest/conf.d/repo.conf").stdout
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "PGBACKREST_REPO1_CIPHER_PASS"):
        assert f"={CANARIES[name]}\n" in repo_conf, name
    assert connects(CANARIES["POSTGRES_PASSWORD"])
    assert not connects("not-the-password")
    deployment.switch_wal_and_wait_archived()
    deployment.make("backup")  # the S3 credentials and the cipher pass work; the result is posted
    posts = s3_emulator.posts(deployment)
    assert [p["path"] for p in posts if p["payload"].get("type") == "full"] == ["/hooks/canary-webhook-01"], posts
    assert leaked(list(CANARIES.values())) == []
    if mode != "0600":
        return

    # `make validate` (the pre-deploy check) reads the same .env the same way, and names a problem.
    checked = deployment.make("validate")
    assert "valid" in checked.stdout and not [v for v in CANARIES.values() if v in checked.stdout + checked.stderr]
    good = (deployment.dir / ".env").read_text()
    deployment.edit_env(BACKUP_RETENTION_FULL="many")
    os.chmod(deployment.dir / ".env", 0o600)
    os.chown(deployment.dir / ".env", 4242, 4242)
    refused = deployment.make("validate", check=False)
    assert refused.returncode != 0 and "BACKUP_RETENTION_FULL" in refused.stdout + refused.stderr, refused.stdout
    assert not [v for v in CANARIES.values() if v in refused.stdout + refused.stderr]
    deployment.write_env(good)

    # Rotation: the store takes a new key, .env gets it and a new webhook URL, `make config`.
    accept(emulator, ROTATED["AWS_SECRET_ACCESS_KEY"])
    deployment.compose("kill", "-s", "HUP", "s3-emulator")
    deployment.edit_env(**ROTATED)
    os.chmod(deployment.dir / ".env", 0o600)
    os.chown(deployment.dir / ".env", 4242, 4242)
    configured = deployment.make("config")
    assert not [v for v in [*CANARIES.values(), *ROTATED.values()] if v in configured.stdout + configured.stderr]
    again = deployment.compose("run", "--rm", "setup")  # the .env it read as root is the same: nothing to do
    assert "result: unchanged" in again.stdout, again.stdout
    deployment.make("backup-check")
    deployment.switch_wal_and_wait_archived()
    deployment.make("backup")
    posts = s3_emulator.posts(deployment)
    assert [p["path"] for p in posts if p["payload"].get("type") == "full"][-1] == "/hooks/canary-webhook-02"
    assert leaked([*CANARIES.values(), *ROTATED.values()]) == []
