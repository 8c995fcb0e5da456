"""The README reference, exit-code table and examples/*.env are what the catalogue generates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from setup_service import catalogue, docs_gen
from tests.unit.support import REPO_ROOT


def test_readme_is_up_to_date() -> None:
    text = (docs_gen.ROOT / "README.md").read_text()
    assert docs_gen.update_readme(text) == text


def test_examples_are_up_to_date() -> None:
    for repo_type in catalogue.REPO_TYPES:
        path = docs_gen.ROOT / "examples" / f"{repo_type}.env"
        assert path.read_text() == docs_gen.example_env(repo_type), path


def test_every_variable_is_in_the_reference() -> None:
    table = docs_gen.reference_table()
    assert all(f"`{v.name}`" in table for v in catalogue.VARIABLES)


# --- what README and docs/contract.md say about the command line and the schemas ------------------

def _synopsis(text: str, command: str) -> str:
    """The `setup-service COMMAND ...` lines of a synopsis block (continuation lines included)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"setup-service {command} "))
    end = start + 1
    while end < len(lines) and lines[end].startswith(" "):
        end += 1
    return "\n".join(lines[start:end])


@pytest.mark.parametrize("doc", ["README.md", "docs/contract.md"])
@pytest.mark.parametrize("command", ["generate", "validate", "schema"])
def test_each_synopsis_shows_every_option_and_argument(doc: str, command: str) -> None:
    import click

    from setup_service import cli

    synopsis = _synopsis((REPO_ROOT / doc).read_text(), command)
    for param in cli.main.commands[command].params:
        if isinstance(param, click.Option):
            shown = [o for o in param.opts + param.secondary_opts if o.startswith("--") and o in synopsis]
            assert shown or param.name == "help", f"{doc}: {command} {param.opts} is not in the synopsis"
        elif isinstance(param.type, click.Choice):
            assert all(choice in synopsis for choice in param.type.choices), (doc, command, param.name)
        else:
            assert param.metavar and param.metavar in synopsis, f"{doc}: {command} argument {param.name}"


def test_contract_lists_every_schema_and_every_result() -> None:
    contract = (REPO_ROOT / "docs" / "contract.md").read_text()
    schemas = sorted(path.name for path in (REPO_ROOT / "schemas").glob("*.json"))
    assert "status.json" in schemas and len(schemas) > 3
    # The path a reader can open: `schemas/s3.json`, not a bare `s3.json` (status.json is also
    # a file in the volume, so a bare name proves nothing).
    assert [name for name in schemas if f"`schemas/{name}`" not in contract] == []
    results = json.loads((REPO_ROOT / "schemas" / "status.json").read_text())["properties"]["result"]["enum"]
    for doc in ("docs/contract.md", "README.md"):
        text = (REPO_ROOT / doc).read_text()
        assert all(f"`{result}`" in text for result in results), (doc, results)


def _layout_block(text: str) -> list[str]:
    """The first word of each entry line of the one fenced block that shows the volume (the block
    holding `..data -> `), a directory's trailing / dropped."""
    blocks, block = [], None
    for line in text.splitlines():
        if line.startswith("```"):  # an opening fence (```lang) or a closing one
            if block is not None:
                blocks.append(block)
            block = [] if block is None else None
        elif block is not None:
            block.append(line)
    blocks = [b for b in blocks if any(line.startswith("  ..data -> ") for line in b)]
    assert len(blocks) == 1, blocks
    root, *entries = blocks[0]
    assert root.split()[0] in ("/pgbackrest-config/", "<output-dir>/"), root
    return [line.split()[0].rstrip("/") for line in entries]


def _entry(name: str) -> str:
    return "..gen-" if name.startswith("..gen-") else name


def test_the_documented_layout_names_every_file_the_job_keeps_in_the_volume(tmp_path: Path) -> None:
    from tests.unit.support import POSIX, generate

    out = tmp_path / "o"
    generate(out, POSIX)
    generate(out, {**POSIX, "BACKUP_RETENTION_FULL": "5"})  # a previous generation too
    from setup_service import fingerprint

    (out / fingerprint.FINGERPRINT_FILE).write_text("")  # what the console script records
    kept = sorted({_entry(entry.name) for entry in out.iterdir()})
    assert len([e for e in out.iterdir() if e.name.startswith("..gen-")]) == 2
    for doc in ("README.md", "docs/contract.md"):
        shown = _layout_block((REPO_ROOT / doc).read_text())
        assert sorted({_entry(name) for name in shown}) == kept, doc
