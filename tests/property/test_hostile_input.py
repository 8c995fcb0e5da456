"""Property: arbitrary text in any variable never crashes, never injects, never leaks a secret.

Never injects: the published set, read by the rules of pgBackRest's INI reader and by the real
pgBackRest (`help <command>` lists every option it read), holds exactly the typed config's options."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from setup_service import catalogue, option_table, render, reporter, status
from setup_service.env_sources import Setting
from setup_service.problems import errors, exit_code_for, warnings
from setup_service.validate import validate
from tests.corpus import effective
from tests.e2e.harness.availability import missing
from tests.property import pgbackrest_ini
from tests.property.strategies import (MOUNT, NAMES, as_pairs, expected_keys, hostile_text, is_secret,
                                       read_file)
from tests.unit.support import AZURE, GCS, POSIX, S3

BASES = {"none": {}, "posix": POSIX, "s3": S3, "azure": AZURE, "gcs": {**GCS, "GCS_KEY": "/secrets/gcs-0.json"}}

environments = st.tuples(
    st.sampled_from(sorted(BASES)),
    st.dictionaries(st.sampled_from(NAMES), hostile_text(), max_size=5),
)
# secrets only, over a valid base: the configuration is valid more often, so secrets get rendered
secret_environments = st.tuples(
    st.sampled_from(sorted(BASES)),
    st.dictionaries(st.sampled_from([n for n in NAMES if is_secret(n)]), hostile_text(), min_size=1,
                    max_size=2),
)


_IGNORED = "WARN: configuration file contains invalid option '{}'"


def _keys_of(variable: str) -> set[str]:
    """The config keys a variable sets (a friendly name or PGBACKREST_*)."""
    friendly = catalogue.BY_NAME.get(variable)
    if friendly is not None:
        return {option_table.options()[friendly.option].key(1 if option_table.options()[friendly.option].group
                                                            else None)} if friendly.option else set()
    parsed = option_table.parse_env_name(variable)
    option = option_table.options().get(parsed.option)
    return {option.key((parsed.index or 1) if option.group else None)} if option else set()


def _read_by_pgbackrest(files: dict[str, render.RenderedFile], stanza: str, expected: dict[str, set[str]]
                        ) -> tuple[dict[str, set[str]], list[str]]:
    if shutil.which("pgbackrest") is None:
        missing("pgbackrest is not installed")
    with tempfile.TemporaryDirectory() as temporary:
        for path, file in files.items():
            (Path(temporary) / path).parent.mkdir(parents=True, exist_ok=True)
            (Path(temporary) / path).write_bytes(file.content)
        return effective.options_read(Path(temporary), stanza, hidden=expected)


def _marked(name: str, value: str, index: int) -> str:
    """A secret's value carries a marker no output could contain by chance."""
    return value + f"SeCrEt{index}Mark" if is_secret(name) else value


@given(environments)
def test_hostile_values_are_problems_not_crashes_injections_or_leaks(case: tuple[str, dict[str, str]]) -> None:
    _check(*case)


@given(secret_environments)
def test_hostile_secrets_never_leak(case: tuple[str, dict[str, str]]) -> None:
    _check(*case)


def _check(base: str, overlay: dict[str, str]) -> None:
    env = {**BASES[base], **{n: _marked(n, v, i) for i, (n, v) in enumerate(overlay.items())}}
    env = {n: v for n, v in env.items() if v != ""}  # empty counts as unset (env_sources)
    settings_ = {name: Setting(value, "environment") for name, value in env.items()}

    outcome = validate(settings_, mount_path=MOUNT, read_file=read_file)  # never raises

    problems = outcome.problems
    exit_code_for(problems)
    assert (outcome.config is None) == bool(errors(problems))
    for problem in problems:
        assert problem.variable and problem.message
    files = render.render(outcome.config) if outcome.config is not None else {}

    if outcome.config is not None:
        main = files["pgbackrest.conf"].content.decode()
        include = files["conf.d/repo.conf"].content.decode()
        merged = pgbackrest_ini.read_set(main, include)  # pgBackRest would load it
        # no injected section or option: exactly the pairs of the typed config, nothing else
        assert merged == as_pairs(outcome.config)
        assert set(merged["global"]) | set(merged[outcome.config.stanza]) <= expected_keys(env)
        for key, values in merged["global"].items():
            if len(values) > 1:
                parsed = option_table.parse_env_name("PGBACKREST_" + re.sub(r"^(repo|pg)[0-9]+", r"\1", key)
                                                     .upper().replace("-", "_"))
                assert option_table.options()[parsed.option].multi, key
        # and the real pgBackRest reads exactly those options, without a warning
        newer = effective.newer_than_the_images(merged)  # pgBackRest warns and ignores them
        assert newer <= {k for p in warnings(problems) if p.code == "version"
                         for k in _keys_of(p.variable)}  # and the job warned first
        expected = effective.expected_read(merged, outcome.config.stanza)
        seen, complaints = _read_by_pgbackrest(files, outcome.config.stanza, expected)
        assert [c for c in complaints if c not in {_IGNORED.format(key) for key in newer}] == []
        assert {c: seen[c] - effective.written(merged) for c in seen} == {c: set() for c in seen}  # no extra
        # and nothing lost (restore leaves out options whose dependency is an archive command's)
        assert {c: expected[c] - seen[c] for c in ("backup", "archive-push")} == {"backup": set(),
                                                                                  "archive-push": set()}

    # never a secret: in problems, reports, status.json, non-secret files, the redacted view
    doc = status.build("written" if outcome.config else "invalid", config=outcome.config,  # type: ignore[arg-type]
                       problems=problems, files=files or None)
    shown = [json.dumps([p.as_dict() for p in problems]), status.dumps(doc).decode()]
    shown += [format_(doc, problems) for format_ in reporter.REPORTERS.values()]
    if outcome.config is not None:
        shown += [f.content.decode(errors="replace") for f in files.values() if not f.secret]
        shown += [render.redacted(path, f) for path, f in files.items()]
    text = "\n".join(shown)
    for index, name in enumerate(overlay):
        if is_secret(name):
            assert f"SeCrEt{index}Mark" not in text, name
