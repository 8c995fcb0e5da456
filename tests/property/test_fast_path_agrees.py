"""Property: after any change to any input the job reads, a rerun publishes exactly what a fresh run
into an empty directory would, whether the rerun took the fast path ("unchanged") or the full one.

The inputs: variables in the process environment and in the .env file, a secret named by a
relative NAME_FILE path, GCS_KEY_FILE whose content is the path of the JSON key (and that key),
a CA file, --owner, --mount-path, and the published files themselves (deleted, edited, re-moded,
re-owned, a link replaced, the fingerprint lost or corrupt). Each run goes through entry.main(), the
console script, in this process: the fast path and the full command line as users run them.

Repository identity (bucket, path, passphrase) stays fixed: changing it is refused by design
(tests/unit/test_identity.py), so a fresh run and a rerun differ there on purpose.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from setup_service import entry, namespace

# Not identity, always valid: (name, values) that a user tunes between runs.
TUNABLES: dict[str, list[str]] = {
    "BACKUP_RETENTION_FULL": ["1", "4", "7", "12"],
    "BACKUP_RETENTION_DIFF": ["2", "3", "9"],
    "BACKUP_SCHEDULE_FULL": ["0 2 * * 0", "30 1 * * 6", "15 3 1 * *"],
    "PGBACKREST_COMPRESS_TYPE": ["lz4", "zst", "gz"],
    "PGBACKREST_PROCESS_MAX": ["1", "2", "4"],
    "PGBACKREST_REPO2_S3_URI_STYLE": ["host", "path"],
    "PGBACKREST_ARCHIVE_PUSH__PROCESS_MAX": ["1", "3"],
    "PGBACKREST_LOG_LEVEL_FILE": ["info", "detail"],
    "PGBACKREST_REPO2_S3_KEY": ["AKIAFIRSTKEY0001", "AKIASECONDKEY002"],
    "HOSTNAME": ["a", "b"],  # not owned: must not matter
}
OWNERS = ["0:0", "999:999", "1000:1000"]
MOUNTS = ["/etc/pgbackrest", "/etc/pgbackrest-alt"]
KEY = {"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----\n",
       "client_email": "backup@example.iam.gserviceaccount.com", "token_uri": "https://oauth2.googleapis.com/token"}
CA = "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n"


@dataclass
class World:
    """One deployment's inputs, on disk under root, and its volume (root/out)."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)
    dotenv: dict[str, str] = field(default_factory=dict)
    owner: str = "0:0"
    mount: str = MOUNTS[0]

    def write_dotenv(self) -> None:
        (self.root / ".env").write_text("".join(f"{k}={v}\n" for k, v in self.dotenv.items()))


def _start(root: Path) -> World:
    (root / "secrets").mkdir()
    (root / "secrets" / "s3secret").write_text("first-s3-secret\n")
    (root / "key-a.json").write_text(json.dumps(KEY))
    (root / "key-b.json").write_text(json.dumps({**KEY, "client_email": "other@example.iam.gserviceaccount.com"}))
    (root / "keypath").write_text(f"{root / 'key-a.json'}\n")
    (root / "ca.pem").write_text(CA.format("Rmlyc3Q="))
    world = World(root, env={
        "PGBACKREST_REPO1_TYPE": "gcs", "GCS_BUCKET": "bkt", "GCS_KEY_FILE": "keypath",
        "PGBACKREST_REPO2_TYPE": "s3", "PGBACKREST_REPO2_S3_BUCKET": "b2",
        "PGBACKREST_REPO2_S3_REGION": "eu-west-1", "PGBACKREST_REPO2_S3_ENDPOINT": "s3.example.test",
        "PGBACKREST_REPO2_S3_KEY": "AKIAFIRSTKEY0001", "PGBACKREST_REPO2_S3_KEY_SECRET_FILE": "secrets/s3secret",
        "PGBACKREST_REPO2_STORAGE_CA_FILE": str(root / "ca.pem"),
    }, dotenv={"BACKUP_RETENTION_FULL": "4", "PGBACKREST_COMPRESS_TYPE": "lz4"})
    world.write_dotenv()
    return world


@contextlib.contextmanager
def _process(cwd: Path, argv: list[str], env: dict[str, str]) -> Iterator[io.StringIO]:
    """The process state entry.main() reads: argv, the whole environment, the working directory."""
    saved_env, saved_argv, saved_cwd = dict(os.environ), sys.argv, os.getcwd()
    os.environ.clear()
    os.environ.update(env)
    sys.argv = ["setup-service", *argv]
    os.chdir(cwd)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            yield out
    finally:
        os.chdir(saved_cwd)
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_env)


def run(world: World, out: str) -> tuple[int, str]:
    argv = ["generate", "--env-file", ".env", "--output-dir", out, "--mount-path", world.mount,
            "--owner", world.owner, "--no-pgbackrest-check"]
    env = {"PATH": os.environ["PATH"], **world.env}
    with _process(world.root, argv, env) as stdout:
        code = entry.main()
    return code, stdout.getvalue()


def snapshot(out: Path) -> dict[str, Any]:
    """What consumers see through the volume's links: every file's bytes, mode and owner, and
    status.json without the fields that name the run (time, generation, result, output_dir)."""
    seen: dict[str, Any] = {}
    for name in sorted(os.listdir(out)):
        path = out / name
        if name.startswith(".."):
            continue
        if name in (".lock", ".fingerprint"):
            continue
        seen[name + " is a link into ..data"] = os.readlink(path) if path.is_symlink() else False
        for directory, _dirs, files in os.walk(path) if path.is_dir() else [(str(out), [], [name])]:
            for file in files:
                full = Path(directory) / file
                info = full.stat()
                data = full.read_bytes()
                if file == "status.json":
                    doc = json.loads(data)
                    for key in ("generated_at", "generation", "result", "output_dir"):
                        doc.pop(key, None)
                    data = json.dumps(doc, sort_keys=True).encode()
                seen[str(full.relative_to(out))] = (data, oct(info.st_mode & 0o7777), info.st_uid, info.st_gid)
        if path.is_dir():
            info = path.stat()
            seen[name + "/"] = (oct(info.st_mode & 0o7777), info.st_uid, info.st_gid)
    return seen


