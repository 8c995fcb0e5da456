"""The README reference, exit-code table and examples/*.env are what the catalogue generates."""

from __future__ import annotations

from setup_service import catalogue, docs_gen


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
