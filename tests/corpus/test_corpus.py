"""Real configurations (tests/corpus/configs, sources in SOURCES.md) through the setup job.

Each is translated to the environment by the README's rules (translate.py), published by
`setup-service generate` with pgBackRest 2.45's own check on, and compared with the original as
pgBackRest reads both: `pgbackrest help <command> <option>` for every option the original sets,
for every command it applies to. Options the published set adds are the job's documented
defaults, counted separately. Configurations the job cannot express, or that pgBackRest would
refuse, are listed in EXPECTED with the problem the job reports instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from setup_service import catalogue, option_table
from tests.corpus.effective import COMMANDS, canonical, current
from tests.corpus.translate import translate
from tests.property import pgbackrest_ini

pytestmark = pytest.mark.e2e  # runs the real pgbackrest

HERE = Path(__file__).parent
REPO = HERE.parents[1]
CONFIGS = sorted((HERE / "configs").glob("*.conf"))  # each round-trips
REFUSED = sorted((HERE / "refused").glob("*.conf"))  # each refused as EXPECTED says

# file -> (variable, problem code) the job reports, or why the configuration is out of scope.
EXPECTED: dict[str, tuple[str, str] | str] = {
    "04-ug-five-repos-posix-azure-s3-sftp-gcs.conf": ("PGBACKREST_REPO4_TYPE", "invalid"),
    "06-ug-repository-host-tls-pg1-pg2.conf": "two stanzas with different pg hosts",
    "15-woblerr-docker-pgbackrest-pg-s3-minio-sftp.conf": ("PGBACKREST_REPO2_TYPE", "invalid"),
    "16-woblerr-docker-pgbackrest-pg-tls-repo-host.conf": ("PGBACKREST_REPO3_TYPE", "invalid"),
    "18-crunchy-pgo-instance-gcs.conf": ("PGBACKREST_REPO1_TEST", "unknown"),
    "19-crunchy-pgo-repo-host-multi-cloud.conf": ("PGBACKREST_REPO3_TEST", "unknown"),
    "20-timescaledb-helm-high-throughput.conf": ("PGBACKREST_PG1_HOST_USER", "dependency"),
    "22-puppet-deric-pgbackrest-repository.conf": "a repository host's config: no stanza",
    "25-ansible-telekom-mms-readme-output.conf": "two stanzas",
    "26-ansible-telekom-mms-azure-single.conf": ("PGBACKREST_REPO1_AZURE_KEY", "format"),
    "28-ansible-onaio-same-host-stanza-level-repo.conf": ("PGBACKREST_PG1_HOST_USER", "dependency"),
    "29-ansible-onaio-pg-host-tls.conf": ("PGBACKREST_REPO1_HOST_USER", "dependency"),
    "31-ansible-autobase-backup-server.conf": "a repository host's config: no stanza",
    "40-blog-pgstef-sftp-repo.conf": ("PGBACKREST_REPO1_TYPE", "invalid"),
    "43-blog-pgstef-tls-server-repo-host.conf": ("PGBACKREST_PG1_HOST_CA_FILE", "file"),
    "45-elephant-shed-doc-deprecated-two-stanzas.conf": "two stanzas",
}
# What the job adds on purpose (README, "Defaults, and why"); per repository where indexed.
JOB_DEFAULTS = ({*catalogue.PRODUCTION_DEFAULTS, "beta"}
                | set(catalogue.STANZA_DEFAULTS)
                | {"repo-retention-full", "repo-retention-diff", "repo-s3-endpoint"})


def _fixture_files(env: dict[str, str], directory: Path) -> set[str]:
    """Options naming files get test files (the sources' paths are on their machines)."""
    names = set()
    for name, value in list(env.items()):
        parsed = option_table.parse_env_name(name)
        option = canonical(option_table.options()[parsed.option].key(parsed.index)) \
            if parsed.known else canonical(parsed.option)
        if option is None or option[0] not in catalogue.FILE_OPTIONS or not value.startswith("/"):
            continue
        target = directory / name.lower()
        if option[0] == "repo-gcs-key":
            target.write_text(json.dumps({"type": "service_account", "client_email": "a@b.c",
                                          "private_key": "-----BEGIN PRIVATE KEY-----\nx\n",
                                          "token_uri": "https://oauth2.googleapis.com/token"}))
        else:
            target.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
        env[name] = str(target)
        names.add(option[0])
    return names


def _adapted_for_245(env: dict[str, str]) -> None:
    """Configs written for a newer pgBackRest use block incremental without beta=y."""
    for name in list(env):
        parsed = option_table.parse_env_name(name)
        if parsed.known and option_table.options()[parsed.option].beta_2_45:
            env.setdefault("PGBACKREST_BETA", "y")


def _generate(env: dict[str, str], out: Path) -> dict[str, object]:
    env_file = out.parent / "corpus.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    result = subprocess.run(
        [sys.executable, "-m", "setup_service", "generate", "--env-file", str(env_file),
         "--output-dir", str(out), "--mount-path", str(out), "--owner",
         f"{os.getuid()}:{os.getgid()}", "--format", "json"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": os.environ["PATH"], "LANG": "C.UTF-8"})
    doc: dict[str, object] = json.loads(result.stdout)
    doc["exit_code"] = result.returncode
    return doc


def test_the_corpus_is_big_enough_and_sourced() -> None:
    sources = (HERE / "SOURCES.md").read_text()
    assert len(CONFIGS) >= 30
    for path in CONFIGS + REFUSED:
        header = path.read_text().splitlines()[:3]
        assert header[0].startswith("# Source:") and header[1].startswith("# License:"), path.name
        assert f"{path.parent.name}/{path.name}" in sources, path.name
    assert {p.name for p in REFUSED} == set(EXPECTED)


@pytest.mark.parametrize("path", CONFIGS + REFUSED, ids=[p.stem[:2] for p in CONFIGS + REFUSED])
def test_configuration(path: Path, tmp_path: Path) -> None:
    translation = translate(path.read_text())
    expected = EXPECTED.get(path.name)
    if isinstance(expected, str):  # the job configures one stanza on the database host
        assert translation.unsupported, expected
        return
    assert not translation.unsupported, translation.unsupported
    env = dict(translation.env)
    files = _fixture_files(env, tmp_path)
    _adapted_for_245(env)
    out = tmp_path / "out"
    doc = _generate(env, out)
    problems = doc.get("problems", [])
    if expected is not None:
        assert doc["exit_code"] == 78
        assert tuple(expected) in {(p["variable"], p["code"]) for p in problems}, problems  # type: ignore[index, union-attr]
        return
    assert doc["exit_code"] == 0, problems
    assert doc["pgbackrest_check"]["result"] == "passed", doc["pgbackrest_check"]  # type: ignore[index]

    empty = tmp_path / "empty.d"
    empty.mkdir()
    original = tmp_path / "original.conf"
    text = path.read_text()
    if "PGBACKREST_BETA" in env and "PGBACKREST_BETA" not in translation.env:
        text = text.replace("[global]\n", "[global]\nbeta=y\n", 1)  # the same 2.45 adaptation
    original.write_text(text)
    published = (out / "pgbackrest.conf", out / "conf.d")
    stanza = translation.stanza
    compared = defaults_used = 0
    for section in translation.original.values():
        for key in section:
            resolved = canonical(key)
            assert resolved is not None, key
            name, index = resolved
            option = option_table.options()[name]
            if name in files or (index or 1) > 1:
                continue  # file paths differ by design; help shows repo1 only (checked below)
            for command in COMMANDS:
                if command not in option.commands:
                    continue
                want = current(original, empty, stanza, command, option.key(index))
                got = current(*published[:1], published[1], stanza, command, option.key(index))
                if want is None and got == catalogue.PRODUCTION_DEFAULTS.get(name):
                    defaults_used += 1  # set for another command only: the job's default here
                    continue
                assert got == want, f"{command} {option.key(index)}: {got!r} != {want!r}"
                compared += 1
    # repo2 and up, as the parsed files say (pgBackRest's help shows repo1 only)
    merged = pgbackrest_ini.read_set((out / "pgbackrest.conf").read_text(),
                                     (out / "conf.d" / "repo.conf").read_text())
    for section in translation.original.values():
        for key, values in section.items():
            name, index = canonical(key) or (key, None)
            if (index or 1) > 1 and name not in files:
                where = stanza if name.startswith("pg-") else "global"
                assert merged[where].get(option_table.options()[name].key(index)) == values, key
    assert compared > 0
    added = {canonical(k)[0] for s in pgbackrest_ini.parse((out / "pgbackrest.conf").read_text()).values()  # type: ignore[index]
             for k in s} - {canonical(k)[0] for s in translation.original.values() for k in s}  # type: ignore[index]
    assert added <= JOB_DEFAULTS, added - JOB_DEFAULTS
