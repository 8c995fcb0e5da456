"""End-to-end test harness: real PostgreSQL and pgBackRest against local storage emulators.

See README.md beside this file for the fixtures (tests/e2e/conftest.py) and the environment
each emulator gives the setup service.
"""

from collections.abc import Callable

from .availability import ComponentMissing, in_ci, missing
from .azure import AzuriteServer
from .gcs import GcsEmulator
from .osuser import OsUser, ensure_test_user
from .pgbackrest import PgBackRest, PgBackRestProblem, PgBackRestResult, backups_of
from .postgres import PgCluster
from .processes import ManagedProcess, ProcessFailed
from .s3 import S3rverServer
from .tls import TlsFiles, make_tls_files

# What the pg_cluster_factory / pgbackrest_factory fixtures (conftest.py) return.
PgClusterFactory = Callable[..., PgCluster]
PgBackRestFactory = Callable[..., PgBackRest]

__all__ = [
    "AzuriteServer", "ComponentMissing", "GcsEmulator", "ManagedProcess", "OsUser", "PgBackRest",
    "PgBackRestFactory", "PgBackRestProblem", "PgBackRestResult", "PgCluster", "PgClusterFactory",
    "ProcessFailed", "S3rverServer",
    "TlsFiles", "backups_of", "ensure_test_user", "in_ci", "make_tls_files", "missing",
]
