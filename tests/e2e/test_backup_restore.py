"""Issue 3: every generated config works on the real engine (PostgreSQL 15 + pgBackRest 2.45).

Each test writes a ``.env`` from the emulator and cluster fixtures, runs ``setup-service
generate`` into a volume-like directory, and drives PostgreSQL and pgBackRest with that output
only: PostgreSQL includes ``<volume>/postgresql-archive.conf``; pgBackRest gets ``--config``,
``--config-include-path``, ``--stanza`` and, for restores, the target (and, for the second
repository, ``--repo=2``). Any WARN or ERROR line from pgBackRest fails the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.harness import (
    GcsEmulator,
    OsUser,
    PgBackRest,
    PgBackRestFactory,
    PgCluster,
    PgClusterFactory,
    S3rverServer,
    TlsFiles,
    backups_of,
)
from tests.e2e.harness.envfile import write_env_file
from tests.e2e.harness.posix import PosixRepo
from tests.e2e.harness.steps import StepTimer

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
EX_CONFIG = 78
CIPHER_PASS = "e2e-cipher-passphrase-0123456789"
ROWS_PER_BATCH = 500


def generate(env_file: Path, volume: Path, user: OsUser) -> subprocess.CompletedProcess[str]:
    """``setup-service generate`` with only the .env (no contract variable from this process)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": "/root"}
    return subprocess.run(
        [sys.executable, "-m", "setup_service", "generate", "--env-file", str(env_file),
         "--output-dir", str(volume), "--mount-path", str(volume), "--owner", user.owner,
         "--format", "json"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


@dataclass
class Deployment:
    """One generated volume, the cluster that includes it, and pgBackRest on it."""

    volume: Path
    env_file: Path
    env: dict[str, str]
    cluster: PgCluster
    runner: PgBackRest
    stanza: str

    def regenerate(self, env: dict[str, str], user: OsUser) -> subprocess.CompletedProcess[str]:
        self.env = env
        write_env_file(self.env_file, env)
        return generate(self.env_file, self.volume, user)

    def status(self) -> dict[str, object]:
        return json.loads((self.volume / "status.json").read_text())  # type: ignore[no-any-return]


Deploy = Callable[[dict[str, str]], Deployment]


@pytest.fixture
def deploy(e2e_tmp: Path, pg_user: OsUser, pg_cluster_factory: PgClusterFactory,
           pgbackrest_factory: PgBackRestFactory, steps: StepTimer) -> Deploy:
    """``deploy(store_env)`` -> Deployment: generate from store_env + the cluster's env."""

    def make(store_env: dict[str, str]) -> Deployment:
        volume = e2e_tmp / "volume"
        cluster = pg_cluster_factory(include_files=[volume / "postgresql-archive.conf"])
        env = {**store_env, **cluster.env(), "BACKUP_RETENTION_FULL": "2"}
        env_file = write_env_file(e2e_tmp / "setup.env", env)
        with steps("setup-service generate"):
            result = generate(env_file, volume, pg_user)
            assert result.returncode == 0, result.stdout + result.stderr
        stanza = str(json.loads((volume / "status.json").read_text())["stanza"])
        runner = pgbackrest_factory(volume, stanza, cluster)
        return Deployment(volume, env_file, env, cluster, runner, stanza)

    return make


# -- data ---------------------------------------------------------------------------------------
def write_batch(cluster: PgCluster, batch: int) -> None:
    first = (batch - 1) * ROWS_PER_BATCH + 1
    cluster.psql(
        "CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY, batch int NOT NULL, payload text);"
        f"INSERT INTO items SELECT g, {batch}, md5(g::text) FROM "
        f"generate_series({first}, {first + ROWS_PER_BATCH - 1}) AS g;"
    )


# ~6.4 MB of random bytes in one TOASTed value stored uncompressed: one data file and one WAL
# segment larger than the upload chunk size (4-5 MiB), so pgBackRest uses multipart (s3),
# block (azure) and resumable (gcs) uploads, not only single requests.
BIG_VALUE_SQL = (
    "CREATE TABLE big (b bytea); ALTER TABLE big ALTER b SET STORAGE EXTERNAL;"
    "INSERT INTO big SELECT decode(string_agg(md5(random()::text), ''), 'hex') "
    "FROM generate_series(1, 400000);"
)


def fingerprint(cluster: PgCluster) -> str:
    """Row count, batches and a digest of every row."""
    return cluster.psql(
        "SELECT count(*) || ' ' || string_agg(DISTINCT batch::text, ',') || ' ' || "
        "md5(string_agg(id || ':' || batch || ':' || payload, ',' ORDER BY id)) FROM items"
    )


def restore_and_start(deployment: Deployment, steps: StepTimer, label: str, *args: str) -> None:
    cluster = deployment.cluster
    with steps(f"stop ({label})"):
        cluster.stop()
    cluster.wipe_data()
    with steps(f"restore {label}"):
        deployment.runner.ok("restore", *args)
    with steps(f"start + recovery ({label})"):
        cluster.start()
        cluster.wait_until_promoted()


# -- the cycle ------------------------------------------------------------------------------------
def backup_restore_cycle(deployment: Deployment, steps: StepTimer,
                         encrypted_repos: set[int], repos: int = 1) -> None:
    cluster, runner, stanza = deployment.cluster, deployment.runner, deployment.stanza
    with steps("start PostgreSQL"):
        cluster.start()
    assert cluster.psql("SHOW archive_mode") == "on"
    with steps("stanza-create"):
        runner.ok("stanza-create")
    with steps("check"):
        runner.ok("check")

    write_batch(cluster, 1)
    cluster.psql(BIG_VALUE_SQL)
    big = cluster.psql("SELECT md5(b) FROM big")
    with steps("backup full"):
        runner.ok("backup", "--type=full")
    write_batch(cluster, 2)
    with steps("backup diff"):
        runner.ok("backup", "--type=diff")
    write_batch(cluster, 3)
    with steps("backup incr"):
        runner.ok("backup", "--type=incr")
    if repos == 2:
        with steps("backup full --repo=2"):
            runner.ok("backup", "--type=full", "--repo=2")

    with steps("info --output=json"):
        info = runner.info()
    backups = backups_of(info, stanza)
    repo1_types = [b["type"] for b in backups if b["database"]["repo-key"] == 1]
    assert repo1_types == ["full", "diff", "incr"], backups
    if repos == 2:
        assert [b["type"] for b in backups if b["database"]["repo-key"] == 2] == ["full"]
    stanza_info = next(entry for entry in info if entry["name"] == stanza)
    ciphers = {repo["key"]: repo["cipher"] for repo in stanza_info["repo"]}
    assert ciphers == {key: "aes-256-cbc" if key in encrypted_repos else "none"
                       for key in range(1, repos + 1)}, stanza_info["repo"]

    # Batch 4 before the PITR target, batch 5 after it; check archives the WAL of both.
    # pgBackRest picks the backup whose stop time, in whole seconds, is before the target:
    # a target in the same second as the last backup's end finds none.
    time.sleep(1.1)
    write_batch(cluster, 4)
    before_target = fingerprint(cluster)
    target = cluster.now()
    time.sleep(0.1)
    write_batch(cluster, 5)
    everything = fingerprint(cluster)
    with steps("check (archives the last writes)"):
        runner.ok("check")

    restore_and_start(deployment, steps, "latest")
    assert fingerprint(cluster) == everything
    assert cluster.psql("SELECT md5(b) FROM big") == big

    pitr_args = ["--type=time", f"--target={target}", "--target-action=promote"]
    if repos == 2:
        pitr_args.append("--repo=2")
    restore_and_start(deployment, steps, "PITR" + (" from repo2" if repos == 2 else ""),
                      *pitr_args)
    assert fingerprint(cluster) == before_target
    assert cluster.psql("SELECT md5(b) FROM big") == big
    assert cluster.psql("SELECT count(*) FROM items WHERE batch = 5") == "0"

    runner.assert_clean_logs()  # every log file and the server log, from the start


@pytest.mark.parametrize("store", ["posix", "s3-encrypted", "azure", "gcs-service-key", "gcs-token",
                                   "posix+s3-encrypted"])
def test_backup_and_restore(store: str, request: pytest.FixtureRequest, deploy: Deploy,
                            steps: StepTimer, tls_files: TlsFiles) -> None:
    encrypted: set[int] = set()
    repos = 1
    cipher = {"TYPE": "aes-256-cbc", "PASS": CIPHER_PASS}
    if store == "posix":
        env = request.getfixturevalue("posix_repo").env()
    elif store == "s3-encrypted":
        env = request.getfixturevalue("s3_server").env()
        env.update({f"PGBACKREST_REPO1_CIPHER_{k}": v for k, v in cipher.items()})
        encrypted = {1}
    elif store == "azure":
        env = request.getfixturevalue("azurite_server").env()
    elif store.startswith("gcs"):
        gcs: GcsEmulator = request.getfixturevalue("gcs_server")
        env = gcs.env(key_type="service" if store == "gcs-service-key" else "token")
    else:
        posix: PosixRepo = request.getfixturevalue("posix_repo")
        s3: S3rverServer = request.getfixturevalue("s3_server")
        env = {**posix.env(1), **s3.env(2)}
        env.update({f"PGBACKREST_REPO2_CIPHER_{k}": v for k, v in cipher.items()})
        encrypted, repos = {2}, 2

    deployment = deploy(env)
    status = deployment.status()
    assert status["backups_enabled"] is True
    repositories: list[dict[str, object]] = status["repositories"]  # type: ignore[assignment]
    assert [r["encrypted"] for r in repositories] == [i in encrypted for i in range(1, repos + 1)]
    backup_restore_cycle(deployment, steps, encrypted, repos)

    if store == "gcs-service-key":
        exchanges = request.getfixturevalue("gcs_server").token_exchanges()
        assert exchanges and all(e["ok"] and e["signature_checked"] for e in exchanges)


def test_none_keeps_postgresql_running_without_archiving(
        e2e_tmp: Path, pg_user: OsUser, pg_cluster_factory: PgClusterFactory,
        steps: StepTimer) -> None:
    volume = e2e_tmp / "volume"
    cluster = pg_cluster_factory(include_files=[volume / "postgresql-archive.conf"])
    env_file = write_env_file(e2e_tmp / "setup.env", {"PGBACKREST_REPO1_TYPE": "none"})
    with steps("setup-service generate"):
        result = generate(env_file, volume, pg_user)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads((volume / "status.json").read_text())["backups_enabled"] is False
    assert not [line for line in (volume / "crontab").read_text().splitlines()
                if line.strip() and not line.startswith("#")]

    with steps("start PostgreSQL"):
        cluster.start()
    assert cluster.psql("SHOW archive_mode") == "off"
    with steps("writes + 20 WAL switches + checkpoints"):
        for batch in range(1, 21):
            write_batch(cluster, batch)
            cluster.switch_wal()
            if batch % 5 == 0:
                cluster.psql("CHECKPOINT")
    assert cluster.archiver_stats()["failed_count"] == "0"
    assert cluster.archiver_stats()["archived_count"] == "0"
    archive_status = cluster.data / "pg_wal" / "archive_status"
    assert list(archive_status.iterdir()) == []  # nothing waiting to be archived
    segments = [p for p in (cluster.data / "pg_wal").iterdir() if len(p.name) == 24]
    assert len(segments) <= 70  # recycled at checkpoints (max_wal_size 1GB = 64 segments)
    assert cluster.psql("SELECT count(*) FROM items") == str(20 * ROWS_PER_BATCH)


def test_credential_rotation_while_archiving(deploy: Deploy, s3_server: S3rverServer,
                                             pg_user: OsUser, steps: StepTimer) -> None:
    deployment = deploy(s3_server.env())
    cluster, runner = deployment.cluster, deployment.runner
    with steps("start PostgreSQL"):
        cluster.start()
    postmaster = cluster.postmaster_pid()
    with steps("stanza-create"):
        runner.ok("stanza-create")
    with steps("check"):
        runner.ok("check")
    write_batch(cluster, 1)

    old_key, old_secret = s3_server.access_key, s3_server.secret_key
    with steps("rotate the secret in the emulator"):
        s3_server.rotate_credentials()
    assert not s3_server.credentials_accepted(old_key, old_secret)
    assert s3_server.credentials_accepted(s3_server.access_key, s3_server.secret_key)

    rotated = {**deployment.env, "AWS_ACCESS_KEY_ID": s3_server.access_key,
               "AWS_SECRET_ACCESS_KEY": s3_server.secret_key}
    with steps("setup-service generate (rotated)"):
        result = deployment.regenerate(rotated, pg_user)
    assert result.returncode == 0, result.stdout + result.stderr
    archived_before = int(cluster.archiver_stats()["archived_count"])
    write_batch(cluster, 2)
    with steps("check after rotation"):
        runner.ok("check")
    assert cluster.postmaster_pid() == postmaster  # no restart
    cluster.wait_until_archived(archived_before)

    published = (deployment.volume / "..data").readlink()
    broken = {k: v for k, v in rotated.items() if k != "AWS_S3_BUCKET"}
    with steps("setup-service generate (bucket missing)"):
        result = deployment.regenerate(broken, pg_user)
    assert result.returncode == EX_CONFIG, result.stdout + result.stderr
    assert (deployment.volume / "..data").readlink() == published
    archived_before = int(cluster.archiver_stats()["archived_count"])
    write_batch(cluster, 3)
    with steps("check on the previous config"):
        runner.ok("check")
    cluster.wait_until_archived(archived_before)
    assert cluster.archiver_stats()["failed_count"] == "0"
    runner.assert_clean_logs()
