"""The postgres service's entrypoint steps, on a data directory of files (no server)."""

from __future__ import annotations

import pathlib

from .tools import POSTGRES_SCRIPTS, run

INCLUDE = "include_if_exists = '/etc/pgbackrest/postgresql-archive.conf'"


def test_the_include_is_appended_once(tmp_path: pathlib.Path) -> None:
    conf = tmp_path / "postgresql.conf"
    conf.write_text("max_connections = 100\n")
    for _ in range(2):
        result = run([str(POSTGRES_SCRIPTS / "ensure-archive-include")],
                     env={"PATH": "/usr/bin:/bin", "PGDATA": str(tmp_path)})
        assert result.returncode == 0, result.stderr
    lines = conf.read_text().splitlines()
    assert lines[0] == "max_connections = 100"
    assert lines.count(INCLUDE) == 1
    assert lines[-1] == INCLUDE


def test_the_include_follows_the_config_dir(tmp_path: pathlib.Path) -> None:
    (tmp_path / "postgresql.conf").write_text("")
    run([str(POSTGRES_SCRIPTS / "ensure-archive-include")],
        env={"PATH": "/usr/bin:/bin", "PGDATA": str(tmp_path), "PGBR_CONFIG_DIR": "/cfg"})
    assert "include_if_exists = '/cfg/postgresql-archive.conf'" in (
        tmp_path / "postgresql.conf").read_text()


def test_a_data_directory_before_initdb_is_left_alone(tmp_path: pathlib.Path) -> None:
    result = run([str(POSTGRES_SCRIPTS / "ensure-archive-include")],
                 env={"PATH": "/usr/bin:/bin", "PGDATA": str(tmp_path / "data")})
    assert result.returncode == 0
    assert not (tmp_path / "data").exists()


def test_the_entrypoint_hands_over_to_the_official_one(tmp_path: pathlib.Path) -> None:
    (tmp_path / "postgresql.conf").write_text("")
    result = run([str(POSTGRES_SCRIPTS / "docker-entrypoint-archive.sh"), "postgres", "-c", "x=1"],
                 env={"PATH": "/usr/bin:/bin", "PGDATA": str(tmp_path), "PG_ENTRYPOINT": "echo"})
    assert (result.returncode, result.stdout) == (0, "postgres -c x=1\n")
    assert INCLUDE in (tmp_path / "postgresql.conf").read_text()
