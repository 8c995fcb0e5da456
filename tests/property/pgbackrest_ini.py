"""A reader of pgBackRest configuration files, following pgBackRest's own INI rules.

The rules are those of `config_file_rules` in the shared option reference
(/work/shared/reference/pgbackrest-options.json): each file is checked on its own (a key before
any [section] is an error), then the main file and the include files are concatenated with a LF
between them and read as one document; lines are split at LF only and trimmed of space, tab, CR
and LF; blank lines and lines starting with '#' are ignored; '[name]' opens a section (the name
verbatim); key=value splits at the first '='; key and value are trimmed; an empty key or value is
an error; a key repeated in a section becomes a list.
"""

from __future__ import annotations

_TRIM = " \t\r\n"


class IniError(ValueError):
    """pgBackRest would refuse the file."""


Config = dict[str, dict[str, list[str]]]


def _lines(text: str) -> list[str]:
    return [line.strip(_TRIM) for line in text.split("\n")]


def _check_file(text: str) -> None:
    """Each file must open a section before its first key."""
    for line in _lines(text):
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            return
        raise IniError(f"key/value found outside of section: {line!r}")


def parse(text: str) -> Config:
    """Section -> key -> values, in file order."""
    config: Config = {}
    section: str | None = None
    for line in _lines(text):
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise IniError(f"ini section should end with ]: {line!r}")
            section = line[1:-1]
            if section == "":
                raise IniError("empty section name")
            config.setdefault(section, {})
            continue
        if section is None:
            raise IniError(f"key/value found outside of section: {line!r}")
        key, eq, value = line.partition("=")
        if not eq:
            raise IniError(f"missing '=' in {line!r}")
        key, value = key.strip(_TRIM), value.strip(_TRIM)
        if not key:
            raise IniError(f"empty key in {line!r}")
        if not value:
            raise IniError(f"section {section}, key {key} must have a value")
        config[section].setdefault(key, []).append(value)
    return config


def read_set(main: str, *includes: str) -> Config:
    """The main file followed by the include files, as pgBackRest loads them."""
    for text in (main, *includes):
        _check_file(text)
    return parse("\n".join((main, *includes)))


def read_rendered(files: dict[str, object]) -> Config:
    """pgbackrest.conf + conf.d/repo.conf of a render.render() result."""
    def text(path: str) -> str:
        return files[path].content.decode()  # type: ignore[attr-defined]

    return read_set(text("pgbackrest.conf"), text("conf.d/repo.conf"))
