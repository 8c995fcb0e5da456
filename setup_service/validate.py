"""The pure core: settings in, a SetupConfig or the complete list of problems out.

No I/O happens here except through the read_file function the caller passes for files that
variables name (key and CA files), so tests can hand in a dictionary.
"""

from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING, Any, Callable

from setup_service import (catalogue, classify, cron, env_sources, namespace, option_table, rules, schema_check,
                           scope_rules, values)
from setup_service.classify import Assignment
from setup_service.collector import Collector
from setup_service.env_sources import Setting
from setup_service.problems import Problem, Severity, errors

if TYPE_CHECKING:
    from setup_service.models import SetupConfig

ReadFile = Callable[[str], bytes]
_BOOL_TRUE = {"true", "yes", "y", "on", "1"}


@dataclasses.dataclass
class Outcome:
    config: SetupConfig | None  # None when there is an error
    problems: list[Problem]


# pgBackRest reads a config line into a 64 KiB buffer and refuses a longer one; the key and '='
# take the rest of it.
VALUE_BYTES_MAX = 64 * 1024 - 1024


def _ini_safe(collector: Collector) -> dict[str, Setting]:
    safe = {}
    for name, setting in collector.settings.items():
        if len(setting.value.encode("utf-8", "surrogateescape")) > VALUE_BYTES_MAX:
            collector.add(name, f"is longer than pgBackRest's config line limit ({VALUE_BYTES_MAX} "
                          "bytes)", "shorten it; pgBackRest would refuse the published file", "format")
            continue
        reason = values.ini_safety(setting.value)
        if reason:
            collector.add(name, reason, "remove the line break or surrounding spaces", "format")
        else:
            safe[name] = setting
    return safe


def _repo_type(collector: Collector) -> str:
    repo_type = collector.value(catalogue.TYPE_VARIABLE) or "none"
    if repo_type not in catalogue.REPO_TYPES:
        collector.add(catalogue.TYPE_VARIABLE, f"{repo_type!r} is not a repository type",
                      "use one of: " + ", ".join(catalogue.REPO_TYPES))
        return "none"
    return repo_type


def _backups_enabled(collector: Collector, repo_type: str) -> bool:
    flag = collector.value("SETUP_BACKUP")
    if flag is None or "SETUP_BACKUP" in collector.failed:
        return repo_type != "none"
    if flag.lower() in _BOOL_TRUE:
        if repo_type == "none":
            collector.add("SETUP_BACKUP", "is true but no repository is configured",
                          f"set {catalogue.TYPE_VARIABLE} to posix, s3, azure or gcs, "
                          "or set SETUP_BACKUP=false", "conflict")
        return repo_type != "none"
    if repo_type != "none":
        collector.add("SETUP_BACKUP", f"is false: the {repo_type} repository settings are ignored "
                      "and backups are disabled", f"remove {catalogue.TYPE_VARIABLE} or set "
                      "SETUP_BACKUP=true", "ignored", Severity.WARNING)
    return False


def _off_type_warnings(collector: Collector, assignments: list[Assignment], repo_type: str,
                       enabled: bool) -> list[Assignment]:
    """Friendly variables of another repository type: probably a mistake, so warn and drop."""
    kept = []
    for a in assignments:
        variable = catalogue.BY_NAME.get(a.variable)
        if variable and variable.repo_types and (not enabled or repo_type not in variable.repo_types):
            why = "backups are disabled" if not enabled else f"the repository type is {repo_type}"
            collector.add(a.variable, f"is set but {why}; it is ignored (probably a mistake)",
                          f"remove it, or set {catalogue.TYPE_VARIABLE} to "
                          + " or ".join(variable.repo_types), "ignored", Severity.WARNING)
            continue
        kept.append(a)
    return kept


