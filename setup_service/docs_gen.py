"""The README's variable reference and the examples/*.env files, generated from the catalogue.

`python -m setup_service.docs_gen` rewrites them; a unit test checks they are up to date.
"""

from __future__ import annotations

import re
from pathlib import Path

from setup_service import catalogue
from setup_service.exit_codes import ExitCode

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- variables:start -->", "<!-- variables:end -->"
CODES_START, CODES_END = "<!-- exit-codes:start -->", "<!-- exit-codes:end -->"
_COMMON_IN_EXAMPLES = ("BACKUP_SCHEDULE_FULL", "BACKUP_SCHEDULE_DIFF", "BACKUP_RETENTION_FULL",
                       "BACKUP_RETENTION_DIFF", "BACKUP_MEMORY_LIMIT", "BACKUP_CPU_LIMIT",
                       "BACKUP_MEMORY_RESERVATION", "BACKUP_CPU_RESERVATION")


def reference_table() -> str:
    rows = ["| variable | types | default | secret | used by | meaning |",
            "|---|---|---|---|---|---|"]
    for v in catalogue.VARIABLES:
        types = ", ".join(v.repo_types) if v.repo_types else "all"
        required = f" Required for {', '.join(v.required_for)}." if v.required_for else ""
        option = f" Sets `{v.option.replace('repo-', 'repo1-', 1)}`." if v.option else ""
        rows.append(f"| `{v.name}` | {types} | {f'`{v.default}`' if v.default else ''} | "
                    f"{'yes' if v.secret else ''} | {'pgbackrest' if v.option else v.used_by} | {v.summary}{required}{option} |")
    return "\n".join(rows)


def example_env(repo_type: str) -> str:
    lines = [f"# Example environment for repository type {repo_type} (fake values).",
             "# Generated from setup_service/catalogue.py by `python -m setup_service.docs_gen`.",
             "# Secrets can also come from files: NAME_FILE=/run/secrets/name.", "",
             "# The PostgreSQL superuser's password for the compose deployment: change it.",
             f"POSTGRES_PASSWORD={catalogue.BY_NAME['POSTGRES_PASSWORD'].example}", ""]
    if repo_type == "none":
        lines += ["SETUP_BACKUP=false", f"{catalogue.TYPE_VARIABLE}=none",
                  "# A hosted database keeps its own backups:",
                  f"DATABASE_URL={catalogue.BY_NAME['DATABASE_URL'].example}"]
        return "\n".join(lines) + "\n"
    lines += ["SETUP_BACKUP=true", f"{catalogue.TYPE_VARIABLE}={repo_type}"]
    for v in catalogue.VARIABLES:
        if repo_type in v.repo_types and v.example and v.name != catalogue.TYPE_VARIABLE:
            prefix = "" if (repo_type in v.required_for or v.name == "PGBACKREST_REPO1_PATH") else "# "
            lines.append(f"{prefix}{v.name}={v.example}")
    if repo_type == "gcs":
        lines.append("# docker compose mounts ./secrets into the setup job at /run/secrets: "
                     "put the key file there")
    lines += ["", "# Schedules (cron) and retention"]
    lines += [f"{name}={_quoted(catalogue.BY_NAME[name].example)}" for name in _COMMON_IN_EXAMPLES]
    lines += [f"# BACKUP_WEBHOOK_URL={catalogue.BY_NAME['BACKUP_WEBHOOK_URL'].example}"]
    return "\n".join(lines) + "\n"


def _quoted(value: str) -> str:
    return f'"{value}"' if " " in value else value


def exit_code_table() -> str:
    rows = ["| code | meaning |", "|---|---|"]
    return "\n".join(rows + [f"| {code.value} | {code.meaning} |" for code in ExitCode])


def _replace(text: str, start: str, end: str, body: str) -> str:
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    return pattern.sub(lambda _m: f"{start}\n{body}\n{end}", text)


def update_readme(text: str) -> str:
    text = _replace(text, START, END, reference_table())
    return _replace(text, CODES_START, CODES_END, exit_code_table())


def main() -> int:
    for repo_type in catalogue.REPO_TYPES:
        (ROOT / "examples" / f"{repo_type}.env").write_text(example_env(repo_type))
    readme = ROOT / "README.md"
    readme.write_text(update_readme(readme.read_text()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
