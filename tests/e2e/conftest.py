"""Fixtures for the end-to-end tests: storage emulators over TLS, PostgreSQL, pgBackRest.

Every server is started on 127.0.0.1 with a port chosen at run time and stopped by PID at
teardown, whether the test passed or not. A missing component skips the test, or fails it when
``CI`` is set. See harness/README.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

import pytest

from tests.e2e.harness import (
    AzuriteServer,
    ComponentMissing,
    GcsEmulator,
    OsUser,
    PgBackRest,
    PgBackRestFactory,
    PgCluster,
    PgClusterFactory,
    ProcessFailed,
    S3rverServer,
    TlsFiles,
    ensure_test_user,
    make_tls_files,
    missing,
)
from tests.e2e.harness.availability import find_executable, postgres_bindir
from tests.e2e.harness.posix import PosixRepo
from tests.e2e.harness.steps import STEP_RECORDS, StepTimer


class Server(Protocol):
    def start(self) -> Any: ...

    def stop(self) -> None: ...


def _started(server: Server, what: str) -> Any:
    try:
        return server.start()
    except (ComponentMissing, ProcessFailed, OSError, RuntimeError) as error:
        server.stop()
        missing(f"{what} did not start: {error}")


@pytest.fixture(scope="session")
def e2e_workdir() -> Iterator[Path]:
    """A session directory the unprivileged user can traverse (pytest's tmp_path is 0700).

    Removed at the end unless E2E_KEEP is set (then its path is printed).
    """
    base = Path(tempfile.mkdtemp(prefix="setup-service-e2e-"))
    base.chmod(0o755)
    yield base
    if os.environ.get("E2E_KEEP"):
        print(f"\nE2E_KEEP: e2e files kept in {base}")
    else:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def e2e_tmp(e2e_workdir: Path, request: pytest.FixtureRequest) -> Path:
    """A fresh directory for this test, mode 0755, inside the session directory."""
    # Short: the cluster's unix socket path must stay under 107 bytes.
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name.removeprefix("test_"))[:24]
    path = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=e2e_workdir))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="session")
def tls_files(e2e_workdir: Path) -> TlsFiles:
    """A throwaway CA and a server certificate for 127.0.0.1 / localhost (PEM files)."""
    return make_tls_files(e2e_workdir / "tls")


@pytest.fixture(scope="session")
def pg_user() -> OsUser:
    """The unprivileged OS user (``pgtest`` when running as root) owning clusters."""
    try:
        return ensure_test_user()
    except (RuntimeError, OSError) as error:
        missing(f"cannot create the unprivileged test user: {error}")


@pytest.fixture(scope="session")
def pg_bindir() -> Path:
    try:
        return postgres_bindir()
    except ComponentMissing as error:
        missing(str(error))


@pytest.fixture(scope="session")
def pgbackrest_binary() -> str:
    try:
        return find_executable("pgbackrest")
    except ComponentMissing as error:
        missing(str(error))


@pytest.fixture
def s3_server(e2e_tmp: Path, tls_files: TlsFiles) -> Iterator[S3rverServer]:
    """s3rver over TLS with a fresh bucket and random, rotatable credentials."""
    directory = e2e_tmp / "s3"
    directory.mkdir()
    server = S3rverServer(directory, tls_files)
    try:
        yield _started(server, "s3rver")
    finally:
        server.stop()


@pytest.fixture
def azurite_server(e2e_tmp: Path, tls_files: TlsFiles) -> Iterator[AzuriteServer]:
    """Azurite's blob service over TLS with a fresh container."""
    directory = e2e_tmp / "azure"
    directory.mkdir()
    server = AzuriteServer(directory, tls_files)
    try:
        yield _started(server, "Azurite")
    finally:
        server.stop()


@pytest.fixture
def gcs_server(e2e_tmp: Path, tls_files: TlsFiles) -> Iterator[GcsEmulator]:
    """gcp-storage-emulator over TLS (bearer token required) with its token endpoint."""
    directory = e2e_tmp / "gcs"
    directory.mkdir()
    server = GcsEmulator(directory, tls_files)
    try:
        yield _started(server, "gcp-storage-emulator")
    finally:
        server.stop()


@pytest.fixture
def posix_repo(e2e_tmp: Path, pg_user: OsUser) -> PosixRepo:
    """An empty repository directory owned by the unprivileged user."""
    return PosixRepo(e2e_tmp / "posix-repo", pg_user).create()


@pytest.fixture
def pg_cluster_factory(e2e_tmp: Path, pg_user: OsUser, pg_bindir: Path) -> Iterator[PgClusterFactory]:
    """``make(name="pg", include_files=(), settings=None)`` -> an initdb'd, stopped PgCluster.

    ``include_files`` are appended to postgresql.conf as ``include_if_exists`` lines (the
    PostgreSQL service includes ``<volume>/postgresql-archive.conf`` this way). Every cluster
    made is stopped at teardown.
    """
    clusters: list[PgCluster] = []

    def make(name: str = "pg", include_files: Sequence[Path] = (),
             settings: dict[str, str] | None = None) -> PgCluster:
        cluster = PgCluster(pg_user, e2e_tmp / name, pg_bindir, include_files, settings)
        clusters.append(cluster)
        return cluster.init()

    try:
        yield make
    finally:
        for cluster in clusters:
            cluster.close()


@pytest.fixture
def pgbackrest_factory(pg_user: OsUser, pgbackrest_binary: str, e2e_tmp: Path) -> PgBackRestFactory:
    """``make(config_dir, stanza, cluster)`` -> a PgBackRest runner on a published config.

    Its log checks read ``cluster.pgbackrest_log`` (the log-path given to the setup service by
    ``cluster.env()``) and the cluster's server log (archive-push writes no log file).
    """

    def make(config_dir: Path, stanza: str, cluster: PgCluster,
             log_path: Path | None = None) -> PgBackRest:
        return PgBackRest(pg_user, config_dir, stanza, log_path or cluster.pgbackrest_log,
                          cwd=e2e_tmp, pg_server_log=cluster.server_log, binary=pgbackrest_binary)

    return make


# -- step timings ---------------------------------------------------------------------------------
@pytest.fixture
def steps(request: pytest.FixtureRequest) -> StepTimer:
    """``with steps("backup full"): ...`` times a step; a table is printed after the run."""
    callspec = getattr(request.node, "callspec", None)
    case = request.node.originalname + (f"[{callspec.id}]" if callspec else "")
    return StepTimer(case)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not STEP_RECORDS:
        return
    terminalreporter.section("e2e step timings")
    for record in STEP_RECORDS:
        terminalreporter.write_line(
            f"{record.case:<44} {record.step:<40} {record.seconds:7.2f}s  {record.result}")
    target = os.environ.get("E2E_TIMINGS")
    if target:
        Path(target).write_text(json.dumps([asdict(record) for record in STEP_RECORDS], indent=1))
