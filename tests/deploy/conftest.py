"""Fixtures of the deployment tests: real clusters (pytest -m e2e), shared with tests/backup."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from .cluster import PG_BINDIR, Deployment, unprivileged_user
from .tools import require_tool


@pytest.fixture(scope="session")
def script_tools() -> None:
    """What the container scripts call besides pgBackRest."""
    for name in ("bash", "python3"):
        require_tool(name, "Debian package of the same name")


@pytest.fixture(scope="session")
def e2e_tools(script_tools: None) -> None:
    require_tool("pgbackrest", "Debian package pgbackrest")
    require_tool("setpriv", "Debian package util-linux")
    require_tool(str(PG_BINDIR / "initdb"), "Debian package postgresql-15, or set PG_BINDIR")


@pytest.fixture(scope="module")
def deployment(e2e_tools: None) -> Iterator[Deployment]:
    """A running cluster archiving into an encrypted posix repository, stanza not created yet."""
    cluster = Deployment(unprivileged_user(), stanza="e2e", cipher_pass=secrets.token_hex(16))
    try:
        cluster.publish()
        cluster.initdb()
        cluster.start()
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="module")
def backed_up(deployment: Deployment) -> Iterator[Deployment]:
    """The cluster with table t holding 'base', and one full backup of it."""
    deployment.check(["pgbackrest-stanza", "stanza-create"])
    deployment.psql("CREATE TABLE t (v text); INSERT INTO t VALUES ('base')")
    deployment.check(["run-backup", "full"])
    yield deployment
