"""The backup service's scripts against a real cluster and repository: the scheduler fires
run-backup at once, and the webhook payloads are checked as a receiver on 127.0.0.1 got them."""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any

import pytest

from tests.deploy.cluster import Deployment
from .webhook import Post, Receiver

pytestmark = pytest.mark.e2e

# The path of a webhook URL often is its credential (Slack, Teams): it must never be posted.
HOOK_PATH = "/hooks/T0KEN-s3cr3t"
POSTGRES_PASSWORD = "pg-pa55word-not-to-be-posted"


def hook_env(webhook: Receiver) -> dict[str, str]:
    return {"BACKUP_WEBHOOK_URL": webhook.url(HOOK_PATH), "POSTGRES_PASSWORD": POSTGRES_PASSWORD}


def only_payload(posts: list[Post], deployment: Deployment) -> Any:
    assert len(posts) == 1, [p.body for p in posts]
    post = posts[0]
    assert post.path == HOOK_PATH
    assert post.content_type == "application/json"
    for secret in (deployment.cipher_pass, "T0KEN-s3cr3t", POSTGRES_PASSWORD):
        assert secret not in post.body
    payload = post.payload
    assert set(payload) == {"status", "type", "label", "duration_seconds", "error", "stanza",
                            "host", "timestamp"}
    assert payload["stanza"] == "e2e"
    assert payload["host"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", payload["timestamp"])
    assert isinstance(payload["duration_seconds"], (int, float))
    return payload


def newest_label(deployment: Deployment) -> str:
    info = json.loads(deployment.check(["pgbackrest-stanza", "info", "--output=json"]).stdout)
    return str(info[0]["backup"][-1]["label"])


def test_the_service_creates_the_stanza_and_the_schedule_fires_a_full_backup(
        deployment: Deployment, webhook: Receiver) -> None:
    # What a restore drill killed with -9 left in its scratch space: the service removes it at start.
    scratch = deployment.base / "drill-scratch"
    (scratch / "data" / "base").mkdir(parents=True)
    (scratch / "data" / "base" / "16384").write_bytes(b"left by a killed drill")
    for path in (scratch, scratch / "data", scratch / "data" / "base", scratch / "data" / "base" / "16384"):
        os.chown(path, deployment.user.uid, deployment.user.gid)
    # The published crontab says "* * * * * run-backup full": the first minute fires it.
    result = deployment.run(["backup-entrypoint"], {**hook_env(webhook), "SCHEDULER_ONCE": "1",
                                                  "BACKUP_STARTUP_TIMEOUT": "60",
                                                  "BACKUP_DRILL_SCRATCH": str(scratch),
                                                  "BACKUP_STATE_DIR": str(deployment.base / "log")},
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(scratch.iterdir()) == [] and "removed what an earlier drill left" in result.stderr

    payload = only_payload(webhook.take(), deployment)
    assert payload["status"] == "success"
    assert payload["type"] == "full"
    assert re.fullmatch(r"\d{8}-\d{6}F", payload["label"])
    assert payload["label"] == newest_label(deployment)
    assert payload["duration_seconds"] > 0
    assert payload["error"] is None


def test_a_diff_backup_reports_its_own_label(deployment: Deployment, webhook: Receiver) -> None:
    result = deployment.run(["run-backup", "diff"], hook_env(webhook))
    assert result.returncode == 0, result.stdout + result.stderr

    payload = only_payload(webhook.take(), deployment)
    assert (payload["status"], payload["type"], payload["error"]) == ("success", "diff", None)
    assert re.fullmatch(r"\d{8}-\d{6}F_\d{8}-\d{6}D", payload["label"])
    assert payload["label"] == newest_label(deployment)


def test_pgbackrest_variables_never_reach_pgbackrest(deployment: Deployment,
                                                     webhook: Receiver) -> None:
    # Passed on, each of these would break the backup; the published files must win.
    stray = {"PGBACKREST_REPO1_PATH": "/nonexistent", "PGBACKREST_REPO1_CIPHER_PASS": "wrong",
             "PGBACKREST_PG1_PORT": "1"}
    result = deployment.run(["run-backup", "incr"], {**hook_env(webhook), **stray})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ignoring 3 PGBACKREST_* variable(s)" in result.stderr

    payload = only_payload(webhook.take(), deployment)
    assert (payload["status"], payload["type"]) == ("success", "incr")


def test_a_failed_backup_posts_the_error(deployment: Deployment, webhook: Receiver) -> None:
    deployment.stop()
    try:
        result = deployment.run(["run-backup", "incr"], hook_env(webhook))
    finally:
        deployment.start()
    assert result.returncode != 0

    payload = only_payload(webhook.take(), deployment)
    assert payload["status"] == "failure"
    assert payload["type"] == "incr"
    assert payload["label"] is None
    assert payload["duration_seconds"] >= 0
    assert "ERROR" in payload["error"]
    assert payload["error"] in result.stderr


def test_a_failing_webhook_does_not_fail_the_backup(deployment: Deployment,
                                                    webhook: Receiver) -> None:
    webhook.status = 500
    try:
        result = deployment.run(["run-backup", "incr"], hook_env(webhook))
    finally:
        webhook.status = 200
    assert result.returncode == 0, result.stdout + result.stderr
    assert "could not post the result to BACKUP_WEBHOOK_URL" in result.stderr
    assert len(webhook.take()) == 3  # curl --retry 2


def test_the_service_waits_for_postgresql_to_start(deployment: Deployment,
                                                  webhook: Receiver) -> None:
    deployment.stop()
    service = deployment.popen(["backup-entrypoint"], {
        **hook_env(webhook), "SCHEDULER_ONCE": "1", "BACKUP_RETRY_INTERVAL": "1",
        "BACKUP_STARTUP_TIMEOUT": "120"})
    try:
        time.sleep(3)
        assert service.poll() is None, "gave up while PostgreSQL was down"
    finally:
        deployment.start()
    output, _ = service.communicate(timeout=300)
    assert service.returncode == 0, output
    assert "PostgreSQL or the repository is not ready; retrying" in output
    assert only_payload(webhook.take(), deployment)["status"] == "success"


def test_without_a_webhook_url_nothing_is_posted(deployment: Deployment,
                                                  webhook: Receiver) -> None:
    result = deployment.run(["run-backup", "incr"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert webhook.take() == []
