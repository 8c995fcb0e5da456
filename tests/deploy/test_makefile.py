"""The Makefile's targets print the commands the guide's users expect (make -n)."""

from __future__ import annotations

import pytest

from .tools import REPO, require_tool, run

pytestmark = pytest.mark.static


def restore(args: str) -> list[str]:
    return ["docker compose stop postgres backup",
            f"docker compose run --rm --no-deps backup restore {args}",
            "docker compose up -d postgres backup",
            "docker exec salespider-postgres recovery-report"]


EXPECTED = {
    ("deploy",): ["docker compose build", "docker compose up -d", "docker compose ps"],
    ("backup",): ["docker exec salespider-backup run-backup full"],
    ("backup-info",): ["docker exec salespider-backup pgbackrest-stanza info"],
    ("backup-check",): ["docker exec salespider-backup pgbackrest-stanza check"],
    ("backup-status",): ["docker exec salespider-backup backup-status --format text"],
    ("backup-status", "FORMAT=prometheus"): ["docker exec salespider-backup backup-status --format prometheus"],
    ("restore-points",): ["docker exec salespider-backup backup-status --restore-points --format text"],
    ("restore-drill",): ["docker exec  salespider-backup restore-drill --format text"],
    ("restore-drill", "FORMAT=json", "SQL=SELECT v = 'x' FROM t"): [
        "docker exec -e BACKUP_DRILL_SQL salespider-backup restore-drill --format json"],
    ("restore-latest",): restore("latest"),
    ("restore-backup", "BACKUP_SET=20240101-120000F"): restore("set '20240101-120000F'"),
    ("restore-pitr", "TARGET=2024-01-01 12:00:00+00"): restore("time '2024-01-01 12:00:00+00'"),
    ("restore-xid", "XID=123456"): restore("xid '123456'"),
    ("validate",): ["docker compose run --rm setup validate"],
    ("config",): ["docker compose run --rm setup", "docker compose up -d",
                  "docker exec salespider-postgres reload-config || "
                  "docker compose restart postgres"],
}


def make(*args: str) -> list[str]:
    result = run([require_tool("make", "Debian package make"), "-s", *args], cwd=REPO)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


@pytest.mark.parametrize("args", list(EXPECTED), ids=lambda args: "-".join(args))
def test_make_n_prints_the_commands(args: tuple[str, ...]) -> None:
    printed = [line for line in make("-n", *args) if not line.startswith("test -n")]
    assert printed == EXPECTED[args]


def test_every_target_is_covered() -> None:
    phony = (REPO / "Makefile").read_text().split(".PHONY:", 1)[1].split("\n\n", 1)[0]
    assert sorted(phony.replace("\\", " ").split()) == sorted({args[0] for args in EXPECTED})


@pytest.mark.parametrize(("target", "usage"), [
    ("restore-backup", "usage: make restore-backup BACKUP_SET="),
    ("restore-pitr", 'usage: make restore-pitr TARGET="'),
    ("restore-xid", "usage: make restore-xid XID="),
])
def test_restores_without_their_argument_stop_before_touching_anything(target: str,
                                                                       usage: str) -> None:
    # Not -n: the argument check runs first and make stops there, before any docker command.
    result = run([require_tool("make", "Debian package make"), target], cwd=REPO)
    assert result.returncode == 2
    assert usage in result.stderr
    assert "docker" not in result.stdout
