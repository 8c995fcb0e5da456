"""The backup package's modules, imported directly: settings from the catalogue, the crontab as
jobs on the one cron, restore requests, the watch's changes of state, the reporters, and the one
webhook poster with the one redaction."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from backup_service import crontab, restore, webhook
from backup_service.exit_codes import Status
from backup_service.settings import Settings
from backup_service.status import formats, watch
from backup_service.status.report import Check, Report
from setup_service import catalogue

from .webhook import Receiver

TUNABLES = {"BACKUP_STATUS_TIMEOUT": "timeout", "BACKUP_STATUS_GRACE": "grace",
            "BACKUP_STATUS_CRITICAL_AFTER": "critical_after",
            "BACKUP_STATUS_OUTAGE_WARNING": "outage_warning_hours",
            "BACKUP_STATUS_OUTAGE_CRITICAL": "outage_critical_hours", "BACKUP_WATCH_MINUTES": "watch_minutes"}


def test_defaults_are_the_catalogues() -> None:
    settings = Settings.from_environ({})
    assert {name: float(getattr(settings, field)) for name, field in TUNABLES.items()} == \
        {name: float(catalogue.BY_NAME[name].default or "nan") for name in TUNABLES}
    assert settings.config_dir == "/etc/pgbackrest"
    assert settings.pgdata == catalogue.STANZA_DEFAULTS["pg-path"]


def test_a_set_value_wins_and_a_malformed_one_takes_the_default() -> None:
    settings = Settings.from_environ({"BACKUP_STATUS_GRACE": "60", "BACKUP_STATUS_TIMEOUT": "soon"})
    assert (settings.grace, settings.timeout) == (60, float(catalogue.BY_NAME["BACKUP_STATUS_TIMEOUT"].default or 0))


def test_the_crontab_as_jobs() -> None:
    entries = crontab.parse("SHELL=/bin/sh\n# comment\n\n0 2 * * 0   run-backup full\n@daily  echo  two words \n"
                            "* * * * */0 echo bad-step\n@reboot echo never\nnot a schedule\n")
    jobs = [e for e in entries if isinstance(e, crontab.Job)]
    assert [(j.schedule.text, j.command) for j in jobs] == [("0 2 * * 0", "run-backup full"),
                                                           ("0 0 * * *", "echo  two words")]
    assert [(e.line, e.reason.split(" (")[0]) for e in entries if isinstance(e, crontab.Unsupported)] == [
        ("* * * * */0 echo bad-step", "unsupported schedule"), ("@reboot echo never", "unsupported line"),
        ("not a schedule", "unsupported line")]


@pytest.mark.parametrize("expression, moment, due", [
    ("0 2 1 * sun", "2024-03-01 02:00", True),  # day of month or day of week, both restricted
    ("0 2 1 * sun", "2024-03-03 02:00", True),
    ("0 2 1 * sun", "2024-03-04 02:00", False),
    ("0 2 */2 * sun", "2024-03-04 02:00", False),  # a field starting with * restricts with AND
    ("0 2 */2 * sun", "2024-03-03 02:00", True),
    ("5/10 * * * *", "2024-03-04 00:25", True),
    ("5/10 * * * *", "2024-03-04 00:20", False),
])
def test_schedules_match_minutes_as_vixie_cron(expression: str, moment: str, due: bool) -> None:
    [job] = crontab.parse(f"{expression} true")
    assert isinstance(job, crontab.Job)
    assert job.schedule.matches(datetime.fromisoformat(moment)) is due


@pytest.mark.parametrize("args, options", [
    (["latest"], ()),
    (["set", "20240101-120000F"], ("--set=20240101-120000F", "--type=immediate", "--target-action=promote")),
    (["time", "2024-01-01 12:00:00+00"], ("--type=time", "--target=2024-01-01 12:00:00+00",
                                          "--target-action=promote")),
    (["xid", "123"], ("--type=xid", "--target=123", "--target-action=promote")),
])
def test_restore_requests(args: list[str], options: tuple[str, ...]) -> None:
    assert restore.plan(args).options == options


@pytest.mark.parametrize("args", [[], ["latest", "x"], ["set"], ["set", "nonsense"], ["time", ""],
                                  ["yesterday"], ["xid"], ["xid", "12a"]])
def test_bad_restore_requests(args: list[str]) -> None:
    with pytest.raises(restore.UsageError):
        restore.plan(args)


def _report(**statuses: Status) -> Report:
    return Report(checks=[Check(name.replace("_", "-"), status, f"{name} says so")
                          for name, status in statuses.items()], stanza="s")


def test_the_watch_posts_a_start_a_worsening_and_an_end_once_each() -> None:
    warning = _report(repository=Status.WARNING, archiving=Status.OK)
    critical = _report(repository=Status.CRITICAL, archiving=Status.OK)
    calm = _report(repository=Status.OK, archiving=Status.OK)
    first = watch.conditions(warning)
    assert [(p["event"], p["level"]) for p in watch.changes({}, first, warning)] == \
        [("repository-unreachable", "WARNING")]
    assert watch.changes(first, first, warning) == []
    worse = watch.conditions(critical)
    assert [(p["event"], p["level"]) for p in watch.changes(first, worse, critical)] == \
        [("repository-unreachable", "CRITICAL")]
    assert watch.changes(worse, first, warning) == []  # easing off posts nothing
    assert [(p["event"], p["level"]) for p in watch.changes(worse, watch.conditions(calm), calm)] == \
        [("repository-reachable", "OK")]
    assert watch.recorded_level(True) == "WARNING" and watch.recorded_level("nonsense") == "OK"


def test_the_reporters_table() -> None:
    report = _report(repository=Status.OK, backup_age=Status.WARNING)
    assert set(formats.REPORTERS) == {"text", "json", "prometheus"}
    assert formats.text(report).splitlines()[0] == "BACKUP WARNING: backup_age says so"
    document = json.loads(formats.json_report(report))
    assert (document["status"], document["stanza"], document["archive"]["gap"]) == ("WARNING", "s", None)
    assert 'pgbackrest_check_status{stanza="s",check="backup-age"} 1' in formats.prometheus(report)
    assert Report().status is Status.UNKNOWN


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.stop()


def _settings(tmp_path: Path, url: str, **environ: str) -> Settings:
    (tmp_path / "conf.d").mkdir(exist_ok=True)
    (tmp_path / "pgbackrest.conf").write_text("[global]\nrepo1-cipher-pass=ci-pher\"pass\n")
    (tmp_path / "conf.d" / "repo.conf").write_text("[global]\nrepo1-s3-key=AKIAKEY\nrepo1-s3-bucket=b\n")
    return Settings.from_environ({"PGBR_CONFIG_DIR": str(tmp_path), "BACKUP_WEBHOOK_URL": url,
                                  "BACKUP_WEBHOOK_TIMEOUT": "5", **environ})


def test_the_poster_redacts_every_string_by_the_catalogue(tmp_path: Path, receiver: Receiver) -> None:
    url = receiver.url("/hook/t0ken")
    settings = _settings(tmp_path, url, POSTGRES_PASSWORD="pg-pw", AWS_SECRET_ACCESS_KEY="aws-sk")
    payload = {"error": f"ci-pher\"pass AKIAKEY pg-pw aws-sk {url}", "nested": [{"x": "pg-pw"}],
               "bucket": "b", "n": 1}
    assert webhook.post(settings, payload, "a test")
    [post] = receiver.take()
    assert post.payload == {"error": " ".join(["[REDACTED]"] * 5), "nested": [{"x": "[REDACTED]"}],
                            "bucket": "b", "n": 1}


def test_the_poster_retries_a_server_error_twice_and_never_logs_the_url(
        tmp_path: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]) -> None:
    receiver.status = 503
    settings = _settings(tmp_path, receiver.url("/hook/t0ken"))
    assert not webhook.post(settings, {"event": "x"}, "the x event")
    assert len(receiver.take()) == 3
    receiver.status = 404  # not transient: one attempt
    assert not webhook.post(settings, {"event": "x"}, "the x event")
    assert len(receiver.take()) == 1
    logged = capsys.readouterr().err
    assert "could not post the x event to BACKUP_WEBHOOK_URL (HTTP 503)" in logged
    assert "t0ken" not in logged and "127.0.0.1" not in logged


def test_the_published_url_is_used_and_redacted_and_read_at_each_post(tmp_path: Path,
                                                                       receiver: Receiver) -> None:
    """Compose gives the backup service no BACKUP_WEBHOOK_URL: the setup job publishes it
    (files/backup-webhook-url), and `make config` may rotate it while the service runs."""
    settings = _settings(tmp_path, "")
    (tmp_path / "files").mkdir()
    first, rotated = receiver.url("/hook/first-t0ken"), receiver.url("/hook/rotated-t0ken")
    (tmp_path / "files" / "backup-webhook-url").write_text(first)
    assert webhook.post(settings, {"error": f"at {first}"}, "a test")
    (tmp_path / "files" / "backup-webhook-url").write_text(rotated + "\n")
    assert webhook.post(settings, {"error": f"at {rotated}"}, "a test")
    posts = receiver.take()
    assert [post.path for post in posts] == ["/hook/first-t0ken", "/hook/rotated-t0ken"]
    assert [post.payload for post in posts] == [{"error": "at [REDACTED]"}] * 2


def test_no_url_posts_nothing(tmp_path: Path) -> None:
    assert webhook.post(_settings(tmp_path, ""), {"event": "x"}, "x") is False


def test_the_scrape_endpoint_serves_the_last_refresh_and_runs_nothing(tmp_path: Path) -> None:
    import urllib.error
    import urllib.request

    from backup_service import metrics

    recorder = tmp_path / "pgbackrest"
    recorder.write_text(f"#!/bin/sh\necho called >>{tmp_path}/calls\n")
    recorder.chmod(0o755)
    settings = Settings.from_environ({"BACKUP_STATE_DIR": str(tmp_path), "PGBR_BIN": str(recorder),
                                      "BACKUP_METRICS_PORT": "1"})
    server = metrics.serve(dataclasses.replace(settings, metrics_port=0))
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(urllib.error.HTTPError) as before:
            urllib.request.urlopen(url + "/metrics", timeout=5)
        assert before.value.code == 503
        metrics.refresh(settings, _report(repository=Status.OK))
        with urllib.request.urlopen(url + "/metrics", timeout=5) as answer:
            body = answer.read().decode()
            assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert 'pgbackrest_status{stanza="s"} 0' in body
    finally:
        server.shutdown()
    assert not (tmp_path / "calls").exists()


@pytest.mark.parametrize(("stdout", "code", "backups"), [
    ('[{"name": "s", "backup": [{"label": "20261207-010000F"}]}]', 0, ["20261207-010000F"]),
    ('[{"name": "s"}]', 0, []),  # a stanza without backups yet
    ("[]", 0, []),
    ("not json", 0, []),
    ('[{"name": "s", "backup": [{"label": "x"}]}]', 1, []),  # a failed info is no answer
])
def test_the_one_reader_of_pgbackrest_info(tmp_path: Path, stdout: str, code: int, backups: list[str]) -> None:
    from backup_service import pgbackrest

    fake = tmp_path / "pgbackrest"
    (tmp_path / "answer").write_text(stdout)
    fake.write_text(f"#!/bin/sh\ncat {tmp_path / 'answer'}\necho failed-why >&2\nexit {code}\n")
    fake.chmod(0o755)
    answer = pgbackrest.stanza_info(_settings(tmp_path, "", PGBR_BIN=str(fake)), "s")
    assert [b["label"] for b in answer.backups] == backups
    assert (answer.code, answer.stderr) == (code, "failed-why\n")
