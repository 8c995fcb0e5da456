"""pgBackRest's option table: the shipped copy matches the reference; names map both ways."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from setup_service import option_table
from tests.unit.support import REPO_ROOT

REFERENCES = (Path("/work/shared/reference/pgbackrest-options.json"),
              REPO_ROOT.parent / "shared" / "reference" / "pgbackrest-options.json")


def _builder() -> ModuleType:
    path = REPO_ROOT / "scripts" / "build-option-table.py"
    spec = importlib.util.spec_from_file_location("build_option_table", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_table_is_built_from_the_reference() -> None:
    reference = next((p for p in REFERENCES if p.is_file()), None)
    if reference is None:
        pytest.skip("the shared pgBackRest option reference is not present")
    built = _builder().build(reference)
    shipped = json.loads(option_table.TABLE_PATH.read_text())
    assert built == shipped


def test_options_load_with_tuples() -> None:
    table = option_table.options()
    assert table["repo-type"].allow is not None and "s3" in table["repo-type"].allow
    assert isinstance(table["repo-type"].allow, tuple)
    assert table["repo-s3-key-secret"].secure is True
    assert table["repo-s3-bucket"].group == "repo"
    assert table["pg-path"].group == "pg"
    assert table["process-max"].group is None
    assert table["stanza"].section == "command-line"


@pytest.mark.parametrize("variable, option, index, known", [
    ("PGBACKREST_REPO2_S3_BUCKET", "repo-s3-bucket", 2, True),
    ("PGBACKREST_REPO1_PATH", "repo-path", 1, True),
    ("PGBACKREST_REPO256_PATH", "repo-path", 256, True),
    ("PGBACKREST_PG1_PATH", "pg-path", 1, True),
    ("PGBACKREST_PROCESS_MAX", "process-max", None, True),
    ("PGBACKREST_COMPRESS_TYPE", "compress-type", None, True),
    ("PGBACKREST_PROCES_MAX", "proces-max", None, False),
    ("PGBACKREST_REPO1_S3_CA_FILE", "repo1-s3-ca-file", None, False),
])
def test_parse_env_name(variable: str, option: str, index: int | None, known: bool) -> None:
    assert option_table.parse_env_name(variable) == option_table.ParsedName(option, index, known)


def test_key_and_env_name_round_trip() -> None:
    for option in option_table.options().values():
        index = 3 if option.group else None
        env = option.env_name(index)
        assert env.startswith("PGBACKREST_")
        parsed = option_table.parse_env_name(env)
        assert (parsed.option, parsed.index, parsed.known) == (option.name, index, True)
    assert option_table.options()["repo-s3-bucket"].key(2) == "repo2-s3-bucket"
    assert option_table.options()["repo-s3-bucket"].key(None) == "repo-s3-bucket"
    assert option_table.options()["pg-path"].env_name(1) == "PGBACKREST_PG1_PATH"


@pytest.mark.parametrize("old, new", [
    ("repo-s3-ca-file", "repo-storage-ca-file"),
    ("repo1-s3-ca-file", "repo-storage-ca-file"),
    ("repo-s3-verify-ssl", "repo-storage-verify-tls"),
    ("repo-path", None),
    ("no-such-option", None),
])
def test_deprecated_alias(old: str, new: str | None) -> None:
    assert option_table.deprecated_alias(old) == new


def test_all_env_names_only_settable_options() -> None:
    names = option_table.all_env_names(2)
    assert "PGBACKREST_REPO2_S3_BUCKET" in names
    assert "PGBACKREST_PROCESS_MAX" in names
    assert "PGBACKREST_STANZA" not in names  # command-line
    assert "PGBACKREST_TYPE" not in names  # command-line
    internal = [o.env_name(2 if o.group else None) for o in option_table.options().values()
                if o.internal and o.internal_2_45 and o.name != "beta"]
    assert internal and not set(internal) & set(names)
    # internal only after 2.45, the images' version: stop-auto (2.58); beta for repo-block
    assert {"PGBACKREST_STOP_AUTO", "PGBACKREST_BETA"} <= set(names)
    assert names == sorted(names)


def test_multi_is_list_and_hash() -> None:
    table = option_table.options()
    assert table["db-include"].multi and table["recovery-option"].multi
    assert not table["process-max"].multi
