"""The command line (click): parses flags, calls app, prints through the reporter, exits."""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from setup_service import __version__, catalogue, namespace, privileges
from setup_service.exit_codes import ExitCode, exit_code_table

EPILOG = "Exit codes:\n\n\b\n" + exit_code_table()
# validate writes nothing and takes no lock: never 73 (output directory) or 75 (lock).
VALIDATE_EPILOG = "Exit codes:\n\n\b\n" + "\n".join(
    line for line in exit_code_table().splitlines()
    if int(line.split()[0]) not in (ExitCode.CANT_CREATE, ExitCode.TEMP_FAIL))
_FORMATS = ("text", "json")

format_option = click.option("--format", "fmt", type=click.Choice(_FORMATS), default="text",
                             show_default=True, help="Output for people (text) or machines (json).")
debug_option = click.option("--debug", is_flag=True, help="Show a traceback on internal errors.")
check_option = click.option("--pgbackrest-check/--no-pgbackrest-check", default=True,
                            envvar="SETUP_PGBACKREST_CHECK", show_default=True,
                            help="Run pgBackRest's own parser on the generated files when "
                                 "pgbackrest is installed; refuse on any warning.")


def _owner(_ctx: click.Context, _param: click.Parameter, value: str) -> Any:
    from setup_service.publish import Owner

    parsed = privileges.uid_gid(value)
    if parsed is None:
        raise click.BadParameter("use UID:GID, e.g. 999:999")
    return Owner(*parsed)


def _mount_path(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    import re

    if not re.fullmatch(namespace.MOUNT_PATH_PATTERN, value) or "//" in value or value == "/":
        raise click.BadParameter("use an absolute directory path (not /) of letters, digits, "
                                 "'.', '_', '-' and single '/'")
    return value.rstrip("/")


def _finish(code: ExitCode) -> None:
    sys.exit(int(code))


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="setup-service")
def main() -> None:
    """Turn the environment into a validated pgBackRest configuration."""


@main.command(epilog=EPILOG)
# readable=False: the job reports an unreadable file itself; the .env read as root
# (privileges.py) is unreadable to the user the job now runs as.
@click.option("--env-file", type=click.Path(path_type=Path, readable=False), default=None, envvar=privileges.ENV_FILE,
              help="A .env file under the process environment (the environment wins).")
@click.option("--output-dir", type=click.Path(path_type=Path), default=Path(namespace.DEFAULT_OUTPUT_DIR),
              envvar="SETUP_OUTPUT_DIR", show_default=True, help="The volume to publish into.")
@click.option("--mount-path", default=namespace.DEFAULT_MOUNT_PATH, envvar="SETUP_MOUNT_PATH",
              show_default=True, callback=_mount_path, help="Where the PostgreSQL and backup containers mount the volume.")
@click.option("--owner", default=namespace.DEFAULT_OWNER, envvar="SETUP_OWNER", callback=_owner, show_default=True,
              help="UID:GID that owns files holding secrets (the postgres user of the consumers).")
@click.option("--dry-run", is_flag=True, help="Show what would change (secrets redacted); write nothing.")
@click.option("--allow-repository-change", is_flag=True,
              help="Publish a change of a repository's identity (SETUP_ALLOW_REPOSITORY_CHANGE).")
@check_option
@format_option
@debug_option
def generate(env_file: Path | None, output_dir: Path, mount_path: str, owner: Any, dry_run: bool,
             allow_repository_change: bool, pgbackrest_check: bool, fmt: str, debug: bool) -> None:
    """Validate the environment and publish the config set atomically."""
    from setup_service import app, fingerprint, reporter

    request = app.Request(env_file, output_dir, mount_path, owner, pgbackrest_check, dry_run,
                          allow_repository_change)
    result = _guarded(debug, lambda: app.generate(request, os.environ))
    if result.diff and fmt == "text":
        click.echo(result.diff, nl=False)
    click.echo(reporter.REPORTERS[fmt](result.doc, result.problems))
    if result.exit_code is ExitCode.OK and not dry_run:
        fingerprint.remember(request, os.environ, result.doc, result.published)
    _finish(result.exit_code)


