"""The environment contract: every variable the setup job reads, in one table.

This catalogue is the single source of truth for the JSON Schemas (schema_gen.py), redaction
(which values are secret), the README's variable reference and the example .env files
(docs_gen.py), and the "did you mean" hints. pgBackRest options without a friendly name are
reachable as PGBACKREST_<OPTION> and described by option_table.py.
"""

from __future__ import annotations

import dataclasses

REPO_TYPES = ("none", "posix", "s3", "azure", "gcs")
STORAGE_TYPES = ("posix", "s3", "azure", "gcs")  # the types pgBackRest itself accepts here
DEFAULT_STANZA = "salespider"
TYPE_VARIABLE = "PGBACKREST_REPO1_TYPE"
DEPLOYMENTS = ("compose",)  # SETUP_DEPLOYMENT: deployments whose own needs the job checks
# What the official PostgreSQL image needs to initialise, any one of: (variable, required value).
POSTGRES_AUTH = (("POSTGRES_PASSWORD", None), ("POSTGRES_PASSWORD_FILE", None),
                 ("POSTGRES_HOST_AUTH_METHOD", "trust"))


# pgBackRest options whose value is a file: the job reads it, publishes a copy under files/,
# and points the option at <mount-path>/files/<name>. repo-gcs-key only with key type service.
FILE_OPTIONS = (
    "repo-gcs-key", "repo-storage-ca-file", "repo-host-ca-file", "repo-host-cert-file",
    "repo-host-key-file", "pg-host-ca-file", "pg-host-cert-file", "pg-host-key-file",
    "tls-server-ca-file", "tls-server-cert-file", "tls-server-key-file",
)

# Settings chosen for a production user on a small container; README explains each.
PRODUCTION_DEFAULTS: dict[str, str] = {
    "compress-type": "lz4",
    "archive-async": "y",
    "spool-path": "/var/spool/pgbackrest",
    "archive-push-queue-max": "8GiB",
    "start-fast": "y",
    "process-max": "2",
    "log-level-console": "info",
    "log-level-file": "info",
}
# Settings for the official PostgreSQL image.
STANZA_DEFAULTS: dict[str, str] = {
    "pg-path": "/var/lib/postgresql/data",
    "pg-port": "5432",
    "pg-socket-path": "/var/run/postgresql",
    "pg-user": "postgres",
}


@dataclasses.dataclass(frozen=True)
class Variable:
    """A named environment variable of the contract."""

    name: str
    summary: str
    example: str = ""
    option: str | None = None  # the pgBackRest option it sets (repo options: repo1)
    repo_types: tuple[str, ...] = ()  # the repo types it belongs to; () = every type
    required_for: tuple[str, ...] = ()  # repo types that need it
    secret: bool = False
    default: str | None = None
    pattern: str | None = None  # the value's form, as a JSON Schema pattern
    enum: tuple[str, ...] | None = None
    used_by: str = "setup"  # setup, pgbackrest, scheduler, backup-status, compose, cli
    every_repo: bool = False  # the option's default for every repository, not just repo1
    form: str = ""  # the expected form in words, for error hints


BOOL_WORDS = ("true", "false", "yes", "no", "y", "n", "on", "off", "1", "0")
# ECMA-262 has no inline (?i:...): ajv and editors read these patterns too, so the cases are spelled out.
BOOL_PATTERN = "^(" + "|".join(w for word in BOOL_WORDS
                               for w in sorted({word, word.upper(), word.capitalize()})) + ")$"
_BOOL = BOOL_PATTERN
_COMPOSE_BYTES = r"^[0-9]+(\.[0-9]+)?([bkmgBKMG][bB]?)?$"
_NUMBER = r"^[0-9]+(\.[0-9]+)?$"
_CPUS = _NUMBER
_WHOLE = r"^[0-9]+$"
_UID_GID = r"^[0-9]+:[0-9]+$"
_CRON = r"^\S+( \S+){4}$|^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$"

