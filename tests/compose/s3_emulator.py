"""An S3 repository for compose deployments: the e2e suite's s3rver launcher (TLS, Signature V4
checked against the current credentials) as a compose service "s3-emulator" in
docker-compose.override.yml, the way the docs tell users to extend the deployment; and, for the
drills, a webhook receiver service on the same network."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness.tls import make_tls_files

from .deployment import REPO, Deployment

EMULATOR = Path(__file__).with_name("s3-emulator")
RECEIVER = Path(__file__).with_name("webhook")
LAUNCHER = REPO / "tests" / "e2e" / "harness" / "s3rver_launcher.js"
NODE_MODULES = REPO / ".cache" / "node" / "node_modules"
BUCKET = "salespider-backups"
ACCESS_KEY = "AKIAEMULATOR"
_STORE = f"""\
services:
  s3-emulator:
    build: ./s3-emulator
    volumes:
      - ./s3-conf:/conf:ro
      - {NODE_MODULES}:/opt/node_modules:ro
  postgres:
    depends_on:
      s3-emulator:
        condition: service_healthy
"""
# The receiver runs in the setup image (built by `make deploy`).
_WEBHOOK = """\
  webhook:
    image: salespider/setup-service:local
    entrypoint: ["python3", "/receiver/receiver.py"]
    user: "0:0"
    volumes:
      - ./webhook:/receiver
    healthcheck:
      test: ["CMD", "python3", "-c", "import socket; socket.create_connection(('127.0.0.1', 8080), 1)"]
      interval: 1s
      retries: 60
"""
# In a drill the backup service's healthcheck probes every 5 s instead of every minute, so the
# drill sees Docker's verdict soon.
_PROBE_OFTEN = """\
    healthcheck:
      interval: 5s
      start_period: 0s
"""


def _backup(drill: bool) -> str:
    """The backup service's part of the override: it starts once the store (and in a drill the
    webhook receiver) is healthy."""
    waits_for = ["s3-emulator", "webhook"] if drill else ["s3-emulator"]
    return ("  backup:\n    depends_on:\n"
            + "".join(f"      {name}:\n        condition: service_healthy\n" for name in waits_for)
            + (_PROBE_OFTEN if drill else ""))


def env(secret: str) -> str:
    """The .env of an S3 deployment on the emulator."""
    return f"""\
POSTGRES_PASSWORD=change-me
PGBACKREST_REPO1_TYPE=s3
PGBACKREST_REPO1_PATH=/salespider
AWS_S3_BUCKET={BUCKET}
AWS_REGION=us-east-1
AWS_S3_ENDPOINT=https://s3-emulator
PGBACKREST_REPO1_S3_URI_STYLE=path
PGBACKREST_REPO1_STORAGE_CA_FILE=/run/secrets/s3-ca.pem
AWS_ACCESS_KEY_ID={ACCESS_KEY}
AWS_SECRET_ACCESS_KEY={secret}
"""


@dataclass
class Emulator:
    conf: Path

    def accept(self, secret: str) -> None:
        """Make secret the only accepted one (after SIGHUP to a running emulator)."""
        (self.conf / "credentials.json").write_text(json.dumps({"access_key": ACCESS_KEY, "secret_key": secret}))


def add(deployment: Deployment, secret: str, drill: bool = False) -> Emulator:
    """The emulator (accepting secret) in the deployment's override; with drill, the webhook
    receiver and a backup healthcheck every 5 s too."""
    if not (NODE_MODULES / "s3rver").is_dir():
        pytest.fail(f"s3rver is not installed in {NODE_MODULES}: run scripts/install-test-deps.sh")
    shutil.copytree(EMULATOR, deployment.dir / "s3-emulator")
    shutil.copy(LAUNCHER, deployment.dir / "s3-emulator")
    conf = deployment.dir / "s3-conf"
    tls = make_tls_files(conf, dns_names=("s3-emulator",), ips=())
    (conf / "config.json").write_text(json.dumps({
        "address": "0.0.0.0", "port": 443, "directory": "/tmp/s3", "cert": "/conf/server.pem",
        "key": "/conf/server-key.pem", "bucket": BUCKET, "credentials_file": "/conf/credentials.json"}))
    emulator = Emulator(conf)
    emulator.accept(secret)
    shutil.copy(tls.ca_file, deployment.dir / "secrets" / "s3-ca.pem")
    if drill:
        receiver = deployment.dir / "webhook"
        shutil.copytree(RECEIVER, receiver)
        receiver.chmod(0o777)
    (deployment.dir / "docker-compose.override.yml").write_text(_STORE + (_WEBHOOK if drill else "") + _backup(drill))
    return emulator


def posts(deployment: Deployment) -> list[dict[str, Any]]:
    """What the webhook receiver got so far, in order: path, content_type, body, payload."""
    found = deployment.dir / "webhook" / "posts.jsonl"
    if not found.exists():
        return []
    return [{**line, "payload": json.loads(line["body"])}
            for line in map(json.loads, found.read_text().splitlines())]