@main.command(epilog=VALIDATE_EPILOG)
@click.option("--env-file", "env_files", multiple=True, type=click.Path(path_type=Path),
              help="An env file to validate (repeatable); none: SETUP_ENV_FILE, else the process "
                   "environment.")
@click.option("--format", "fmt", type=click.Choice((*_FORMATS, "github")), default="text",
              show_default=True, help="text, json, or GitHub Actions annotations.")
@click.option("--against", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="The target's published volume (a mount or a copy): also refuse a change of a "
                   "repository's identity, as generate would.")
@click.option("--isolated", is_flag=True,
              help="Read only the env files given (FILE arguments or --env-file), not the process "
                   "environment (like pip's --isolated).")
@click.option("--strict", is_flag=True, help="Warnings fail the run too (exit 78).")
@check_option
@debug_option
@click.argument("files", nargs=-1, metavar="[FILE]...", type=click.Path(path_type=Path))
def validate(env_files: tuple[Path, ...], fmt: str, against: Path | None, isolated: bool,
             strict: bool, pgbackrest_check: bool, debug: bool, files: tuple[Path, ...]) -> None:
    """Check env files for CI (FILES, or --env-file); writes nothing."""
    from setup_service import app, env_sources, reporter

    configured = os.environ.get(privileges.ENV_FILE)  # compose: the project's .env, a file secret
    targets: list[Path | None] = [*env_files, *files] or [Path(configured) if configured else None]
    if isolated and targets == [None]:
        raise click.UsageError("--isolated reads only the env files given: name at least one")
    environ = {} if isolated else os.environ
    results = _guarded(debug, lambda: app.validate_files(environ, targets, pgbackrest_check,
                                                         against, positional=len(files)))
    if strict:
        results = [(label, app.strictly(r)) for label, r in results]
    codes = [r.exit_code for _, r in results]
    worst = max(codes, key=lambda c: c is not ExitCode.OK)  # any failure decides
    if fmt == "json" and len(results) == 1:
        click.echo(reporter.json_report(results[0][1].doc, results[0][1].problems))
    elif fmt == "json":  # schemas/validate.json
        click.echo(json.dumps({
            "schema_version": 1, "result": "valid" if worst is ExitCode.OK else "invalid",
            "exit_code": int(worst),
            "files": [{"file": label, "exit_code": int(r.exit_code), "status": r.doc} for label, r in results],
        }, indent=2, sort_keys=True))
    else:
        for label, r in results:
            if len(results) > 1 and fmt == "text":
                click.echo(f"== {label}")
            if fmt == "github":
                path = None if label == app.ENVIRONMENT else Path(label)
                click.echo(reporter.github(r.doc, r.problems, None if path is None else str(path),
                                           None if path is None else env_sources.assignment_lines(path)))
            else:
                click.echo(reporter.REPORTERS[fmt](r.doc, r.problems))
    _finish(worst)


@main.command()
@click.argument("name", required=False, default="environment",
                type=click.Choice(("environment", *catalogue.REPO_TYPES, "common", "status", "validate")))
def schema(name: str) -> None:
    """Print a JSON Schema: of the environment (any type, the default), of one repository type,
    of the status document, or of `validate --format json` over several files."""
    from setup_service import schema_check

    click.echo(json.dumps(schema_check.load_schema(name), indent=2))


def _guarded(debug: bool, run: Any) -> Any:
    """Unexpected errors become exit 70, with the traceback only under --debug."""
    try:
        return run()
    except Exception as exc:  # noqa: BLE001 - the one top-level handler
        if debug:
            traceback.print_exc()
        click.echo(f"internal error: {type(exc).__name__} (rerun with --debug for details)", err=True)
        _finish(ExitCode.INTERNAL)


def run() -> int:
    """Click's own usage errors exit 2; sysexits wants 64."""
    try:
        main.main(standalone_mode=False)
    except click.exceptions.UsageError as exc:
        exc.show()
        return int(ExitCode.USAGE)
    except click.exceptions.Abort:
        return int(ExitCode.USAGE)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0
