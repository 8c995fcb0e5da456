"""A pgBackRest configuration as the setup job's environment, by the README's naming rules.

[global] key -> PGBACKREST_<KEY>; [global:<command>] key -> PGBACKREST_<COMMAND>__<KEY>; the
stanza section's keys -> PGBACKREST_<KEY> with PGBACKREST_STANZA=<stanza> (the job writes pg*
options to the stanza section and the rest to [global], which gives the stanza the same values);
repeated keys -> one value joined with ':' (pgBackRest's environment form). A config without a
repository type gets PGBACKREST_REPO1_TYPE=posix, pgBackRest's own default.
"""

from __future__ import annotations

import dataclasses
import re

from tests.property import pgbackrest_ini

_TYPE_KEY = re.compile(r"^repo([0-9]*)-type$")
_REPO_KEY = re.compile(r"^repo([0-9]+)-")


@dataclasses.dataclass
class Translation:
    env: dict[str, str]
    stanza: str
    original: dict[str, dict[str, list[str]]]  # section -> key -> values, as pgBackRest reads it
    unsupported: str = ""  # why the job cannot express it, when it cannot


def _env_name(key: str, command: str | None = None) -> str:
    prefix = "PGBACKREST_" + (command.upper().replace("-", "_") + "__" if command else "")
    return prefix + key.upper().replace("-", "_")


def translate(text: str) -> Translation:
    config = pgbackrest_ini.parse(text)
    stanzas = [s for s in config if s != "global" and not s.startswith("global:")]
    stanza_sections = [s for s in stanzas if ":" not in s]
    translation = Translation({}, stanza_sections[0] if stanza_sections else "", config)
    if len(stanza_sections) != 1:
        translation.unsupported = f"{len(stanza_sections)} stanzas: the job configures one"
    elif any(":" in s for s in stanzas):
        translation.unsupported = "a [<stanza>:<command>] section"
    env = translation.env
    for section, options in config.items():
        command = section.split(":", 1)[1] if section.startswith("global:") else None
        for key, values in options.items():
            name = _env_name(key, command)
            if name in env and env[name] != ":".join(values):
                translation.unsupported = f"{key} set differently in [global] and [{section}]"
            env[name] = ":".join(values)
    if translation.stanza:
        env["PGBACKREST_STANZA"] = translation.stanza
    if "PGBACKREST_REPO_TYPE" in env:  # the one deprecated name the job does not take
        env["PGBACKREST_REPO1_TYPE"] = env.pop("PGBACKREST_REPO_TYPE")
    # pgBackRest's default repository type is posix, for every index; the job wants it said.
    keys = {k for options in config.values() for k in options}
    typed = {m[1] or "1" for k in keys if (m := _TYPE_KEY.match(k))}
    for index in sorted({m[1] for k in keys if (m := _REPO_KEY.match(k))} | {"1"} - typed):
        env.setdefault(f"PGBACKREST_REPO{index}_TYPE", "posix")
    return translation
