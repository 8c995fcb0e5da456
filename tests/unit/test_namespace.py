"""Which variable names the setup job considers its own."""

from __future__ import annotations

import pytest

from setup_service import namespace


@pytest.mark.parametrize("name, owned", [
    ("AWS_S3_BUCKET", True), ("AWS_CA_BUNDLE", False), ("AZURE_X", True), ("GCS_X", True),
    ("BACKUP_X", True), ("SETUP_X", True), ("PGBACKREST_ANYTHING", True), ("DATABASE_URL", True),
    ("PATH", False), ("HOME", False), ("DATABASE_URL_X", False), ("aws_s3_bucket", False),
    ("PGBACKRESTX", False), ("DATABASE_URL_FILE", True), ("POSTGRES_PASSWORD", True),
    ("POSTGRES_PASSWORD_FILE", True), ("POSTGRES_USER", False), ("POSTGRES_DB_FILE", True),
])
def test_is_owned(name: str, owned: bool) -> None:
    assert namespace.is_owned(name) is owned


def test_defaults_match_the_contract() -> None:
    assert namespace.DEFAULT_OUTPUT_DIR == "/pgbackrest-config"
    assert namespace.DEFAULT_MOUNT_PATH == "/etc/pgbackrest"
    assert namespace.DEFAULT_OWNER == "999:999"


def test_every_catalogue_variable_is_owned() -> None:
    from setup_service import catalogue

    assert [v.name for v in catalogue.VARIABLES if not namespace.is_owned(v.name)] == []
    outside = {v.name for v in catalogue.VARIABLES
               if not v.name.startswith((namespace.PGBACKREST_PREFIX, *namespace.OWNED_PREFIXES))}
    assert outside == set(namespace.OWNED_NAMES)
