"""The fingerprint of a successful run: what invalidates it, and that it is never fatal."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from setup_service import app, fingerprint, publish
from tests.unit.support import MOUNT, POSIX, clean_environ


@pytest.fixture(autouse=True)
def _environ(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environ(monkeypatch)


ARGV = ["generate", "--no-pgbackrest-check"]


def test_key_depends_on_argv_owned_env_and_files(tmp_path: Path) -> None:
    secret = tmp_path / "s"
    secret.write_text("one")
    base = fingerprint.key(ARGV, {**POSIX, "HOSTNAME": "a"}, [str(secret)])
    assert fingerprint.key(ARGV, {**POSIX, "HOSTNAME": "b"}, [str(secret)]) == base  # not owned
    assert fingerprint.key(ARGV, {**POSIX, "HOSTNAME": "a", "BACKUP_X": "1"}, [str(secret)]) != base
    assert fingerprint.key([*ARGV, "--format", "json"], {**POSIX, "HOSTNAME": "a"}, [str(secret)]) != base
    secret.write_text("two")
    assert fingerprint.key(ARGV, {**POSIX, "HOSTNAME": "a"}, [str(secret)]) != base


def test_key_depends_on_the_pgbackrest_binary(tmp_path: Path) -> None:
    fake = tmp_path / "bin" / "pgbackrest"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    with_fake = fingerprint.key(ARGV, {"PATH": str(fake.parent)}, [])
    assert with_fake != fingerprint.key(ARGV, {"PATH": "/nonexistent"}, [])
    fake.write_text("#!/bin/sh\n# upgraded\n")
    assert fingerprint.key(ARGV, {"PATH": str(fake.parent)}, []) != with_fake


def _published(out: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> app.Request:
    request = app.Request(None, out, MOUNT, publish.Owner(os.getuid(), os.getgid()), False, False)
    result = app.generate(request, env)
    monkeypatch.setattr(sys, "argv", ["setup-service", *ARGV])
    fingerprint.remember(request, env, result.doc, result.published)
    return request


def test_lookup_after_remember(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "o"
    assert fingerprint.lookup(str(out), ARGV, POSIX) is None
    _published(out, POSIX, monkeypatch)
    assert ((out / fingerprint.FINGERPRINT_FILE).stat().st_mode & 0o777) == 0o600
    reports = fingerprint.lookup(str(out), ARGV, POSIX)
    assert reports is not None
    assert reports["text"].startswith("result: unchanged")
    assert '"result": "unchanged"' in reports["json"]
    assert fingerprint.lookup(str(out), ARGV, {**POSIX, "PGBACKREST_STANZA": "x"}) is None
    assert fingerprint.lookup(str(out), [*ARGV, "--debug"], POSIX) is None


def test_lookup_is_invalid_after_another_publish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "o"
    _published(out, POSIX, monkeypatch)
    request = app.Request(None, out, MOUNT, publish.Owner(os.getuid(), os.getgid()), False, False)
    app.generate(request, {**POSIX, "BACKUP_RETENTION_FULL": "2"})
    assert fingerprint.lookup(str(out), ARGV, POSIX) is None


def test_referenced_file_change_invalidates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, secret = tmp_path / "o", tmp_path / "cipher"
    secret.write_text("pass-one\n")
    env = {**POSIX, "PGBACKREST_REPO1_CIPHER_TYPE": "aes-256-cbc", "PGBACKREST_REPO1_CIPHER_PASS_FILE": str(secret)}
    _published(out, env, monkeypatch)
    assert fingerprint.lookup(str(out), ARGV, env) is not None
    secret.write_text("pass-two\n")
    assert fingerprint.lookup(str(out), ARGV, env) is None


def test_corrupt_record_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "o"
    _published(out, POSIX, monkeypatch)
    (out / fingerprint.FINGERPRINT_FILE).write_bytes(b"\xff\xfe garbage")
    assert fingerprint.lookup(str(out), ARGV, POSIX) is None
    (out / fingerprint.FINGERPRINT_FILE).write_text("a\0b")
    assert fingerprint.lookup(str(out), ARGV, POSIX) is None


def test_remember_is_never_fatal(tmp_path: Path) -> None:
    request = app.Request(None, tmp_path / "absent" / "o", MOUNT, publish.Owner(0, 0), False, False)
    fingerprint.remember(request, POSIX, {"result": "written", "content_hash": "x"}, "..gen-x")
    assert not (tmp_path / "absent").exists()
