"""docker-compose.yml: valid against the compose-spec schema, and wired as the contract says."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from setup_service import catalogue, namespace

from .tools import REPO, require_tool, run

pytestmark = pytest.mark.static

CONFIG_VOLUME = "pgbackrest-config"


@pytest.fixture(scope="module")
def compose() -> Any:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


# source:target[:mode], where the target may be interpolated: ${NAME:-default}
MOUNT = re.compile(r"(?P<source>[^:]+):(?P<target>\$\{[^}]*\}|[^:]+)(?::(?P<mode>ro|rw))?")


def mounts(service: Any) -> dict[str, tuple[str, str]]:
    """target -> (source, mode) of a service's short-syntax volumes."""
    result = {}
    for volume in service.get("volumes", []):
        match = MOUNT.fullmatch(volume)
        assert match, volume
        result[match["target"]] = (match["source"], match["mode"] or "rw")
    return result


def environment(service: Any) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def test_valid_against_the_compose_spec() -> None:
    checker = require_tool("check-jsonschema", "PyPI check-jsonschema, in the test extra")
    result = run([checker, "--builtin-schema", "vendor.compose-spec", "docker-compose.yml"],
                 cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_setup_is_a_one_shot_job_writing_the_config_volume(compose: Any) -> None:
    setup = compose["services"]["setup"]
    assert setup["build"] == "."
    assert setup["restart"] == "no"
    assert setup["command"] == ["generate"]
    assert mounts(setup) == {"/pgbackrest-config": (CONFIG_VOLUME, "rw"),
                             "/run/secrets": ("./secrets", "ro")}
    # The job reads the project's .env itself, a file secret (no value from it is container
    # environment), as root, then runs as 999; it also checks what this deployment needs.
    assert setup["secrets"] == [{"source": "dotenv", "target": "/run/setup/.env"}]
    assert compose["secrets"] == {"dotenv": {"file": "./.env"}}
    assert environment(setup) == {"SETUP_ENV_FILE": "/run/setup/.env", "SETUP_USER": "999:999",
                                  "SETUP_DEPLOYMENT": "compose"}
    assert compose["volumes"][CONFIG_VOLUME] == {"name": CONFIG_VOLUME}


def test_no_secret_is_container_environment(compose: Any) -> None:
    """`docker inspect` shows a container's environment to anyone who can reach the engine, for
    as long as the (even exited) container exists: no service takes .env whole, and none takes a
    secret variable from it."""
    secret = catalogue.SECRET_NAMES  # POSTGRES_PASSWORD and BACKUP_WEBHOOK_URL among them
    assert {"POSTGRES_PASSWORD", "BACKUP_WEBHOOK_URL"} <= secret
    for name, service in compose["services"].items():
        assert "env_file" not in service, name
        for key, value in environment(service).items():
            assert key not in secret, (name, key)
            assert not set(re.findall(r"\$\{([A-Z0-9_]+)", value)) & secret, (name, key)


@pytest.mark.parametrize(("name", "container"), [("postgres", "salespider-postgres"),
                                                 ("backup", "salespider-backup")])
def test_pgbackrest_services_read_the_published_files_only(compose: Any, name: str,
                                                           container: str) -> None:
    service = compose["services"][name]
    assert service["container_name"] == container
    # The backup image takes its package from the repository's top (docker/backup/Dockerfile).
    assert service["build"] == ({"context": ".", "dockerfile": "docker/backup/Dockerfile"}
                                if name == "backup" else f"./docker/{name}")
    assert service["depends_on"]["setup"] == {"condition": "service_completed_successfully"}
    assert mounts(service)["/etc/pgbackrest"] == (CONFIG_VOLUME, "ro")
    # pgBackRest would read PGBACKREST_* itself, over the published files.
    assert "env_file" not in service
    for key, value in environment(service).items():
        assert not key.startswith("PGBACKREST_")
        assert "PGBACKREST_" not in value, key


def test_postgres_and_backup_share_data_repository_logs_and_socket(compose: Any) -> None:
    postgres, backup = (mounts(compose["services"][name]) for name in ("postgres", "backup"))
    defaults = catalogue.STANZA_DEFAULTS
    shared = [defaults["pg-path"], "${PGBACKREST_REPO1_PATH:-/var/lib/pgbackrest}",
              "/var/log/pgbackrest", defaults["pg-socket-path"]]
    for target in shared:
        assert postgres[target] == backup[target], target
        assert postgres[target][1] == "rw", target
    # archive-push --archive-async spools in the postgres container.
    assert postgres[catalogue.PRODUCTION_DEFAULTS["spool-path"]][1] == "rw"


def test_postgres_waits_for_setup_and_reports_health(compose: Any) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert set(environment(postgres)) == {"POSTGRES_PASSWORD_FILE", "POSTGRES_HOST_AUTH_METHOD",
                                          "POSTGRES_DB"}
    # The password the setup job published, unless the user gives a file of their own.
    published = f"{namespace.DEFAULT_MOUNT_PATH}/{namespace.POSTGRES_PASSWORD_FILE}"
    assert environment(postgres)["POSTGRES_PASSWORD_FILE"] == f"${{POSTGRES_PASSWORD_FILE:-{published}}}"


def test_backup_service_limits_and_lifecycle(compose: Any) -> None:
    backup = compose["services"]["backup"]
    assert backup["depends_on"]["postgres"] == {"condition": "service_healthy"}
    # Exits 0 when status.json says backups are disabled: on-failure leaves it down then.
    assert backup["restart"] == "on-failure"
    # Only the backup service's own settings: a PGBACKREST_* variable would be read by pgBackRest
    # as an option, behind the published config.
    assert all(name.startswith(("BACKUP_WEBHOOK_", "BACKUP_WATCH_", "BACKUP_STATUS_", "BACKUP_DRILL_",
                                "BACKUP_METRICS_")) or name == "POSTGRES_DB" for name in environment(backup))
    resources = backup["deploy"]["resources"]
    assert resources == {
        "limits": {"memory": "${BACKUP_MEMORY_LIMIT:-512M}", "cpus": "${BACKUP_CPU_LIMIT:-1.0}"},
        "reservations": {"memory": "${BACKUP_MEMORY_RESERVATION:-256M}",
                         "cpus": "${BACKUP_CPU_RESERVATION:-0.25}"},
    }


def test_compose_variables_are_in_the_catalogue(compose: Any) -> None:
    """Every variable docker-compose.yml takes from .env is one the job validates and documents."""
    import re

    text = (REPO / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    assert {"BACKUP_MEMORY_LIMIT", "BACKUP_CPU_LIMIT", "BACKUP_MEMORY_RESERVATION", "BACKUP_CPU_RESERVATION",
            "PGBACKREST_REPO1_PATH", "BACKUP_WATCH_MINUTES"} <= used
    assert used - set(catalogue.BY_NAME) == set()


def test_the_backup_services_tunables_reach_it_from_env(compose: Any) -> None:
    """What the backup service reads from its environment (the documented tunables) is passed
    from .env, with the catalogue's defaults, so that setting one in .env takes effect. (Its own
    fallbacks are the catalogue's by construction: tests/backup/test_settings.py.)"""
    import re

    source = (REPO / "backup_service" / "settings.py").read_text()
    read = set(re.findall(r'"(BACKUP_(?:STATUS|WATCH|DRILL|METRICS)_[A-Z_]+)"', source)) - {
        "BACKUP_STATUS_NOW", "BACKUP_DRILL_SCRATCH"}  # a test's clock; the volume's mount point
    passed = environment(compose["services"]["backup"])
    assert read and read <= set(passed), read - set(passed)
    for name in read:
        assert passed[name] == "${%s:-%s}" % (name, catalogue.BY_NAME[name].default or "")


def test_the_catalogue_states_the_compose_files_defaults() -> None:
    """README's variable reference (generated from the catalogue) says what compose does."""
    import re

    text = (REPO / "docker-compose.yml").read_text()
    found = dict(re.findall(r"\$\{([A-Z0-9_]+):-([^}]*)\}", text))
    for name, default in found.items():
        variable = catalogue.BY_NAME.get(name)
        if variable is not None and variable.default is not None and default:
            assert variable.default == default, (name, variable.default, default)
    assert {"BACKUP_CPU_LIMIT", "BACKUP_MEMORY_LIMIT"} <= set(found)


def test_the_prose_states_the_compose_files_resource_defaults() -> None:
    """Sentences that quote the backup container's limits ("default 1.0 CPU / 512M") quote
    compose's defaults (README once said 0.5 CPU after compose moved to 1.0)."""
    import re

    found = dict(re.findall(r"\$\{([A-Z0-9_]+):-([^}]*)\}", (REPO / "docker-compose.yml").read_text()))
    quoted = [(path.name, match) for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
              for match in re.findall(r"([0-9.]+) CPUs? / ([0-9]+[KMG])", path.read_text())]
    assert quoted, "the README no longer quotes the limits: drop this test"
    for where, (cpus, memory) in quoted:
        assert (cpus, memory) == (found["BACKUP_CPU_LIMIT"], found["BACKUP_MEMORY_LIMIT"]), where


def test_the_restore_drill_has_a_volume_of_its_own(compose: Any) -> None:
    """restore-drill restores into /var/lib/restore-drill: a named volume only the backup service
    mounts, not PGDATA and not the container's writable layer."""
    mounts_of = {name: mounts(service) for name, service in compose["services"].items()}
    assert mounts_of["backup"]["/var/lib/restore-drill"] == ("restore-drill", "rw")
    assert "restore-drill" in compose["volumes"]
    assert all("/var/lib/restore-drill" not in found for name, found in mounts_of.items() if name != "backup")


@pytest.mark.parametrize("name", ["setup", "postgres", "backup"])
def test_least_privilege(compose: Any, name: str) -> None:
    """Every service drops every capability, gains none through exec, has a read-only root with
    /tmp on a tmpfs; the reason is written beside it. PostgreSQL and the backup service run as
    999 from the start and add none back; the setup job starts as root to read .env and adds back
    only what that and becoming 999 take, each with its reason."""
    service = compose["services"][name]
    assert (service["cap_drop"], service["security_opt"], service["read_only"], service["tmpfs"]) == \
        (["ALL"], ["no-new-privileges:true"], True, ["/tmp"])
    if name == "setup":
        assert (service["user"], service["cap_add"]) == ("0:0", ["DAC_READ_SEARCH", "SETUID", "SETGID"])
        text = (REPO / "docker-compose.yml").read_text()
        for capability in service["cap_add"]:
            assert re.search(rf"- {capability}  # \S", text), capability
    else:
        assert service.get("user", "999:999") == "999:999"
        assert "cap_add" not in service
    block = (REPO / "docker-compose.yml").read_text().split(f"\n  {name}:\n", 1)[1]
    assert "# Least privilege:" in block.split("cap_drop:", 1)[0], name
