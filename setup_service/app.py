"""The runs behind the commands: read the environment, validate, render, check, publish.

Returns data (exit code, status document, problems); the CLI prints it.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from setup_service import env_sources, namespace, publish, render, selfcheck, status
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


@dataclasses.dataclass
class Result:
    exit_code: ExitCode
    doc: dict[str, Any]
    problems: list[Problem]
    diff: str = ""


_REJECTED = Problem("pgbackrest", "pgBackRest rejects the generated configuration",
                    hint="see the pgbackrest messages; disable with --no-pgbackrest-check")


def _read_file(path: str) -> bytes:
    return Path(path).read_bytes()


def _secret_values(files: dict[str, render.RenderedFile]) -> list[str]:
    found = []
    for line in files["conf.d/repo.conf"].content.decode().split("\n"):  # pgBackRest splits at LF only
        key, sep, value = line.partition("=")
        if sep and render.is_secret_key(key) and value:
            found.append(value)
    return found


def _check(enabled: bool, files: dict[str, render.RenderedFile], config: SetupConfig) -> selfcheck.CheckResult:
    if not enabled:
        return selfcheck.CheckResult(False, "disabled")
    result = selfcheck.run(files, config.stanza)
    secrets = _secret_values(files)
    messages = []
    for message in result.messages:
        for secret in secrets:
            message = message.replace(secret, render.REDACTED)
        messages.append(message)
    return dataclasses.replace(result, messages=tuple(messages))


def _owner(request: Request) -> tuple[publish.Owner | None, list[Problem]]:
    wanted = request.owner
    if os.geteuid() == 0 or (os.geteuid() == wanted.uid and wanted.gid in os.getgroups()):
        return wanted, []
    return None, [Problem("--owner", f"running as uid {os.geteuid()}, so files holding secrets "
                          f"cannot be given to {wanted.uid}:{wanted.gid}", severity=Severity.WARNING,
                          hint="run as root or as that user, or pass --owner to match this user",
                          code="owner")]


def prepare(environ: Mapping[str, str], env_file: Path | None,
            mount_path: str) -> tuple[SetupConfig | None, list[Problem]]:
    settings, problems = env_sources.read_environment(environ, env_file)
    outcome = validate(settings, mount_path=mount_path, read_file=_read_file)
    return outcome.config, problems + outcome.problems


def _diff(output_dir: Path, files: dict[str, render.RenderedFile]) -> str:
    old = publish.current_files(output_dir)
    chunks: list[str] = []
    for path in sorted(set(old) | set(files)):
        before = render.redacted(path, old[path]) if path in old else ""
        after = render.redacted(path, files[path]) if path in files else ""
        chunks += difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                       f"a/{path}", f"b/{path}")
    return "".join(chunks)


def generate(request: Request, environ: Mapping[str, str]) -> Result:
    config, problems = prepare(environ, request.env_file, request.mount_path)
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
        diff = _diff(request.output_dir, files)
        doc = status.build("dry-run", config=config, problems=problems, files=files,
                           content_hash=digest, check=check.as_dict())
        doc["changes_pending"] = bool(diff)
        return Result(ExitCode.OK, doc, problems, diff)
    owner, owner_problems = _owner(request)
    problems += owner_problems
    return _publish(request, config, files, digest, check, owner, problems)


def _publish(request: Request, config: SetupConfig, files: dict[str, render.RenderedFile], digest: str,
             check: selfcheck.CheckResult, owner: publish.Owner | None,
             problems: list[Problem]) -> Result:
    out = request.output_dir
    try:
        with publish.locked(out):
            previous = publish.current_status(out) or {}
            generation = previous.get("generation", 0)
            generation = generation if isinstance(generation, int) and generation > 0 else 0
            if previous.get("content_hash") == digest and publish.links_in_place(out):
                publish.clean_staging(out)
                doc = status.build("unchanged", config=config, problems=problems, files=files,
                                   content_hash=digest, generation=generation,
                                   check=check.as_dict(), output_dir=str(out))
                return Result(ExitCode.OK, doc, problems)
            doc = status.build("written", config=config, problems=problems, files=files,
                               content_hash=digest, generation=generation + 1,
                               check=check.as_dict(), output_dir=str(out))
            publish.publish(out, files, status.dumps(doc), owner)
            return Result(ExitCode.OK, doc, problems)
    except publish.LockedError as exc:
        problem = Problem("--output-dir", str(exc), hint="wait for the other run, then retry",
                          code="locked", exit_code=ExitCode.TEMP_FAIL)
    except publish.PublishError as exc:
        problem = Problem("--output-dir", str(exc), code="io", exit_code=ExitCode.CANT_CREATE,
                          hint="check that the volume is mounted and writable; the previous "
                               "config is untouched")
    problems.append(problem)
    return Result(problem.exit_code, status.build("failed", config=config, problems=problems), problems)


def validate_files(environ: Mapping[str, str], env_files: list[Path | None],
                   check: bool) -> list[tuple[str, Result]]:
    """validate: each env file on its own; nothing is written."""
    results = []
    for env_file in env_files:
        config, problems = prepare(environ, env_file, namespace.DEFAULT_MOUNT_PATH)
        label = str(env_file) if env_file else "environment"
        if errors(problems) or config is None:
            results.append((label, Result(exit_code_for(problems),
                                          status.build("invalid", config=None, problems=problems), problems)))
            continue
        result = _check(check, render.render(config), config)
        if result.result == "failed":
            problems.append(_REJECTED)
        code = exit_code_for(problems)
        doc = status.build("valid" if code is ExitCode.OK else "invalid", config=config,
                           problems=problems, check=result.as_dict())
        results.append((label, Result(code, doc, problems)))
    return results
