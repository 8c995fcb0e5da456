"""The postgres service's scripts against a real cluster: the published archive settings are
included, and `make config`'s reload tells when a restart is needed."""

from __future__ import annotations

import pytest

from .cluster import Deployment

pytestmark = pytest.mark.e2e


def test_the_cluster_archives_as_the_setup_job_published(deployment: Deployment) -> None:
    assert deployment.psql("SHOW archive_mode") == "on"
    assert deployment.psql("SHOW wal_level") == "replica"
    command = deployment.psql("SHOW archive_command")
    assert f"--config={deployment.config}/pgbackrest.conf" in command
    assert "--stanza=e2e archive-push" in command


def test_a_primary_reports_no_recovery(deployment: Deployment) -> None:
    result = deployment.check(["recovery-report"])
    assert "recovery finished: timeline 1" in result.stdout


def test_reload_applies_a_new_generation_without_a_restart(deployment: Deployment) -> None:
    deployment.publish(BACKUP_RETENTION_FULL="3")
    result = deployment.run(["reload-config"])
    assert (result.returncode, result.stdout.strip()) == (0, "configuration reloaded")


def test_a_restart_the_configuration_did_not_cause_is_left_alone(deployment: Deployment) -> None:
    """A user's own setting waiting for a restart is reported, not acted on (exit 0)."""
    current = int(deployment.psql("SHOW max_connections"))
    deployment.psql(f"ALTER SYSTEM SET max_connections = {current + 1}")
    try:
        deployment.publish(BACKUP_RETENTION_FULL="4")
        result = deployment.run(["reload-config"])
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.splitlines() == [
            "not restarting for settings the published configuration does not set: "
            "max_connections", "configuration reloaded"]
    finally:
        deployment.psql("ALTER SYSTEM RESET max_connections")
        deployment.psql("SELECT pg_reload_conf()")


def test_switching_backups_off_asks_for_a_restart(deployment: Deployment) -> None:
    deployment.publish(SETUP_BACKUP="false")
    result = deployment.run(["reload-config"])
    assert result.returncode == 3, result.stdout + result.stderr
    assert "a restart is needed for: archive_mode" in result.stdout

    deployment.stop()
    deployment.start()
    assert deployment.psql("SHOW archive_mode") == "off"
    result = deployment.run(["backup-entrypoint"], {"PGBR_BIN": "false"})
    assert result.returncode == 0
    assert "backups are disabled" in result.stderr
