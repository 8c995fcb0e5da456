"""deploy/kubernetes/: valid manifests, and the setup image wired as an init container."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
import yaml

from .tools import REPO, require_tool, run

pytestmark = pytest.mark.static

MANIFESTS = sorted((REPO / "deploy" / "kubernetes").glob("*.yaml"))


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda path: path.name)
def test_kubernetes_validate_accepts_the_manifest(path: pathlib.Path) -> None:
    validate = require_tool("kubernetes-validate", "PyPI kubernetes-validate, in the test extra")
    result = run([validate, "--strict", str(path)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed" in result.stdout


@pytest.fixture(scope="module")
def pod() -> Any:
    [statefulset] = yaml.safe_load_all((REPO / "deploy/kubernetes/statefulset.yaml").read_text())
    return statefulset["spec"]["template"]["spec"]


def env(container: Any) -> dict[str, Any]:
    return {item["name"]: item for item in container.get("env", [])}


def mounts(container: Any) -> dict[str, Any]:
    return {mount["mountPath"]: mount for mount in container["volumeMounts"]}


def test_setup_writes_an_empty_dir_the_others_read(pod: Any) -> None:
    [setup] = pod["initContainers"]
    assert "/salespider/setup-service:" in setup["image"]
    assert setup["args"] == ["generate"]
    config = mounts(setup)["/pgbackrest-config"]["name"]
    assert {"name": config, "emptyDir": {}} in pod["volumes"]
    for container in pod["containers"]:
        assert mounts(container)["/etc/pgbackrest"] == {
            "name": config, "mountPath": "/etc/pgbackrest", "readOnly": True}
    assert pod["securityContext"]["runAsUser"] == pod["securityContext"]["fsGroup"] == 999


def test_credentials_come_from_a_secret_through_file_variables(pod: Any) -> None:
    [setup] = pod["initContainers"]
    variables = env(setup)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert name not in variables
        path = pathlib.PurePosixPath(variables[f"{name}_FILE"]["value"])
        mount = mounts(setup)[str(path.parent)]
        assert mount["readOnly"] is True
        [volume] = [v for v in pod["volumes"] if v["name"] == mount["name"]]
        assert path.name in {item["path"] for item in volume["secret"]["items"]}


def test_no_pgbackrest_variable_reaches_the_pgbackrest_containers(pod: Any) -> None:
    for container in pod["containers"]:
        assert not [name for name in env(container) if name.startswith("PGBACKREST_")]
        assert "envFrom" not in container


def test_pgdata_is_where_the_setup_job_points_pgbackrest(pod: Any) -> None:
    [setup] = pod["initContainers"]
    [postgres] = [c for c in pod["containers"] if c["name"] == "postgres"]
    assert env(setup)["PGBACKREST_PG1_PATH"]["value"] == env(postgres)["PGDATA"]["value"]


def test_least_privilege_in_step_with_compose(pod: Any) -> None:
    """A compose service with a read-only root, no capabilities and no privilege escalation is a
    container here with readOnlyRootFilesystem, capabilities dropped and allowPrivilegeEscalation
    off, and the other way round; each read-only container writes /tmp on an emptyDir."""
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    containers = {c["name"]: c for c in pod["initContainers"] + pod["containers"]}
    emptydirs = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
    for name in ("setup", "postgres", "backup"):
        service, context = compose[name], containers[name].get("securityContext", {})
        assert bool(service.get("read_only")) == bool(context.get("readOnlyRootFilesystem")), name
        assert (service.get("cap_drop") == ["ALL"]) == (context.get("capabilities", {}).get("drop") == ["ALL"]), name
        if "no-new-privileges:true" in service.get("security_opt", []):
            assert context.get("allowPrivilegeEscalation") is False, name
        if context.get("readOnlyRootFilesystem"):
            assert mounts(containers[name])["/tmp"]["name"] in emptydirs, name
    assert {"setup", "backup"} <= {name for name in compose if compose[name].get("read_only")}


def test_the_restore_drill_has_a_volume_of_its_own(pod: Any) -> None:
    [backup] = [c for c in pod["containers"] if c["name"] == "backup"]
    name = mounts(backup)["/var/lib/restore-drill"]["name"]
    assert name in {v["name"] for v in pod["volumes"] if "emptyDir" in v}
