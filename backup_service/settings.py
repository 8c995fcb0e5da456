"""The backup service's settings: built once from the environment by the command that runs,
never read at import. Defaults are the catalogue's."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping

from setup_service import catalogue, namespace

PGDATA_DEFAULT = catalogue.STANZA_DEFAULTS["pg-path"]
LOG_PATH_DEFAULT = "/var/log/pgbackrest"  # the shared log volume; also where state is kept
DRILL_SCRATCH_DEFAULT = "/var/lib/restore-drill"  # the restore-drill volume in compose


def _default(name: str) -> float:
    default = catalogue.BY_NAME[name].default
    assert default is not None, name
    return float(default)


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    """A number from the environment; an empty or malformed value takes the default (the setup
    job has validated what compose passes)."""
    try:
        return float(environ.get(name, "") or default)
    except ValueError:
        return default


def _catalogue_number(environ: Mapping[str, str], name: str) -> float:
    return _number(environ, name, _default(name))


def _optional_number(environ: Mapping[str, str], name: str) -> float | None:
    """A number, or None when unset, empty or malformed (the setting is off)."""
    try:
        return float(environ.get(name, ""))
    except ValueError:
        return None


@dataclasses.dataclass(frozen=True)
class Settings:
    config_dir: str
    pgbackrest_bin: str
    pgdata: str
    state_dir: str
    database: str
    timeout: float
    grace: float
    critical_after: float
    outage_warning_hours: float
    outage_critical_hours: float
    watch_minutes: int
    webhook_url: str
    webhook_timeout: float
    startup_timeout: float
    retry_interval: float
    now: float  # BACKUP_STATUS_NOW (tests move the clock), else the time the command started
    scheduler_now: str  # SCHEDULER_NOW: an ISO time the scheduler's once-mode uses (tests)
    scheduler_once: bool
    drill_scratch: str  # BACKUP_DRILL_SCRATCH: where a drill restores (a volume of its own)
    drill_timeout: float
    drill_sql: str  # the probe of scheduled drills
    drill_rto_target: float | None
    postgres_db: str  # the database the probe runs on
    metrics_port: int | None
    environ: Mapping[str, str]  # what redaction looks through, and what jobs inherit

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        return cls(
            config_dir=environ.get("PGBR_CONFIG_DIR") or namespace.DEFAULT_MOUNT_PATH,
            pgbackrest_bin=environ.get("PGBR_BIN") or "pgbackrest",
            pgdata=environ.get("PGDATA") or PGDATA_DEFAULT,
            state_dir=environ.get("BACKUP_STATE_DIR") or LOG_PATH_DEFAULT,
            database=environ.get("PGDATABASE") or "postgres",
            timeout=_catalogue_number(environ, "BACKUP_STATUS_TIMEOUT"),
            grace=_catalogue_number(environ, "BACKUP_STATUS_GRACE"),
            critical_after=_catalogue_number(environ, "BACKUP_STATUS_CRITICAL_AFTER"),
            outage_warning_hours=_catalogue_number(environ, "BACKUP_STATUS_OUTAGE_WARNING"),
            outage_critical_hours=_catalogue_number(environ, "BACKUP_STATUS_OUTAGE_CRITICAL"),
            watch_minutes=int(_catalogue_number(environ, "BACKUP_WATCH_MINUTES")),
            webhook_url=environ.get("BACKUP_WEBHOOK_URL", ""),
            webhook_timeout=_number(environ, "BACKUP_WEBHOOK_TIMEOUT", 30),
            startup_timeout=_number(environ, "BACKUP_STARTUP_TIMEOUT", 300),
            retry_interval=_number(environ, "BACKUP_RETRY_INTERVAL", 5),
            now=_number(environ, "BACKUP_STATUS_NOW", 0) or time.time(),
            scheduler_now=environ.get("SCHEDULER_NOW", ""),
            scheduler_once=environ.get("SCHEDULER_ONCE", "0") == "1",
            drill_scratch=environ.get("BACKUP_DRILL_SCRATCH") or DRILL_SCRATCH_DEFAULT,
            drill_timeout=_catalogue_number(environ, "BACKUP_DRILL_TIMEOUT"),
            drill_sql=environ.get("BACKUP_DRILL_SQL", ""),
            drill_rto_target=_optional_number(environ, "BACKUP_DRILL_RTO_TARGET"),
            postgres_db=environ.get("POSTGRES_DB") or str(catalogue.BY_NAME["POSTGRES_DB"].default),
            metrics_port=int(port) if (port := _optional_number(environ, "BACKUP_METRICS_PORT")) else None,
            environ=dict(environ),
        )
