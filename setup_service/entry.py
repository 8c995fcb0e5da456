"""Console-script entry point: the stdlib-only fast path first, then the full command line."""

from __future__ import annotations

import os
import sys

from setup_service import namespace, privileges

_VALUE_OPTIONS = ("--env-file", "--output-dir", "--mount-path", "--owner", "--format")
_FLAG_OPTIONS = ("--pgbackrest-check", "--no-pgbackrest-check")


def _fast_path_args(argv: list[str]) -> dict[str, str] | None:
    """The options of a plain `generate` run, or None when the full CLI must handle argv."""
    if not argv or argv[0] != "generate":
        return None
    options: dict[str, str] = {}
    rest = iter(argv[1:])
    for arg in rest:
        name, eq, value = arg.partition("=")
        if name in _VALUE_OPTIONS:
            options[name] = value if eq else next(rest, "")
        elif arg not in _FLAG_OPTIONS:
            return None  # --dry-run, --debug, --help, anything else: full path
    return options


def main() -> int:
    privileges.lower(os.environ)  # first: root only reads the .env file (compose), then is 999
    argv = sys.argv[1:]
    options = _fast_path_args(argv)
    if options is not None and options.get("--format", "text") in ("text", "json"):
        output_dir = options.get("--output-dir") or os.environ.get("SETUP_OUTPUT_DIR") \
            or namespace.DEFAULT_OUTPUT_DIR
        from setup_service import fingerprint

        reports = fingerprint.lookup(output_dir, argv, os.environ)
        if reports is not None:
            print(reports[options.get("--format", "text")])
            return 0
    from setup_service import cli

    return cli.run()