def _schedules(collector: Collector, enabled: bool) -> dict[str, str]:
    schedules: dict[str, str] = {}
    parsed: dict[str, cron.Schedule] = {}
    for kind in ("full", "diff", "incr"):
        name = f"BACKUP_SCHEDULE_{kind.upper()}"
        text = collector.value(name) or catalogue.BY_NAME[name].default
        if text is None or name in collector.failed:
            continue
        try:
            parsed[kind] = cron.parse(text)
        except cron.CronError as exc:
            collector.add(name, f"is not a valid cron expression: {exc}",
                          "use five fields: minute hour day-of-month month day-of-week, "
                          "e.g. 0 2 * * 0", "format")
            continue
        schedules[kind] = parsed[kind].text
    if "diff" not in schedules and collector.value("BACKUP_SCHEDULE_DIFF") is None \
            and "full" in parsed:
        derived = cron.complement_days(parsed["full"])
        if derived is not None:
            schedules["diff"] = derived.text
        elif enabled and parsed["full"].fields[2:4] != ("*", "*"):
            collector.add("BACKUP_SCHEDULE_DIFF", "has no default for a full schedule that uses "
                          "days of the month; no differential backups are scheduled",
                          "set BACKUP_SCHEDULE_DIFF", "missing", Severity.WARNING)
    return schedules


def _drill_schedule(collector: Collector) -> str | None:
    """BACKUP_SCHEDULE_DRILL: unset is the catalogue's monthly default, empty turns drills off."""
    name = "BACKUP_SCHEDULE_DRILL"
    text = collector.value(name)
    if text is None:
        text = catalogue.BY_NAME[name].default
    if not text or not text.strip() or name in collector.failed:
        return None
    try:
        return cron.parse(text).text
    except cron.CronError as exc:
        collector.add(name, f"is not a valid cron expression: {exc}",
                      "use five fields: minute hour day-of-month month day-of-week, e.g. 0 5 1 * *, "
                      "or leave it empty to schedule no drill", "format")
        return None


def _limits(collector: Collector) -> None:
    pairs = (("BACKUP_MEMORY_LIMIT", "BACKUP_MEMORY_RESERVATION", rules.compose_bytes),
             ("BACKUP_CPU_LIMIT", "BACKUP_CPU_RESERVATION", rules.cpus))
    for limit, reservation, parse in pairs:
        for name in (limit, reservation):
            if collector.value(name) is None or name in collector.failed:
                continue
            try:
                parse(collector.value(name) or "")
            except rules.RuleError as exc:
                collector.add(name, str(exc), exc.hint)
        lim, res = collector.value(limit), collector.value(reservation)
        if lim and res and not collector.failed & {limit, reservation}:
            try:
                rules.check_limit_pair(lim, res, parse)
            except rules.RuleError as exc:
                collector.add(reservation, f"{exc} ({limit})", exc.hint, "conflict")


def _deployment(collector: Collector) -> None:
    """What the deployment needs beyond pgBackRest: the official PostgreSQL image's password."""
    if collector.value("SETUP_DEPLOYMENT") != "compose" or "SETUP_DEPLOYMENT" in collector.failed:
        return
    if any(collector.value(name) is not None and (wanted is None or collector.value(name) == wanted)
           for name, wanted in catalogue.POSTGRES_AUTH):
        if collector.value("POSTGRES_PASSWORD") and collector.value("POSTGRES_PASSWORD_FILE"):
            collector.add("POSTGRES_PASSWORD_FILE", "is set as well as POSTGRES_PASSWORD; the "
                          "PostgreSQL image refuses to start with both",
                          "set only one of POSTGRES_PASSWORD and POSTGRES_PASSWORD_FILE", "conflict")
        return
    collector.add("POSTGRES_PASSWORD", "is required by the compose deployment: the PostgreSQL "
                  "image refuses to initialise its data directory without a password, and would "
                  "restart in a loop", "set POSTGRES_PASSWORD in .env (or POSTGRES_PASSWORD_FILE, "
                  "a secret file mounted into the postgres service; or POSTGRES_HOST_AUTH_METHOD="
                  "trust for a server nobody else can reach)", "missing")


