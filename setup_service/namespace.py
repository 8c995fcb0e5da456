"""Names and defaults the fast start-up path needs without importing the rest of the package."""

PGBACKREST_PREFIX = "PGBACKREST_"
# Prefixes the setup job owns: an unknown name here is probably a typo.
OWNED_PREFIXES = ("AWS_", "AZURE_", "GCS_", "BACKUP_", "SETUP_")
OWNED_NAMES = ("DATABASE_URL",)
DEFAULT_OUTPUT_DIR = "/pgbackrest-config"
DEFAULT_MOUNT_PATH = "/etc/pgbackrest"
DEFAULT_OWNER = "999:999"


def is_owned(name: str) -> bool:
    """Whether a variable's name is in a namespace the setup job reads."""
    return name.startswith(PGBACKREST_PREFIX) or name.startswith(OWNED_PREFIXES) \
        or name in OWNED_NAMES
