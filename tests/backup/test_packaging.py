"""The backup package as the image carries it: the standard library and the setup job's
dependency-free modules only (the Dockerfile copies exactly those), no import circle, a docstring
atop each module, no environment read at import, and one link per command."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from backup_service.commands import COMMANDS
from tests.unit.test_import_graph import _cycle

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "backup_service"
HEAVY = ("pydantic", "jsonschema", "jinja2", "click", "dotenv")


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in [*PACKAGE.rglob("*.py"), *(REPO / "setup_service").glob("*.py")]}


def _closure() -> set[str]:
    """Every module of ours that importing backup_service's modules reaches."""
    modules = _modules()
    todo = [name for name in modules if name.startswith("backup_service")]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += [dep for dep in _imports(modules[name]) if dep in modules]
        parent = name.rpartition(".")[0]
        if parent:
            todo.append(parent)  # a package's __init__ runs first
    return seen


def test_importing_every_module_needs_none_of_the_setup_jobs_libraries() -> None:
    blocked = "; ".join(f"sys.modules[{name!r}] = None" for name in HEAVY)
    names = sorted(name for name in _modules() if name.startswith("backup_service") and
                   not name.endswith("__main__"))
    code = f"import importlib, sys; {blocked}\nfor n in {names!r}: importlib.import_module(n)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_the_image_copies_exactly_the_setup_modules_the_package_imports() -> None:
    dockerfile = (REPO / "docker/backup/Dockerfile").read_text().replace("\\\n", " ")
    copied = set(re.findall(r"setup_service/(\w+)\.py", dockerfile))
    needed = {name.split(".", 1)[1] if "." in name else "__init__"
              for name in _closure() if name.startswith("setup_service")}
    assert copied == needed
    assert "setup_service/pgbackrest_options.json" in dockerfile  # option_table's data


def test_no_import_circle_in_the_package() -> None:
    modules = _modules()
    graph = {name: {dep for dep in _imports(path) if dep in modules and dep.startswith("backup_service")}
             - {name} for name, path in modules.items() if name.startswith("backup_service")}
    assert _cycle(graph) == []


def test_every_module_says_what_it_holds() -> None:
    for path in PACKAGE.rglob("*.py"):
        assert ast.get_docstring(ast.parse(path.read_text())), path


def test_no_module_reads_the_environment_but_the_command_line() -> None:
    """Settings are built once, from the environment the command got (commands.main)."""
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        reads = re.findall(r"\bos\.environ|\bos\.getenv|from os import (?:environ|getenv)", text)
        if path.name == "commands.py":
            assert reads == ["os.environ"], reads
        elif path.name == "settings.py":
            assert "os." not in text
        else:
            assert reads == [], path


def test_one_link_per_command_beside_the_launcher() -> None:
    folder = REPO / "bin" / "backup"
    links = {p.name for p in folder.iterdir() if p.is_symlink()}
    assert links == set(COMMANDS) - {"backup-service"}
    assert all((folder / name).resolve() == folder / "backup-service" for name in links)