VARIABLES: tuple[Variable, ...] = (
    Variable(TYPE_VARIABLE, "Repository type; empty or unset means none.", "posix",
             enum=REPO_TYPES, default="none", used_by="pgbackrest"),
    Variable("SETUP_BACKUP", "Enable backups (true/false). Unset: enabled unless the type is none.",
             "true", pattern=_BOOL, form='true or false'),
    Variable("PGBACKREST_STANZA", "pgBackRest stanza name.", DEFAULT_STANZA,
             default=DEFAULT_STANZA, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", form='letters, digits, ".", "_" and "-", starting with a letter or digit'),
    Variable("PGBACKREST_REPO1_PATH", "Repository path (posix: a directory; cloud: a prefix).",
             "/var/lib/pgbackrest", option="repo-path", repo_types=STORAGE_TYPES,
             used_by="pgbackrest"),
    Variable("AWS_S3_BUCKET", "S3 bucket.", "your-backup-bucket", option="repo-s3-bucket",
             repo_types=("s3",), required_for=("s3",),
             pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", form='an S3 bucket name: 3-63 lowercase letters, digits, "." and "-"'),
    Variable("AWS_REGION", "S3 region (AWS region, or the region an S3-compatible service expects).",
             "us-east-1", option="repo-s3-region", repo_types=("s3",), required_for=("s3",),
             # Any region pgBackRest takes (an S3-compatible service's RegionOne); an AWS region
             # is checked further when no AWS_S3_ENDPOINT is set (rules.check_aws_region).
             pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", form='a region name such as us-east-1'),
    Variable("AWS_ACCESS_KEY_ID", "S3 access key.", "your-access-key", option="repo-s3-key",
             repo_types=("s3",), required_for=("s3",), secret=True),
    Variable("AWS_SECRET_ACCESS_KEY", "S3 secret key.", "your-secret-key",
             option="repo-s3-key-secret", repo_types=("s3",), required_for=("s3",), secret=True),
    Variable("AWS_SESSION_TOKEN", "S3 session token for temporary credentials (optional).", "",
             option="repo-s3-token", repo_types=("s3",), secret=True),
    Variable("AWS_S3_ENDPOINT", "S3-compatible endpoint: https://host[:port] or host[:port]. "
             "Unset: the AWS regional endpoint.", "", option="repo-s3-endpoint",
             repo_types=("s3",), pattern=r"^([A-Za-z][A-Za-z0-9+.-]*://)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?/?$", form='https://host[:port] or host[:port]'),
    Variable("AZURE_STORAGE_ACCOUNT", "Azure storage account.", "yourstorageaccount",
             option="repo-azure-account", repo_types=("azure",), required_for=("azure",),
             secret=True, pattern=r"^[a-z0-9]{3,24}$", form='a storage account name: 3-24 lowercase letters and digits'),
    Variable("AZURE_STORAGE_KEY", "Azure shared key (base64), or a SAS token when "
             "PGBACKREST_REPO1_AZURE_KEY_TYPE=sas.", "ZmFrZSBrZXkgZm9yIGV4YW1wbGVzIG9ubHk=", option="repo-azure-key",
             repo_types=("azure",), required_for=("azure",), secret=True),
    Variable("AZURE_STORAGE_CONTAINER", "Azure blob container.", "your-container-name",
             option="repo-azure-container", repo_types=("azure",), required_for=("azure",),
             pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", form='a container name: 3-63 lowercase letters, digits and "-"'),
    Variable("GCS_BUCKET", "GCS bucket.", "your-backup-bucket", option="repo-gcs-bucket",
             repo_types=("gcs",), required_for=("gcs",),
             pattern=r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$", form='a GCS bucket name: lowercase letters, digits, ".", "_" and "-"'),
    Variable("GCS_KEY", "Path to the service-account JSON key file (or the token itself when "
             "PGBACKREST_REPO1_GCS_KEY_TYPE=token).", "/run/secrets/gcs-key.json",
             option="repo-gcs-key", repo_types=("gcs",), required_for=("gcs",), secret=True),
    Variable("BACKUP_SCHEDULE_FULL", "Cron schedule of full backups.", "0 2 * * 0",
             default="0 2 * * 0", pattern=_CRON, used_by="scheduler", form='a cron expression such as 0 2 * * 0'),
    Variable("BACKUP_SCHEDULE_DIFF", "Cron schedule of differential backups. Unset: daily at the "
             "full backup's time, except on its days.", "0 2 * * 1-6", pattern=_CRON,
             used_by="scheduler", form='a cron expression such as 0 2 * * 1-6'),
    Variable("BACKUP_SCHEDULE_INCR", "Cron schedule of incremental backups (optional).",
             "0 */6 * * *", pattern=_CRON, used_by="scheduler", form='a cron expression such as 0 */6 * * *'),
    Variable("BACKUP_RETENTION_FULL", "Full backups to keep (every repository).", "7",
             option="repo-retention-full", default="7", pattern=r"^[0-9]+$", every_repo=True, form='a whole number of backups, at least 1'),
    Variable("BACKUP_RETENTION_DIFF", "Differential backups to keep (every repository).", "3",
             option="repo-retention-diff", default="3", pattern=r"^[0-9]+$", every_repo=True, form='a whole number of backups, at least 1'),
    Variable("BACKUP_WEBHOOK_URL", "URL the backup service posts results to (http or https).",
             "https://hooks.example.com/backup", secret=True, pattern=r"^https?://[^\s/]+\S*$",
             used_by="scheduler", form='an http:// or https:// URL'),
    Variable("BACKUP_WATCH_MINUTES", "Minutes between the backup service's `backup-status --watch` "
             "runs (state-change alerts to BACKUP_WEBHOOK_URL, a full backup when WAL is missing); "
             "0 turns it off.", "5", default="5", pattern=_WHOLE, used_by="scheduler",
             form="a whole number of minutes such as 5"),
    Variable("BACKUP_STATUS_GRACE", "Seconds past a schedule's interval before a "
             "backup is overdue (WARNING; CRITICAL past two intervals).", "3600", default="3600",
             pattern=_WHOLE, used_by="backup-status", form="a whole number of seconds such as 3600"),
    Variable("BACKUP_STATUS_CRITICAL_AFTER", "Seconds that archiving may fail or the "
             "repository be unreachable before WARNING turns CRITICAL (the container unhealthy).",
             "3600", default="3600", pattern=_WHOLE, used_by="backup-status",
             form="a whole number of seconds such as 3600"),
    Variable("BACKUP_STATUS_OUTAGE_WARNING", "WARNING when the safe outage duration "
             "is below this many hours (once the WAL rate is measured over ten minutes).", "12", default="12", pattern=_NUMBER, used_by="backup-status",
             form="a number of hours such as 12"),
    Variable("BACKUP_STATUS_OUTAGE_CRITICAL", "CRITICAL when, during an outage, the "
             "time left before pgBackRest drops WAL is below this many hours.", "2", default="2",
             pattern=_NUMBER, used_by="backup-status", form="a number of hours such as 2"),
    Variable("BACKUP_STATUS_TIMEOUT", "Seconds each repository has to answer.", "10",
             default="10", pattern=r"^[1-9][0-9]*$", used_by="backup-status",
             form="a whole number of seconds, at least 1"),
    Variable("BACKUP_SCHEDULE_DRILL", "Cron schedule of the restore drill (restore-drill: the newest "
             "backup restored into scratch space and checked); empty turns it off.", "0 5 1 * *",
             default="0 5 1 * *", pattern=r"^$|" + _CRON, used_by="scheduler",
             form="a cron expression such as 0 5 1 * *, or empty"),
    Variable("BACKUP_DRILL_TIMEOUT", "Seconds a restore drill may take before it is stopped, "
             "cleaned up and reported CRITICAL.", "3600", default="3600", pattern=r"^[1-9][0-9]*$",
             used_by="restore-drill", form="a whole number of seconds, at least 1"),
    Variable("BACKUP_DRILL_RTO_TARGET", "Seconds: a restore drill whose RTO exceeds it is WARNING "
             "(optional).", "1800", pattern=r"^[1-9][0-9]*$", used_by="restore-drill",
             form="a whole number of seconds, at least 1"),
    Variable("BACKUP_DRILL_SQL", "The probe of scheduled restore drills: SQL run on POSTGRES_DB in "
             "the restored cluster, passing when the first column of the first row is true "
             "(optional).", "SELECT count(*) > 0 FROM pg_class", used_by="restore-drill"),
    Variable("BACKUP_METRICS_PORT", "Port the backup service serves backup-status's Prometheus "
             "text on, at /metrics (refreshed every BACKUP_WATCH_MINUTES; optional).", "9854",
             pattern=r"^[0-9]{1,5}$", used_by="backup-status", form="a port number such as 9854"),
    Variable("DATABASE_URL", "Application database URL (a hosted database keeps its own "
             "backups).", "postgresql://user:password@db.example.com:5432/dbname", secret=True,
             pattern=r"^postgres(ql)?://\S+$", used_by="compose", form='a postgresql:// (or postgres://) URL'),
    Variable("SETUP_DEPLOYMENT", "The deployment the job runs in. compose (set by the bundled "
             "docker-compose.yml) also checks what that deployment needs beyond pgBackRest: "
             "POSTGRES_PASSWORD, POSTGRES_PASSWORD_FILE or POSTGRES_HOST_AUTH_METHOD=trust.",
             "compose", enum=DEPLOYMENTS, form="compose"),
    Variable("POSTGRES_PASSWORD", "Password of the postgres superuser, set when the PostgreSQL "
             "container first initialises its data directory.", "change-me", secret=True,
             used_by="compose"),
    Variable("POSTGRES_PASSWORD_FILE", "Instead of POSTGRES_PASSWORD: the path, inside the postgres "
             "container, of a file holding the password (a Docker secret).",
             "/run/secrets/postgres-password", pattern=r"^/", used_by="compose",
             form="an absolute path inside the postgres container"),
    Variable("POSTGRES_HOST_AUTH_METHOD", "pg_hba.conf method for connections from other hosts "
             "(the official image's setting); trust needs no password.", "scram-sha-256",
             pattern=r"^[a-z0-9-]+$", used_by="compose", form="a pg_hba.conf method such as scram-sha-256"),
    Variable("POSTGRES_DB", "Database the PostgreSQL container creates on first start.",
             "salespider", default="salespider", used_by="compose"),
    Variable("POSTGRES_PORT", "Port on the host's 127.0.0.1 that PostgreSQL is published on.",
             "5432", default="5432", pattern=r"^[0-9]{1,5}$", used_by="compose",
             form="a port number such as 5432"),
    Variable("BACKUP_MEMORY_LIMIT", "Backup container memory limit.", "512M", default="512M",
             pattern=_COMPOSE_BYTES, used_by="compose", form='a size such as 512M or 1G'),
    Variable("BACKUP_CPU_LIMIT", "Backup container CPU limit.", "0.5", default="1.0", pattern=_CPUS,
             used_by="compose", form='a number of CPUs such as 0.5'),
    Variable("BACKUP_MEMORY_RESERVATION", "Backup container memory reservation.", "256M", default="256M",
             pattern=_COMPOSE_BYTES, used_by="compose", form='a size such as 256M or 1G'),
    Variable("BACKUP_CPU_RESERVATION", "Backup container CPU reservation.", "0.25", default="0.25",
             pattern=_CPUS, used_by="compose", form='a number of CPUs such as 0.25'),
    Variable("SETUP_ALLOW_REPOSITORY_CHANGE", "Publish a change of a repository's identity "
             "(type, path, bucket, container, account, endpoint, encryption, stanza, pg1-path) "
             "although the backups already there become unreachable (--allow-repository-change). "
             "Remove it again afterwards.", "false", pattern=_BOOL, form="true or false"),
    Variable("SETUP_PGBACKREST_VERSION", "The pgBackRest version the configuration is for (its "
             "options, deprecated names, beta features). Unset: the installed pgbackrest's, else "
             "2.45, the images' version.", "2.45", pattern=r"^[0-9]{1,3}\.[0-9]{1,3}(\.[0-9]{1,3})?$",
             form="a version such as 2.45"),
    Variable("SETUP_OUTPUT_DIR", "Where generate publishes (same as --output-dir).",
             "/pgbackrest-config", used_by="cli"),
    Variable("SETUP_MOUNT_PATH", "Where the other containers mount the volume (--mount-path).",
             "/etc/pgbackrest", used_by="cli"),
    Variable("SETUP_OWNER", "uid:gid that owns files holding secrets (--owner).", "999:999",
             pattern=_UID_GID, used_by="cli", form='uid:gid, e.g. 999:999'),
    Variable("SETUP_ENV_FILE", "A .env file the job reads under its environment (--env-file). "
             "The bundled compose file sets it to /run/setup/.env, the project's .env given "
             "as a file secret, so that no value from .env is container environment.",
             "/run/setup/.env", used_by="cli"),
    Variable("SETUP_USER", "uid:gid the job becomes when started as root, right after reading "
             "SETUP_ENV_FILE (compose: 999:999; root only reads a .env kept at mode 0600 by "
             "its owner).", "999:999", pattern=_UID_GID, used_by="cli",
             form='uid:gid, e.g. 999:999'),
    Variable("SETUP_PGBACKREST_CHECK", "Run pgBackRest's own parser on the staged files "
             "(true/false, --pgbackrest-check).", "true", pattern=_BOOL, used_by="cli", form='true or false'),
)

BY_NAME: dict[str, Variable] = {v.name: v for v in VARIABLES}
# pgBackRest option (repo index 1) -> the friendly variable that sets it.
BY_OPTION: dict[str, Variable] = {v.option: v for v in VARIABLES if v.option}
SECRET_NAMES = frozenset(v.name for v in VARIABLES if v.secret)

