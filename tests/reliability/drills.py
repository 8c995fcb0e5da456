"""Reliability drills shared by tests/reliability and benchmarks/reliability.py: kill -9 at
random moments, concurrent runs, and readers during swaps. Each returns counts (tried / held)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from setup_service import namespace, render
from setup_service.render import RenderedFile

REPO = Path(__file__).resolve().parents[2]
BASE_ENV = {"PGBACKREST_REPO1_TYPE": "posix", "PGBACKREST_REPO1_PATH": "/var/lib/pgbackrest",
            "PGBACKREST_REPO1_CIPHER_TYPE": "aes-256-cbc",
            "PGBACKREST_REPO1_CIPHER_PASS": "reliability-drill-passphrase"}


def _command(out: Path) -> list[str]:
    return [sys.executable, "-m", "setup_service", "generate", "--output-dir", str(out),
            "--mount-path", "/etc/pgbackrest", "--owner", f"{os.getuid()}:{os.getgid()}",
            "--no-pgbackrest-check"]


def _env(retention: int) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], **BASE_ENV, "BACKUP_RETENTION_FULL": str(retention)}


def published_set(out: Path) -> dict[str, bytes] | None:
    """The set as a reader that resolves ..data once sees it; None if nothing is published."""
    try:
        generation = os.readlink(out / namespace.DATA_LINK)
    except FileNotFoundError:
        return None
    root = out / generation
    found = {}
    for directory, _dirs, names in os.walk(root):
        for name in names:
            path = Path(directory) / name
            found[str(path.relative_to(root))] = path.read_bytes()
    return found


def consistent(files: dict[str, bytes]) -> bool:
    """A complete set: status.json's content_hash is the hash of the other files, and pgBackRest's
    files are there."""
    import json

    status = json.loads(files["status.json"])
    rendered = {p: RenderedFile(c, False) for p, c in files.items() if p != "status.json"}
    return "pgbackrest.conf" in files and "conf.d/repo.conf" in files and \
        status.get("content_hash") == render.content_hash(rendered)


def pgbackrest_parses(out: Path) -> bool:
    result = subprocess.run(["pgbackrest", f"--config={out}/pgbackrest.conf",
                             f"--config-include-path={out}/conf.d", "--stanza=salespider",
                             "help", "backup"], capture_output=True, text=True, timeout=30, check=False,
                            env={"PATH": os.environ["PATH"]})
    return result.returncode == 0 and "ERROR" not in result.stdout + result.stderr


def kill_drill(out: Path, kills: int, seed: int = 1) -> dict[str, int]:
    """kill -9 runs at random moments; after each, the set is the complete old or new one."""
    rng = random.Random(seed)
    subprocess.run(_command(out), env=_env(1), check=True, capture_output=True)
    held = 0
    for i in range(kills):
        proc = subprocess.Popen(_command(out), env=_env(2 + i % 50), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        files = published_set(out)
        if files is not None and consistent(files) and pgbackrest_parses(out):
            held += 1
    after = subprocess.run(_command(out), env=_env(999), capture_output=True, text=True)
    recovered = after.returncode == 0 and consistent(published_set(out) or {})
    return {"tried": kills, "held": held, "recovered": int(recovered)}


def concurrency_drill(out: Path, runs: int) -> dict[str, int]:
    """runs generate at once: each exits 0 or 75, and the final set is consistent."""
    procs = [subprocess.Popen(_command(out), env=_env(3 + i), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for i in range(runs)]
    codes = [p.wait() for p in procs]
    files = published_set(out)
    return {"tried": runs, "exit_0_or_75": sum(c in (0, 75) for c in codes),
            "consistent": int(files is not None and consistent(files) and pgbackrest_parses(out))}


def reader_drill(out: Path, publishes: int) -> dict[str, int]:
    """Readers resolve ..data once and read the set while runs publish: 0 torn reads."""
    subprocess.run(_command(out), env=_env(1), check=True, capture_output=True)
    counts = {"reads": 0, "torn": 0, "vanished": 0}
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                files = published_set(out)
            except FileNotFoundError:  # a generation two swaps old was removed mid-read
                counts["vanished"] += 1
                continue
            counts["reads"] += 1
            if files is None or not consistent(files):
                counts["torn"] += 1

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        for i in range(publishes):
            run = subprocess.run(_command(out), env=_env(2 + i), capture_output=True, text=True)
            assert run.returncode == 0, f"publish {i} exited {run.returncode}: {run.stdout}{run.stderr}"
    finally:
        stop.set()
    for reader in readers:
        reader.join()
    return {"publishes": publishes, **counts}
