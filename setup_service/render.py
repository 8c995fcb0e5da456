"""The pure core's second half: a SetupConfig rendered into the files of one published set."""

from __future__ import annotations

import dataclasses
import hashlib
import shlex

from typing import TYPE_CHECKING

from setup_service import __version__
from setup_service.models import SetupConfig
from setup_service.redaction import REDACTED as REDACTED
from setup_service.resources import templates_dir

if TYPE_CHECKING:
    import jinja2

TEMPLATES = {
    "pgbackrest.conf": "pgbackrest.conf.j2",
    "conf.d/repo.conf": "repo.conf.j2",
    "postgresql-archive.conf": "postgresql-archive.conf.j2",
    "crontab": "crontab.j2",
}
SECRET_FILES = frozenset({"conf.d/repo.conf"})


@dataclasses.dataclass(frozen=True)
class RenderedFile:
    content: bytes
    secret: bool  # readable by its owner and group only


def _environment() -> "jinja2.Environment":
    import jinja2  # lazy: only runs that render pay for it

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)


def archive_command(config: SetupConfig) -> str:
    mount = config.mount_path
    return " ".join(shlex.quote(part) for part in (
        "pgbackrest", f"--config={mount}/pgbackrest.conf",
        f"--config-include-path={mount}/conf.d", f"--stanza={config.stanza}",
        "archive-push")) + " %p"


def render(config: SetupConfig) -> dict[str, RenderedFile]:
    """Relative path -> file, for everything but status.json."""
    env = _environment()
    context = {
        "tool_version": __version__,
        "stanza": config.stanza,
        "backups_enabled": config.backups_enabled,
        "mount_path": config.mount_path,
        "global_options": config.global_options,
        "stanza_options": config.stanza_options,
        "command_sections": sorted(config.command_sections.items()),
        "repositories": config.repositories,
        "schedules": sorted(config.schedules.items(), key=lambda kv: ("full", "diff", "incr").index(kv[0])),
        "archive_command": archive_command(config),
        "drill_schedule": config.drill_schedule,
    }
    files = {path: RenderedFile(env.get_template(name).render(context).encode(), path in SECRET_FILES)
             for path, name in TEMPLATES.items()}
    for extra in config.files:
        files[f"files/{extra.name}"] = RenderedFile(extra.content, extra.secret)
    return files


def content_hash(files: dict[str, RenderedFile]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + hashlib.sha256(files[path].content).digest())
    return "sha256:" + digest.hexdigest()


def redacted(path: str, file: RenderedFile) -> str:
    """The file as it may be shown to a person: secret values and secret files hidden."""
    if path.startswith("files/"):
        if file.secret:
            return f"{REDACTED} ({len(file.content)} bytes, sha256 {hashlib.sha256(file.content).hexdigest()[:12]})\n"
        return file.content.decode(errors="replace")
    lines = []
    for line in file.content.decode(errors="replace").split("\n"):  # pgBackRest splits at LF only
        key, sep, _ = line.partition("=")
        if sep and is_secret_key(key.strip()):
            line = f"{key}={REDACTED}"
        lines.append(line)
    return "\n".join(lines)


def is_secret_key(key: str) -> bool:
    """Whether a config-file key holds a secret (redaction.is_secret_key)."""
    from setup_service import redaction

    return redaction.is_secret_key(key)
