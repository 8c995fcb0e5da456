"""Shared environments and helpers of the unit tests (not a test module)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Mapping

import pytest

from setup_service import env_sources, namespace
from setup_service.env_sources import Setting
from setup_service.problems import Problem, Severity
from setup_service.validate import Outcome, validate
from tests.property.pgbackrest_ini import Config, read_rendered

REPO_ROOT = Path(__file__).resolve().parents[2]
if TYPE_CHECKING:
    from setup_service import app

MOUNT = "/etc/pgbackrest"

# Fake credentials: distinctive, so a leak is easy to spot in any output.
S3_KEY_ID = "AKIAUNITTESTKEYID01"
S3_SECRET = "unit/test+S3secretValue42"
AZURE_KEY = "VU5JVFRFU1RBWlVSRUtFWVNFQ1JFVFZBTFVFMDEyMzQ1Njc4OQ=="  # base64
GCS_KEY_PATH = "/secrets/gcs-key.json"
GCS_KEY = {
    "type": "service_account",
    "project_id": "unit-test",
    "private_key": "-----BEGIN PRIVATE KEY-----\nUNITTESTPRIVATEKEYMATERIAL\n-----END PRIVATE KEY-----\n",
    "client_email": "backup@unit-test.iam.gserviceaccount.com",
    "token_uri": "https://oauth2.googleapis.com/token",
}
GCS_KEY_BYTES = json.dumps(GCS_KEY, indent=2).encode()
CA_PEM = b"-----BEGIN CERTIFICATE-----\nVU5JVCBURVNUIENB\n-----END CERTIFICATE-----\n"

POSIX: dict[str, str] = {"PGBACKREST_REPO1_TYPE": "posix"}
S3: dict[str, str] = {
    "PGBACKREST_REPO1_TYPE": "s3", "AWS_S3_BUCKET": "unit-bucket", "AWS_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": S3_KEY_ID, "AWS_SECRET_ACCESS_KEY": S3_SECRET,
}
AZURE: dict[str, str] = {
    "PGBACKREST_REPO1_TYPE": "azure", "AZURE_STORAGE_ACCOUNT": "unitaccount",
    "AZURE_STORAGE_KEY": AZURE_KEY, "AZURE_STORAGE_CONTAINER": "unit-container",
}
GCS: dict[str, str] = {"PGBACKREST_REPO1_TYPE": "gcs", "GCS_BUCKET": "unit-bucket",
                       "GCS_KEY": GCS_KEY_PATH}
NONE: dict[str, str] = {}
VALID = {"none": NONE, "posix": POSIX, "s3": S3, "azure": AZURE, "gcs": GCS}
FILES: dict[str, bytes] = {GCS_KEY_PATH: GCS_KEY_BYTES, "/certs/ca.pem": CA_PEM}


def reader(files: Mapping[str, bytes] | None = None) -> Callable[[str], bytes]:
    """A read_file for validate(): a dictionary instead of the file system."""
    table = dict(FILES if files is None else files)

    def read_file(path: str) -> bytes:
        if path not in table:
            raise FileNotFoundError(2, "No such file or directory", path)
        return table[path]
    return read_file


def settings(env: Mapping[str, str], source: str = env_sources.PROCESS) -> dict[str, Setting]:
    return {name: Setting(value, source) for name, value in env.items()}


def check(env: Mapping[str, str], files: Mapping[str, bytes] | None = None,
          mount_path: str = MOUNT, version: tuple[int, ...] = (2, 45)) -> Outcome:
    """Validate an environment given as a dict (process-environment source, _FILE resolved)."""
    resolved, problems = env_sources.resolve_files(settings(env))
    outcome = validate(resolved, mount_path=mount_path, read_file=reader(files), version=version)
    return Outcome(outcome.config, problems + outcome.problems)


def errors_of(outcome: Outcome) -> list[Problem]:
    return [p for p in outcome.problems if p.severity is Severity.ERROR]


def warnings_of(outcome: Outcome) -> list[Problem]:
    return [p for p in outcome.problems if p.severity is Severity.WARNING]


def keyed(problems: Iterable[Problem]) -> set[tuple[str, str, str]]:
    """(variable, code, severity) of each problem."""
    return {(p.variable, p.code, p.severity.value) for p in problems}


def only(problems: Iterable[Problem], variable: str) -> list[Problem]:
    return [p for p in problems if p.variable == variable]


def rendered_options(outcome: Outcome) -> Config:
    """The rendered pgbackrest.conf + conf.d/repo.conf, read back with pgBackRest's rules."""
    from setup_service import render

    assert outcome.config is not None, [p.as_dict() for p in outcome.problems]
    return read_rendered(render.render(outcome.config))  # type: ignore[arg-type]


def repo_options(outcome: Outcome, index: int) -> dict[str, str]:
    assert outcome.config is not None, [p.as_dict() for p in outcome.problems]
    repo = next(r for r in outcome.config.repositories if r.index == index)
    return dict(repo.options)


def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drop every variable the setup job would read (this machine has AWS_CA_BUNDLE, ...)."""
    for name in list(os.environ):
        if namespace.is_owned(name) or name.startswith("PGBACKREST"):
            monkeypatch.delenv(name)


def process_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A controlled environment for a subprocess: PATH, HOME, the checkout, and extra."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root"),
           "PYTHONPATH": str(REPO_ROOT), "LC_ALL": "C.UTF-8"}
    env.update(extra or {})
    return env


def run_module(args: list[str], env: Mapping[str, str] | None = None,
               cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m setup_service ARGS` with a controlled environment."""
    return subprocess.run([sys.executable, "-m", "setup_service", *args], cwd=cwd or REPO_ROOT,
                          env=process_env(env), capture_output=True, text=True, timeout=120)


def tree(root: Path) -> dict[str, bytes]:
    """Every regular file under the published set (through ..data), by relative path."""
    base = root / "..data"
    return {str(p.relative_to(base)): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


def app_request(out: Path, **kwargs: object) -> app.Request:
    """An app.Request for tests: owned by the current user, no pgBackRest check, mount MOUNT."""
    from setup_service import app, publish

    options: dict[str, object] = {"env_file": None, "output_dir": out, "mount_path": MOUNT,
                                  "owner": publish.Owner(os.getuid(), os.getgid()),
                                  "pgbackrest_check": False, "dry_run": False}
    options.update(kwargs)
    return app.Request(**options)  # type: ignore[arg-type]


def generate(out: Path, env: dict[str, str], **kwargs: object) -> app.Result:
    from setup_service import app

    return app.generate(app_request(out, **kwargs), env)
