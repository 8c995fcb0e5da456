"""The published JSON Schemas work with the standard tools, with no registry or custom loader:
check-jsonschema (Python) and ajv (JavaScript: what editors and JavaScript CI use), draft 2020-12
(ajv in its default strict mode). Each tool judges the bundled examples valid and the broken instances invalid,
and agrees with this job's own validation; each accepts the job's own `validate --format json` output
under schemas/status.json (one file) or schemas/validate.json (several) and compiles every schema file."""

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


# --- the schemas of the job's own output: status.json, validate.json (and common.json) -----------

def _validate_json(tmp_path: Path, *files: Path) -> str:
    """The real `validate --format json` output on the files (exit 0 or 78, never a crash)."""
    proc = run([sys.executable, "-m", "setup_service", "validate", "--isolated", "--no-pgbackrest-check",
                "--format", "json", *map(str, files)], cwd=REPO)
    assert proc.returncode in (0, 78), proc.stdout + proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, Path, bool]]:
    """name -> (schema, the job's JSON output, expected validity). Each output also against the
    other schema (a status document is not a several-files document, nor the reverse), and one
    output tampered with, so the tools have something to refuse."""
    root = tmp_path_factory.mktemp("outputs")
    good, bad = root / "good.env", root / "bad.env"
    good.write_text("PGBACKREST_REPO1_TYPE=posix\nPGBACKREST_REPO1_PATH=/r\nBACKUP_NOTHING=1\n")
    bad.write_text("PGBACKREST_REPO1_TYPE=s3\nBACKUP_RETENTION_FULL=abc\n")
    printed = {"one-valid": _validate_json(root, good), "one-invalid": _validate_json(root, bad),
               "two-files": _validate_json(root, good, bad)}
    docs = {name: json.loads(text) for name, text in printed.items()}
    assert (docs["one-valid"]["result"], docs["one-invalid"]["result"]) == ("valid", "invalid")
    assert docs["one-valid"]["warnings"] and docs["one-invalid"]["problems"]  # not empty lists only
    assert [f["exit_code"] for f in docs["two-files"]["files"]] == [0, 78]
    tampered = {**docs["two-files"], "files": [{**docs["two-files"]["files"][0], "exit_code": "0"}]}
    cases: dict[str, tuple[str, Path, bool]] = {}
    for name, text in [*printed.items(), ("two-files-tampered", json.dumps(tampered))]:
        (root / f"{name}.json").write_text(text)
        own = "validate" if name.startswith("two-files") else "status"
        other = "status" if own == "validate" else "validate"
        cases[name] = (own, root / f"{name}.json", name != "two-files-tampered")
        cases[f"{name}-as-{other}"] = (other, root / f"{name}.json", False)
    return cases


@pytest.mark.parametrize("tool", ["check-jsonschema", "ajv"])
def test_standard_tools_accept_the_jobs_own_json_output(
        tool: str, outputs: dict[str, tuple[str, Path, bool]]) -> None:
    """`validate --format json`: one file -> schemas/status.json, several -> schemas/validate.json."""
    verdicts: dict[str, bool] = {}
    for schema in ("status", "validate"):
        names = {file: name for name, (s, file, _v) in outputs.items() if s == schema}
        verdicts.update({names[file]: valid for file, valid in _verdicts(tool, schema, list(names)).items()})
    assert verdicts == {name: valid for name, (_s, _f, valid) in outputs.items()}


def test_every_schema_file_compiles_in_both_tools() -> None:
    """Including schemas/common.json, which no instance above is checked against: ajv compiles
    it in strict mode, check-jsonschema checks it against the draft 2020-12 metaschema."""
    files = sorted(SCHEMAS.glob("*.json"))
    assert {f.stem for f in files} >= {*TYPES, "environment", "common", "status", "validate"}
    ajv = require_tool("ajv", "scripts/install-test-deps.sh installs ajv-cli into .cache/node")
    compiled = {}
    for file in files:
        proc = run([ajv, "compile", "--spec=draft2020", "-c", "ajv-formats", "-s", str(file)],
                   cwd=REPO / ".cache" / "node")
        compiled[file.name] = (proc.returncode, (proc.stdout + proc.stderr).strip())
    assert compiled == {f.name: (0, f"schema {f} is valid") for f in files}
    exe = require_tool("check-jsonschema", "pip install check-jsonschema")
    proc = run([exe, "--output-format", "json", "--check-metaschema", *map(str, files)])
    assert (proc.returncode, json.loads(proc.stdout)) == (0, {"status": "ok", "errors": []}), proc.stderr
