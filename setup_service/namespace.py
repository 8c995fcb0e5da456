"""Names and defaults the fast start-up path needs without importing the rest of the package."""

import os

PGBACKREST_PREFIX = "PGBACKREST_"
# Prefixes the setup job owns: an unknown name here is probably a typo.
OWNED_PREFIXES = ("AWS_", "AZURE_", "GCS_", "BACKUP_", "SETUP_")
# Names outside those prefixes (catalogue.py lists them; a unit test keeps the two in step).
OWNED_NAMES = ("DATABASE_URL", "POSTGRES_PASSWORD", "POSTGRES_PASSWORD_FILE",
               "POSTGRES_HOST_AUTH_METHOD", "POSTGRES_DB", "POSTGRES_PORT")
FILE_SUFFIX = "_FILE"
# Variables whose empty value means something (off) rather than "unset, take the default".
EMPTY_IS_A_VALUE = ("BACKUP_SCHEDULE_DRILL",)
# The cloud SDKs' own variables, often set on CI runners and hosts: not the job's, not typos.
SDK_NAMES = ("AWS_CA_BUNDLE", "AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_DEFAULT_PROFILE",
             "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_DEFAULT_OUTPUT", "AWS_PAGER",
             "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_WEB_IDENTITY_TOKEN_FILE",
             "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
             "AWS_EC2_METADATA_DISABLED", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_ENDPOINT_URL",
             "AWS_STS_REGIONAL_ENDPOINTS", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
             "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID", "AZURE_CONFIG_DIR",
             "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST")
# The published set's top-level names, each a symlink to ..data/<name>.
TOP_LEVEL = ("pgbackrest.conf", "conf.d", "postgresql-archive.conf", "crontab", "files",
             "status.json")
DATA_LINK = "..data"
# Secrets the other containers read from the published set (files/, 0640) instead of from their
# container environment, where `docker inspect` shows them.
POSTGRES_PASSWORD_FILE = "files/postgres-password"  # compose: POSTGRES_PASSWORD_FILE's default
WEBHOOK_URL_FILE = "files/backup-webhook-url"  # the backup service's BACKUP_WEBHOOK_URL
DEFAULT_OUTPUT_DIR = "/pgbackrest-config"
DEFAULT_MOUNT_PATH = "/etc/pgbackrest"
DEFAULT_OWNER = "999:999"
# The mount path goes into archive_command inside single quotes: keep it to plain path characters.
MOUNT_PATH_PATTERN = r"^/[A-Za-z0-9._/-]*$"


def is_owned(name: str) -> bool:
    """Whether a variable's name is in a namespace the setup job reads."""
    if name in SDK_NAMES:
        return False
    if name.startswith(PGBACKREST_PREFIX) or name.startswith(OWNED_PREFIXES) or name in OWNED_NAMES:
        return True
    # NAME_FILE of an owned name (DATABASE_URL_FILE): a secret given as a file.
    return name.endswith(FILE_SUFFIX) and name[: -len(FILE_SUFFIX)] in OWNED_NAMES


def links_in_place(output_dir: str) -> bool:
    """Whether every top-level name of the published set links through ..data to a directory."""
    try:
        return os.path.isdir(os.path.join(output_dir, DATA_LINK)) and all(
            os.readlink(os.path.join(output_dir, name)) == f"{DATA_LINK}/{name}" for name in TOP_LEVEL)
    except OSError:
        return False
