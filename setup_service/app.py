"""The runs behind the commands: read the environment, validate, render, check, publish.

Returns data (exit code, status document, problems); the CLI prints it.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from setup_service import catalogue, env_sources, identity, namespace, publish, redaction, render, selfcheck, status
from setup_service.env_sources import Setting
from setup_service.exit_codes import ExitCode
from setup_service.problems import Problem, Severity, errors, exit_code_for
from setup_service.validate import validate

if TYPE_CHECKING:
    from setup_service.models import SetupConfig


@dataclasses.dataclass
class Request:
    env_file: Path | None
    output_dir: Path
    mount_path: str
    owner: publish.Owner
    pgbackrest_check: bool = True
    dry_run: bool = False
    allow_repository_change: bool = False


@dataclasses.dataclass
class Result:
    exit_code: ExitCode
    doc: dict[str, Any]
    problems: list[Problem]
    diff: str = ""
    published: str = ""  # the ..data target this run published or found, read under the lock


_REJECTED = Problem("pgbackrest", "pgBackRest rejects the generated configuration",
                    hint="see the pgbackrest messages; disable with --no-pgbackrest-check")


def _read_file(path: str) -> bytes:
    return env_sources.read_regular_file(path)


def _check(enabled: bool, files: dict[str, render.RenderedFile], config: SetupConfig) -> selfcheck.CheckResult:
    if not enabled:
        return selfcheck.CheckResult(False, "disabled")
    result = selfcheck.run(files, config.stanza)
    secrets = redaction.ini_secret_values(files["conf.d/repo.conf"].content.decode())
    messages = tuple(redaction.redact(message, secrets) for message in result.messages)
    return dataclasses.replace(result, messages=messages)


def _owner(request: Request) -> tuple[publish.Owner | None, list[Problem]]:
    wanted = request.owner
    if os.geteuid() == 0 or (os.geteuid() == wanted.uid and wanted.gid in (os.getegid(), *os.getgroups())):
        return wanted, []
    return None, [Problem("--owner", f"running as uid {os.geteuid()}, so files holding secrets "
                          f"cannot be given to {wanted.uid}:{wanted.gid}", severity=Severity.WARNING,
                          hint="run as root or as that user, or pass --owner to match this user",
                          code="owner")]


def prepare(environ: Mapping[str, str], env_file: Path | None, mount_path: str,
            argument: str = env_sources.ENV_FILE_OPTION) -> tuple[SetupConfig | None, list[Problem], dict[str, Setting]]:
    settings, problems = env_sources.read_environment(environ, env_file, argument)
    outcome = validate(settings, mount_path=mount_path, read_file=_read_file,
                       version=target_version(settings))
    return outcome.config, problems + _not_repeated(outcome.problems, problems), settings


def _not_repeated(found: list[Problem], read: list[Problem]) -> list[Problem]:
    """Without "is required" for a variable set through a NAME_FILE that could not be read:
    that problem is reported already, naming the file variable."""
    from setup_service import schema_gen

    unreadable = {env_sources.file_target(p.variable) for p in read if p.code == "file"}

    def answered(problem: Problem) -> bool:
        variable = catalogue.BY_NAME.get(problem.variable)
        names = schema_gen.required_names(variable) if variable else [problem.variable]
        return problem.code == "missing" and bool(unreadable & set(names))

    return [p for p in found if not answered(p)]


def target_version(settings: dict[str, Setting]) -> tuple[int, ...]:
    """The pgBackRest the config is for: SETUP_PGBACKREST_VERSION, else the installed one (the
    setup image carries the other images' version), else 2.45."""
    from setup_service import option_table

    chosen = settings.get("SETUP_PGBACKREST_VERSION")
    parsed = option_table.parse_version(chosen.value) if chosen else None
    return parsed or selfcheck.installed_version() or option_table.BASELINE


_TRUE = {"true", "yes", "y", "on", "1"}


def _variable(change: identity.Change, settings: dict[str, Setting]) -> str:
    """The variable the user would change for an identity option (the one they set, if any)."""
    from setup_service import catalogue, option_table

    if change.key == "stanza":
        return "PGBACKREST_STANZA"
    parsed = option_table.parse_env_name(option_table.ENV_PREFIX + change.key.upper().replace("-", "_"))
    option = option_table.options()[parsed.option]
    friendly = catalogue.BY_OPTION.get(option.name)
    candidates = [friendly.name] if friendly and parsed.index == 1 else []
    candidates.append(option.env_name(parsed.index))
    if option.name == "repo-s3-endpoint" and parsed.index == 1:
        candidates.append("AWS_REGION")  # the endpoint follows the region unless it is set
    return next((c for c in candidates if c in settings), candidates[0])


def identity_problems(published: dict[str, render.RenderedFile], files: dict[str, render.RenderedFile],
                      settings: dict[str, Setting],
                      allowed: bool) -> tuple[list[Problem], list[dict[str, str]]]:
    """A change of a repository's identity: refused, or (allowed) a warning; and the changes as
    status.json records them ({"key", "variable"})."""
    allowed = allowed or settings.get("SETUP_ALLOW_REPOSITORY_CHANGE", Setting("", "")).value.lower() in _TRUE
    problems = []
    record: list[dict[str, str]] = []
    named: set[str] = set()
    for change in identity.changes(published, files):
        variable = _variable(change, settings)
        if variable in named:
            continue  # AWS_REGION moves the endpoint too: one problem per variable
        named.add(variable)
        record.append({"key": change.key, "variable": variable})
        where = f"repository {change.index}" if change.index else "the stanza"
        message = (f"changes {change.what} of {where} ({change.key}): the backups and WAL archive "
                   "already published would become unreachable, breaking point-in-time recovery")
        if allowed:
            problems.append(Problem(variable, message + "; published anyway "
                                    "(SETUP_ALLOW_REPOSITORY_CHANGE): a full backup is taken at once",
                                    code="repository-change", severity=Severity.WARNING,
                                    hint="remove SETUP_ALLOW_REPOSITORY_CHANGE now"))
            continue
        if change.key.endswith(("cipher-pass", "cipher-type")):
            safe = ("pgBackRest cannot re-encrypt a repository: configure a new encrypted repository "
                    "(PGBACKREST_REPO2_* with its own path or bucket) beside this one, let it take a "
                    "full backup, then retire this one")
        else:
            safe = ("keep the old value; to move, add the new location as another repository "
                    "(PGBACKREST_REPO2_*), let it take a full backup, then retire the old one")
        problems.append(Problem(variable, message, code="repository-change",
                                hint=safe + "; or set SETUP_ALLOW_REPOSITORY_CHANGE=true to switch "
                                "now and start again from a new full backup"))
    return problems, record


def _diff(output_dir: Path, files: dict[str, render.RenderedFile]) -> str:
    old = publish.current_files(output_dir)
    chunks: list[str] = []
    for path in sorted(set(old) | set(files)):
        before = render.redacted(path, old[path]) if path in old else ""
        after = render.redacted(path, files[path]) if path in files else ""
        lines = list(difflib.unified_diff(before.splitlines(keepends=True),
                                          after.splitlines(keepends=True), f"a/{path}", f"b/{path}"))
        if not lines and path in old and path in files and old[path].content != files[path].content:
            # Only a secret changed (credential rotation): say so without showing it.
            keys = redaction.changed_secret_keys(old[path].content.decode(errors="replace"),
                                                 files[path].content.decode(errors="replace"))
            what = ", ".join(keys) or "a secret value"
            lines = [f"--- a/{path}\n", f"+++ b/{path}\n", f"@@ {what} changed ({redaction.REDACTED}) @@\n"]
        chunks += lines
    return "".join(chunks)


def generate(request: Request, environ: Mapping[str, str]) -> Result:
    config, problems, settings = prepare(environ, request.env_file, request.mount_path)
    if errors(problems) or config is None:
        return Result(exit_code_for(problems), status.build("invalid", config=None, problems=problems), problems)
    files = render.render(config)
    digest = render.content_hash(files)
    check = _check(request.pgbackrest_check, files, config)
    if check.result == "failed":
        problems.append(_REJECTED)
        doc = status.build("invalid", config=config, problems=problems, check=check.as_dict())
        return Result(ExitCode.CONFIG, doc, problems)
    if request.dry_run:
        problems += identity_problems(publish.current_files(request.output_dir), files, settings,
                                      request.allow_repository_change)[0]
        if errors(problems):
            doc = status.build("invalid", config=config, problems=problems, check=check.as_dict())
            return Result(exit_code_for(problems), doc, problems)
        diff = _diff(request.output_dir, files)
        doc = status.build("dry-run", config=config, problems=problems, files=files,
                           content_hash=digest, check=check.as_dict())
        doc["changes_pending"] = bool(diff)
        return Result(ExitCode.OK, doc, problems, diff)
    owner, owner_problems = _owner(request)
    problems += owner_problems
    return _publish(request, config, files, digest, check, owner, problems, settings)


def _publish(request: Request, config: SetupConfig, files: dict[str, render.RenderedFile], digest: str,
             check: selfcheck.CheckResult, owner: publish.Owner | None,
             problems: list[Problem], settings: dict[str, Setting]) -> Result:
    out = request.output_dir
    try:
        with publish.locked(out):
            previous = publish.current_status(out) or {}
            generation = previous.get("generation", 0)
            generation = generation if isinstance(generation, int) and generation > 0 else 0
            if previous.get("content_hash") == digest and publish.links_in_place(out) \
                    and publish.matches(out, files, owner):
                publish.clean_staging(out)
                doc = status.build("unchanged", config=config, problems=problems, files=files,
                                   content_hash=digest, generation=generation,
                                   check=check.as_dict(), output_dir=str(out))
                return Result(ExitCode.OK, doc, problems, published=_data_link(out))
            # Compared under the lock, against what is published now.
            changed, record = identity_problems(publish.current_files(out), files, settings,
                                                request.allow_repository_change)
            problems += changed
            if errors(problems):
                return Result(exit_code_for(problems), status.build(
                    "invalid", config=config, problems=problems, check=check.as_dict()), problems)
            doc = status.build("written", config=config, problems=problems, files=files,
                               content_hash=digest, generation=generation + 1,
                               check=check.as_dict(), output_dir=str(out))
            if record:
                doc["repository_change"] = {"generation": generation + 1, "changes": record}
            publish.publish(out, files, status.dumps(doc), owner)
            return Result(ExitCode.OK, doc, problems, published=_data_link(out))
    except publish.LockedError as exc:
        problem = Problem("--output-dir", str(exc), hint="wait for the other run, then retry",
                          code="locked", exit_code=ExitCode.TEMP_FAIL)
    except publish.PublishError as exc:
        problem = Problem("--output-dir", str(exc), code="io", exit_code=ExitCode.CANT_CREATE,
                          hint="check that the volume is mounted and writable; the previous "
                               "config is untouched")
    problems.append(problem)
    return Result(problem.exit_code, status.build("failed", config=config, problems=problems), problems)


def strictly(result: Result) -> Result:
    """validate --strict: a warning fails the run as an error would."""
    if result.exit_code is not ExitCode.OK or not result.problems:
        return result
    return dataclasses.replace(result, exit_code=ExitCode.CONFIG,
                               doc={**result.doc, "result": "invalid"})


def _data_link(out: Path) -> str:
    try:
        return os.readlink(out / namespace.DATA_LINK)
    except OSError:
        return ""


ENVIRONMENT = "environment"  # validate's label for the process environment (no env file)


def validate_files(environ: Mapping[str, str], env_files: list[Path | None], check: bool,
                   against: Path | None = None, positional: int = 0) -> list[tuple[str, Result]]:
    """validate: each env file on its own; nothing is written. With `against` (a copy or mount
    of the target's published volume), a change of a repository's identity is refused too. The
    last `positional` files were given as FILE arguments, the others with --env-file: problems
    with a file name it as given."""
    results = []
    for number, env_file in enumerate(env_files):
        argument = "FILE" if number >= len(env_files) - positional else env_sources.ENV_FILE_OPTION
        config, problems, settings = prepare(environ, env_file, namespace.DEFAULT_MOUNT_PATH, argument)
        label = str(env_file) if env_file else ENVIRONMENT
        if errors(problems) or config is None:
            results.append((label, Result(exit_code_for(problems),
                                          status.build("invalid", config=None, problems=problems), problems)))
            continue
        files = render.render(config)
        result = _check(check, files, config)
        if result.result == "failed":
            problems.append(_REJECTED)
        if against is not None:
            problems += identity_problems(publish.current_files(against), files, settings, False)[0]
        code = exit_code_for(problems)
        doc = status.build("valid" if code is ExitCode.OK else "invalid", config=config,
                           problems=problems, check=result.as_dict())
        results.append((label, Result(code, doc, problems)))
    return results
