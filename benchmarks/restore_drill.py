#!/usr/bin/env python3
"""Restore-drill benchmark: how fast a drill restores and recovers, against plain tools, in one run.

On a real cluster (pgbench at --scale, 100 by default: about 1.5 GB) backed up by the real
pgBackRest into an encrypted posix repository, with --transactions of pgbench written and archived
after the backup, `restore-drill` runs once. Reported:
  - restore_seconds against the baseline `lz4 -d | tar -x` of the same files (the backup's data
    directory, restored once untimed and packed with lz4), measured in the same run: the ratio is
    what pgBackRest's restore (decryption, checksums, its manifest) costs over unpacking;
  - recovery_seconds per replayed WAL segment (the segments from the backup's last to the last
    archived one when the drill started);
  - rto_seconds and rpo_seconds as the drill reports them.

Run as root (PostgreSQL runs as a system user made for it, as in the e2e tests), from the
repository: python benchmarks/restore_drill.py [--scale N] [--transactions N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backup_service import wal  # noqa: E402
from tests.deploy.cluster import PG_BINDIR, Deployment, unprivileged_user  # noqa: E402


def _own(cluster: Deployment, path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, cluster.user.uid, cluster.user.gid)
    return path


def _baseline_seconds(cluster: Deployment, label: str) -> tuple[float, int]:
    """The same files unpacked by lz4 and tar: (seconds, bytes unpacked)."""
    files = _own(cluster, cluster.base / "baseline-files")
    cluster.check(["pgbackrest-stanza", f"--pg1-path={files}", f"--set={label}", "--type=immediate", "restore"],
                  timeout=3600)
    packed = cluster.base / "baseline.tar.lz4"
    subprocess.run(f"tar -C {files} -cf - . | lz4 -1 -q - {packed}", shell=True, check=True)
    size = sum(p.stat().st_size for p in files.rglob("*") if p.is_file())
    shutil.rmtree(files)
    target = cluster.base / "baseline-target"
    target.mkdir()
    started = time.monotonic()
    subprocess.run(f"lz4 -d -q -c {packed} | tar -C {target} -xf -", shell=True, check=True)
    seconds = time.monotonic() - started
    shutil.rmtree(target)
    packed.unlink()
    return seconds, size


def measure(scale: int, transactions: int) -> dict[str, Any]:
    cluster = Deployment(unprivileged_user(), stanza="bench", cipher_pass=secrets.token_hex(16))
    try:
        cluster.publish()
        cluster.initdb()
        cluster.start()
        cluster.check(["pgbackrest-stanza", "stanza-create"])
        cluster.check([str(PG_BINDIR / "pgbench"), "-i", "-q", "-s", str(scale), "-d", "postgres"], timeout=3600)
        cluster.check(["run-backup", "full"], timeout=3600)
        info = json.loads(cluster.check(["pgbackrest-stanza", "info", "--output=json"]).stdout)[0]
        backup = info["backup"][-1]
        cluster.check([str(PG_BINDIR / "pgbench"), "-n", "-c", "2", "-t", str(transactions), "-d", "postgres"],
                      timeout=3600)
        cluster.check(["pgbackrest-stanza", "check"])
        last = cluster.psql("SELECT last_archived_wal FROM pg_stat_archiver")
        size = 16 * 1024 ** 2
        segments = wal.segment_number(last, size)[1] - wal.segment_number(backup["archive"]["stop"], size)[1]
        scratch = _own(cluster, cluster.base / "drill")
        env = {"BACKUP_DRILL_SCRATCH": str(scratch), "BACKUP_STATE_DIR": str(_own(cluster, cluster.base / "state")),
               "POSTGRES_DB": "postgres"}
        result = cluster.run(["restore-drill", "--format", "json", "--sql",
                              f"SELECT count(*) = {scale * 100000} FROM pgbench_accounts"], env, timeout=7200)
        drill = json.loads(result.stdout)
        if drill["status"] != "ok":
            raise SystemExit(f"the drill did not pass: {json.dumps(drill, indent=2)}")
        baseline, unpacked = _baseline_seconds(cluster, backup["label"])
    finally:
        cluster.close()
    return {
        "scale": scale, "transactions": transactions, "database_bytes": backup["info"]["size"],
        "restore_seconds": drill["restore_seconds"], "baseline_lz4_tar_seconds": round(baseline, 2),
        "baseline_bytes": unpacked, "restore_ratio": round(drill["restore_seconds"] / baseline, 2),
        "recovery_seconds": drill["recovery_seconds"], "replayed_segments": segments,
        "recovery_seconds_per_segment": round(drill["recovery_seconds"] / max(segments, 1), 3),
        "rto_seconds": drill["rto_seconds"], "rpo_seconds": drill["rpo_seconds"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--transactions", type=int, default=20000, help="pgbench transactions per client after the backup")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    figures = measure(options.scale, options.transactions)
    if options.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"pgbench scale {figures['scale']} ({figures['database_bytes'] / 1024 ** 3:.2f} GiB):")
        print(f"  restore        {figures['restore_seconds']:8.1f} s   (lz4 -d | tar -x of the same files: "
              f"{figures['baseline_lz4_tar_seconds']:.1f} s; ratio {figures['restore_ratio']:.2f})")
        print(f"  recovery       {figures['recovery_seconds']:8.1f} s   ({figures['replayed_segments']} WAL segments: "
              f"{figures['recovery_seconds_per_segment']:.3f} s each)")
        print(f"  RTO {figures['rto_seconds']:.1f} s, RPO {figures['rpo_seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