def _published_secrets(collector: Collector) -> list[dict[str, Any]]:
    """Under files/ (namespace): POSTGRES_PASSWORD for the compose deployment (empty with trust or a password file of the
    user's own, which compose passes instead), and BACKUP_WEBHOOK_URL when set."""
    files = []
    if collector.value("SETUP_DEPLOYMENT") == "compose":
        files.append({"name": os.path.basename(namespace.POSTGRES_PASSWORD_FILE), "secret": True, "variable": "POSTGRES_PASSWORD",
                      "content": (collector.value("POSTGRES_PASSWORD") or "").encode()})
    url = collector.value("BACKUP_WEBHOOK_URL")
    if url and "BACKUP_WEBHOOK_URL" not in collector.failed:
        files.append({"name": os.path.basename(namespace.WEBHOOK_URL_FILE), "secret": True, "variable": "BACKUP_WEBHOOK_URL",
                      "content": url.encode()})
    return files


def _quoted_values(collector: Collector, settings: dict[str, Setting]) -> None:
    """`docker run --env-file` keeps quotes as part of the value; say so wherever it shows."""
    quoted = {name for name, s in settings.items() if s.source == env_sources.PROCESS
              and len(s.value) >= 2 and s.value[0] == s.value[-1] and s.value[0] in "\"'"}
    if not quoted:
        return
    hint = ("the value is wrapped in quotes, which are part of it here: `docker run --env-file` "
            "keeps quotes (docker compose and .env files strip them); remove the quotes, or "
            "mount the file and pass it with --env-file")
    flagged = set()
    for i, problem in enumerate(collector.problems):
        if problem.variable in quoted and problem.severity is Severity.ERROR:
            joined = f"{problem.hint}; {hint}" if problem.hint else hint
            collector.problems[i] = dataclasses.replace(problem, hint=joined)
            flagged.add(problem.variable)
    for name in sorted(quoted - flagged):
        collector.add(name, "is wrapped in quotes, which are kept as part of the value", hint,
                      "quoted", Severity.WARNING)


def validate(settings: dict[str, Setting], *, mount_path: str, read_file: ReadFile,
             version: option_table.Version = option_table.BASELINE) -> Outcome:
    """Every problem in the settings, and the typed config when there is no error."""
    collector = Collector(settings, version)
    safe = _ini_safe(collector)
    collector.settings = safe  # rejected values take no further part
    assignments, name_problems = classify.classify(safe, version)
    collector.problems += name_problems
    repo_type = _repo_type(collector)
    rejected = collector.failed  # a rejected value is not reported again by the schema
    collector.problems += [p for p in schema_check.check(repo_type, {
        n: s for n, s in safe.items() if n not in {p.variable for p in errors(name_problems)}})
        if p.variable not in rejected]
    enabled = _backups_enabled(collector, repo_type)
    assignments = _off_type_warnings(collector, assignments, repo_type, enabled)
    assignments = [a for a in assignments if a.variable not in collector.failed]
    schedules = _schedules(collector, enabled)
    drill_schedule = _drill_schedule(collector)
    _limits(collector)
    _deployment(collector)
    stanza = collector.value("PGBACKREST_STANZA") or catalogue.DEFAULT_STANZA
    if stanza == "global":
        collector.add("PGBACKREST_STANZA", "'global' is pgBackRest's own section name",
                      "choose another stanza name, e.g. salespider", "invalid")
    built = scope_rules.build(collector, assignments, repo_type if enabled else "none",
                         mount_path=mount_path, read_file=read_file)
    _quoted_values(collector, settings)
    if errors(collector.problems) or built is None:
        return Outcome(None, collector.problems)
    from setup_service.models import SetupConfig  # lazy: pydantic is slow to import

    built["files"] = [*built["files"], *_published_secrets(collector)]
    config = SetupConfig.model_validate(dict(
        stanza=stanza, backups_enabled=enabled, repo_type=repo_type if enabled else "none",
        mount_path=mount_path, schedules=schedules if enabled else {},
        drill_schedule=drill_schedule if enabled else None, **built))
    return Outcome(config, collector.problems)