# Changes: each takes the world and a choice drawn by hypothesis.
def set_variable(world: World, where: str, name: str, index: int) -> None:
    target = world.env if where == "env" else world.dotenv
    target[name] = TUNABLES[name][index % len(TUNABLES[name])]
    world.write_dotenv()


def unset_variable(world: World, where: str, name: str, _index: int) -> None:
    (world.env if where == "env" else world.dotenv).pop(name, None)
    world.write_dotenv()


def change_file(world: World, which: str, _where: str, _name: str, index: int) -> None:
    root = world.root
    if which == "secret":
        (root / "secrets" / "s3secret").write_text(f"s3-secret-{index}\n")
    elif which == "secret-new-inode":  # a secrets mount swapped by its own symlink dance
        (root / "secrets" / "s3secret.new").write_text(f"s3-secret-{index}\n")
        os.replace(root / "secrets" / "s3secret.new", root / "secrets" / "s3secret")
    elif which == "keypath":
        (root / "keypath").write_text(f"{root / ('key-a.json', 'key-b.json')[index % 2]}\n")
    elif which == "key":
        (root / "key-a.json").write_text(json.dumps({**KEY, "private_key": KEY["private_key"] + str(index)}))
    elif which == "ca":
        (root / "ca.pem").write_text(CA.format(f"Q0E{index}"))
    elif which == "touch":  # same bytes, new mtime: nothing changes
        os.utime(root / "ca.pem")


def tamper(world: World, how: str, _where: str, _name: str, index: int) -> None:
    out = world.root / "out"
    if not (out / namespace.DATA_LINK).exists():
        return
    data = out / namespace.DATA_LINK
    if how == "delete-repo-conf":
        (data / "conf.d" / "repo.conf").unlink()
    elif how == "edit-pgbackrest-conf":
        with open(data / "pgbackrest.conf", "a") as handle:
            handle.write("log-level-console=debug\n")
    elif how == "chmod":
        os.chmod(data / "crontab", 0o600)
    elif how == "chown":
        os.chown(data / "conf.d" / "repo.conf", 4321, 4321)
    elif how == "delete-key":
        (data / "files" / "repo1-gcs-key.json").unlink()
    elif how == "replace-link":
        (out / "pgbackrest.conf").unlink()
        (out / "pgbackrest.conf").write_text("[global]\n")
    elif how == "fingerprint-lost":
        with contextlib.suppress(FileNotFoundError):
            (out / ".fingerprint").unlink()
    elif how == "fingerprint-corrupt":
        with contextlib.suppress(FileNotFoundError):
            (out / ".fingerprint").write_bytes(bytes([index % 256]) * 40)
    elif how == "status-edit":
        (data / "status.json").write_text("{}")


def set_owner(world: World, _where: str, _name: str, index: int) -> None:
    world.owner = OWNERS[index % len(OWNERS)]


def set_mount(world: World, _where: str, _name: str, index: int) -> None:
    world.mount = MOUNTS[index % len(MOUNTS)]


def _bind(function: Callable[..., None], first: str) -> Callable[..., None]:
    def apply(world: World, where: str, name: str, index: int) -> None:
        function(world, first, where, name, index)
    apply.__name__ = f"{function.__name__}({first})"
    return apply


CHANGES: list[Callable[..., None]] = [
    set_variable, set_variable, unset_variable, set_owner, set_mount,
    *(_bind(change_file, w) for w in ("secret", "secret-new-inode", "keypath", "key", "ca", "touch")),
    *(_bind(tamper, h) for h in ("delete-repo-conf", "edit-pgbackrest-conf", "chmod", "chown", "delete-key",
                                 "replace-link", "fingerprint-lost", "fingerprint-corrupt", "status-edit")),
]
changes = st.lists(st.tuples(st.sampled_from(CHANGES), st.sampled_from(["env", "dotenv"]),
                             st.sampled_from(sorted(TUNABLES)), st.integers(0, 50)), min_size=1, max_size=4)


def agree_after(steps: list[tuple[Callable[..., None], str, str, int]]) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        world = _start(root)
        assert run(world, "out")[0] == 0
        for number, (change, where, name, index) in enumerate(steps):
            change(world, where, name, index)
            before = snapshot(root / "out")
            code, _ = run(world, "out")
            fresh_code, _ = run(world, f"fresh-{number}")
            assert code == fresh_code, f"after {change.__name__}"
            if code != 0:  # invalid now (a required variable unset): both refuse, nothing is lost
                assert code == 78 and snapshot(root / "out") == before
                assert not (root / f"fresh-{number}" / namespace.DATA_LINK).exists()
                continue
            expected = snapshot(root / f"fresh-{number}")
            assert snapshot(root / "out") == expected, f"after {change.__name__}"
            shutil.rmtree(root / f"fresh-{number}")
            code, stdout = run(world, "out")  # nothing changed since: the fast path
            assert code == 0 and "result: unchanged" in stdout, stdout
            assert snapshot(root / "out") == expected, f"after {change.__name__}, unchanged rerun"


@settings(max_examples=int(os.environ.get("FAST_PATH_EXAMPLES", "40")))
@given(changes)
def test_a_rerun_after_any_change_publishes_what_a_fresh_run_would(
        steps: list[tuple[Callable[..., None], str, str, int]]) -> None:
    agree_after(steps)
