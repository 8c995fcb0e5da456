"""The rendered files of every golden case, byte for byte. UPDATE_GOLDEN=1 rewrites them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from setup_service import render
from setup_service.env_sources import Setting
from setup_service.problems import errors
from setup_service.validate import validate
from tests.golden.cases import CASES, HERE


def rendered(case: str) -> dict[str, render.RenderedFile]:
    settings = {k: Setting(v, "environment") for k, v in CASES[case].items()}
    outcome = validate(settings, mount_path="/etc/pgbackrest", read_file=lambda p: Path(p).read_bytes())
    assert errors(outcome.problems) == []
    assert outcome.config is not None
    return render.render(outcome.config)


@pytest.mark.parametrize("case", sorted(CASES))
def test_rendering_matches_golden(case: str) -> None:
    files = rendered(case)
    folder = HERE / case
    if os.environ.get("UPDATE_GOLDEN"):
        for path, file in files.items():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_bytes(file.content)
    golden = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert golden == {path: file.content for path, file in files.items()}
