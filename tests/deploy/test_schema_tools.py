"""The published JSON Schemas work with the standard tools, with no registry or custom loader:
check-jsonschema (Python) and ajv (JavaScript: what editors and JavaScript CI use), draft 2020-12
(ajv in its default strict mode). Each tool judges the bundled examples valid and the broken instances invalid,
and agrees with this job's own validation."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values

from setup_service import app
from tests.deploy.tools import REPO, require_tool, run

SCHEMAS = REPO / "schemas"
TYPES = ("none", "posix", "s3", "azure", "gcs")
S3_BASE = {"PGBACKREST_REPO1_TYPE": "s3", "AWS_S3_BUCKET": "backups", "AWS_REGION": "eu-west-1",
           "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "example/secret"}
# name -> (schema file, instance, what is wrong)
INVALID = {
    "s3-without-bucket": ("s3", {k: v for k, v in S3_BASE.items() if k != "AWS_S3_BUCKET"}),
    "posix-bad-boolean": ("posix", {"PGBACKREST_REPO1_TYPE": "posix", "SETUP_BACKUP": "maybe"}),
    "posix-bad-retention": ("posix", {"PGBACKREST_REPO1_TYPE": "posix", "BACKUP_RETENTION_FULL": "abc"}),
    "posix-bad-option-boolean": ("posix", {"PGBACKREST_REPO1_TYPE": "posix", "PGBACKREST_ARCHIVE_ASYNC": "sometimes"}),
    "s3-schema-gcs-type": ("s3", {**S3_BASE, "PGBACKREST_REPO1_TYPE": "gcs"}),
    "environment-unknown-type": ("environment", {"PGBACKREST_REPO1_TYPE": "ftp"}),
    "environment-s3-without-key": ("environment", {k: v for k, v in S3_BASE.items() if k != "AWS_ACCESS_KEY_ID"}),
}
VALID_EXTRA = {  # spellings only a careful pattern accepts: upper-case booleans, pgBackRest's own names
    "posix-upper-boolean": ("posix", {"PGBACKREST_REPO1_TYPE": "posix", "SETUP_BACKUP": "TRUE",
                                      "PGBACKREST_ARCHIVE_ASYNC": "Y"}),
    "s3-own-names": ("s3", {"PGBACKREST_REPO1_TYPE": "s3", "PGBACKREST_REPO1_S3_BUCKET": "backups",
                            "PGBACKREST_REPO1_S3_REGION": "eu-west-1", "PGBACKREST_REPO1_S3_ENDPOINT": "s3.example.test",
                            "PGBACKREST_REPO1_S3_KEY": "AKIAEXAMPLE", "PGBACKREST_REPO1_S3_KEY_SECRET": "x"}),
}


def _examples() -> dict[str, tuple[str, dict[str, str]]]:
    cases = {}
    for path in sorted((REPO / "examples").glob("*.env")):
        instance = {k: v or "" for k, v in dotenv_values(path, interpolate=False).items()}
        cases[f"example-{path.stem}"] = (instance.get("PGBACKREST_REPO1_TYPE") or "none", instance)
    assert len(cases) == 5, cases
    return cases


@pytest.fixture(scope="module")
def instances(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, Path, bool]]:
    """name -> (schema, instance file, expected validity); examples also against environment.json."""
    root = tmp_path_factory.mktemp("instances")
    cases: dict[str, tuple[str, Path, bool]] = {}
    valid = {**_examples(), **VALID_EXTRA}
    for name, (schema, instance) in [*valid.items(), *[(f"{n}-any", ("environment", i)) for n, (_s, i) in valid.items()]]:
        (root / f"{name}.json").write_text(json.dumps(instance))
        cases[name] = (schema, root / f"{name}.json", True)
    for name, (schema, instance) in INVALID.items():
        (root / f"{name}.json").write_text(json.dumps(instance))
        cases[name] = (schema, root / f"{name}.json", False)
    return cases


def _verdicts(tool: str, schema: str, files: list[Path]) -> dict[Path, bool]:
    if tool == "check-jsonschema":
        exe = require_tool("check-jsonschema", "pip install check-jsonschema")
        proc = run([exe, "--schemafile", str(SCHEMAS / f"{schema}.json"), *map(str, files)])
        output = proc.stdout + proc.stderr
        assert proc.returncode in (0, 1) and "Unresolvable" not in output, output
        return {file: f"{file}::" not in output for file in files}  # errors name file::$.path
    exe = require_tool("ajv", "scripts/install-test-deps.sh installs ajv-cli into .cache/node")
    args = [exe, "validate", "--spec=draft2020", "--all-errors", "-c", "ajv-formats",  # ajv's default strict mode
            "-s", str(SCHEMAS / f"{schema}.json")]
    for file in files:
        args += ["-d", str(file)]
    proc = run(args, cwd=REPO / ".cache" / "node")
    output = proc.stdout + proc.stderr
    assert "error:" not in output.lower() or "invalid" in output, output  # a schema error is no verdict
    verdicts = {}
    for file in files:
        if f"{file} valid" in output:
            verdicts[file] = True
        elif f"{file} invalid" in output:
            verdicts[file] = False
        else:
            pytest.fail(f"ajv gave no verdict on {file}:\n{output}")
    return verdicts


@pytest.mark.parametrize("tool", ["check-jsonschema", "ajv"])
def test_standard_tools_read_the_schemas_and_judge_as_the_job_does(
        tool: str, instances: dict[str, tuple[str, Path, bool]]) -> None:
    by_schema: dict[str, list[Path]] = {}
    for schema, file, _valid in instances.values():
        by_schema.setdefault(schema, []).append(file)
    verdicts: dict[Path, bool] = {}
    for schema, files in by_schema.items():
        verdicts.update(_verdicts(tool, schema, files))
    expected = {file: valid for _schema, file, valid in instances.values()}
    assert verdicts == expected
    assert set(by_schema) == {*TYPES, "environment"}


def test_the_job_agrees_on_the_examples_and_the_broken_instances(instances: dict[str, tuple[str, Path, bool]]) -> None:
    """The same instances through `validate`: the schema is not looser or stricter than the job
    on these (the job has more rules than a schema can say, e.g. a key file's content)."""
    for name, (_schema, file, valid) in instances.items():
        if name.startswith("example-gcs"):
            continue  # the job reads the GCS key file the example names; a schema cannot
        environ = json.loads(file.read_text())
        [(_label, result)] = app.validate_files(environ, [None], False)
        assert (result.exit_code.value == 0) == valid, (name, [p.as_dict() for p in result.problems])


def test_schema_with_no_argument_prints_a_schema_standard_tools_read(tmp_path: Path) -> None:
    proc = run([sys.executable, "-m", "setup_service", "schema"], cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert printed == json.loads((SCHEMAS / "environment.json").read_text())
    (tmp_path / "printed.json").write_text(proc.stdout)
    (tmp_path / "i.json").write_text(json.dumps(S3_BASE))
    exe = require_tool("check-jsonschema", "pip install check-jsonschema")
    assert run([exe, "--schemafile", str(tmp_path / "printed.json"), str(tmp_path / "i.json")]).returncode == 0
