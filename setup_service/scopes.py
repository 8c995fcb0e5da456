"""From option assignments to the [global], [<stanza>] and repository options to render.

Applies defaults, pgBackRest's dependency and required rules, derives the S3 endpoint, and
replaces file-valued options by the copies published under files/.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from setup_service import catalogue, option_table, rules, values
from setup_service.classify import Assignment
from setup_service.collector import Collector
from setup_service.option_table import Option
from setup_service.problems import Severity


ReadFile = Callable[[str], bytes]


@dataclasses.dataclass
class Scope:
    """The options of one section or repository, by unindexed option name."""

    index: int | None
    values: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    origin: dict[str, Assignment] = dataclasses.field(default_factory=dict)
    parent: "Scope | None" = None

    def has(self, name: str) -> bool:
        return name in self.values or (self.parent is not None and self.parent.has(name))

    def get(self, name: str) -> str | None:
        """The option's value as written in a config file: set here, inherited, or its default."""
        if name in self.values:
            return self.values[name][0]
        if self.parent is not None and self.parent.has(name):
            return self.parent.get(name)
        return values.as_config(values.default_for(option_table.options()[name], self.flat()))

    def flat(self) -> dict[str, str]:
        inherited = self.parent.flat() if self.parent else {}
        return inherited | {k: v[0] for k, v in self.values.items()}

    def valid(self, name: str) -> bool:
        """Whether pgBackRest would use the option: its dependency chain holds."""
        depend = option_table.options()[name].depend
        if depend is None or option_table.options()[depend["option"]].section == "command-line":
            return True  # a command-line dependency (e.g. restore --type) is settled per command
        if not self.valid(depend["option"]):
            return False
        current = self.get(depend["option"])
        wanted = depend["values"]
        return current is not None and (wanted is None or current in map(values.as_config, wanted))


def _variable_for(option: Option, index: int | None) -> str:
    friendly = catalogue.BY_OPTION.get(option.name)
    if friendly and index in (1, None):
        return friendly.name
    return option.env_name(index)


class ScopeBuilder:
    def __init__(self, collector: Collector, mount_path: str, read_file: ReadFile) -> None:
        self.collector = collector
        self.mount_path = mount_path
        self.read_file = read_file
        self.glob = Scope(None)
        self.pgs: dict[int, Scope] = {}
        self.repos: dict[int, Scope] = {}
        self.commands: dict[str, Scope] = {}  # [global:<command>] sections
        self.files: list[dict[str, Any]] = []

    def add(self, variable: str, message: str, hint: str = "", code: str = "invalid",
            severity: Severity = Severity.ERROR) -> None:
        self.collector.add(variable, message, hint, code, severity)

    def open_repos(self, assignments: list[Assignment], repo_type: str) -> None:
        if repo_type != "none":
            self.repos[1] = Scope(1, {"repo-type": [repo_type]}, parent=self.glob)
        for a in assignments:
            if a.option.name != "repo-type" or a.index == 1:
                continue
            if repo_type == "none":
                self.add(a.variable, "is set but backups are disabled; it is ignored", code="ignored",
                         severity=Severity.WARNING)
            elif a.value not in catalogue.STORAGE_TYPES:
                self.add(a.variable, f"{a.value!r} is not a supported repository type",
                         "use one of: " + ", ".join(catalogue.STORAGE_TYPES))
            else:
                self.repos[a.index or 1] = Scope(a.index, {"repo-type": [a.value]}, parent=self.glob)

    def _scope_for(self, a: Assignment, missing_type: set[int]) -> Scope | None:
        if a.command is not None:
            return self.commands.setdefault(a.command, Scope(None, parent=self.glob))
        if a.option.group == "pg" or a.option.section == "stanza":
            return self.pgs.setdefault(a.index or 1, Scope(a.index or 1, parent=self.glob))
        if a.option.group != "repo":
            return self.glob
        index = a.index or 1
        if index in self.repos:
            return self.repos[index]
        if index == 1 or not self.repos:
            self.add(a.variable, "is set but no repository is configured; it is ignored",
                     code="ignored", severity=Severity.WARNING)
        elif index not in missing_type:
            missing_type.add(index)
            self.add(f"PGBACKREST_REPO{index}_TYPE", f"is not set, but {a.variable} configures "
                     f"repository {index}", "set it to posix, s3, azure or gcs", "missing")
        return None

    def assign(self, assignments: list[Assignment]) -> None:
        """Place each user value in its scope, raw; normalise() checks them once defaults are in."""
        missing_type: set[int] = set()
        every_repo = [a for a in assignments if _every_repo(a)]
        for a in assignments:
            if a.option.name == "repo-type" or _every_repo(a):
                continue
            scope = self._scope_for(a, missing_type)
            if scope is not None:
                scope.values[a.option.name] = [a.value]
                scope.origin[a.option.name] = a
        for scope in self.repos.values():
            for a in every_repo:
                if a.option.name not in scope.values:
                    scope.values[a.option.name] = [a.value]
                    scope.origin[a.option.name] = a

    def normalise(self) -> None:
        """Check and normalise every user value, with the whole scope (defaults too) as context."""
        for scope in [self.glob, *self.pgs.values(), *self.repos.values(), *self.commands.values()]:
            context = scope.flat()
            for name, a in list(scope.origin.items()):
                try:
                    parts = values.split_multi(a.option, a.value) if a.option.multi else [a.value]
                    normalised = [values.normalise(a.option, part, context, a.secret) for part in parts]
                except values.ValueProblem as exc:
                    self.add(a.variable, str(exc), exc.hint, "format")
                    del scope.values[name], scope.origin[name]
                    continue
                scope.values[name] = normalised
                if not self._version_checks(a, parts, context):
                    del scope.values[name], scope.origin[name]

    def _version_checks(self, a: Assignment, parts: list[str], context: dict[str, str]) -> bool:
        """As the target pgBackRest does: an option it does not know is a warning (it ignores
        the option, with a warning); a value it refuses is an error (it refuses the file).
        False when the value is refused."""
        version = self.collector.version
        target = option_table.version_text(version)
        since = option_table.introduced(a.option)
        if since is None:
            self.add(a.variable, "is not in any released pgBackRest yet",
                     "remove it; pgBackRest would ignore it with a warning", "version")
            return True
        if since > version:
            self.add(a.variable, f"needs pgBackRest {option_table.version_text(since)} or newer "
                     f"(the images run {target})", "check the pgBackRest version of the images",
                     "version", Severity.WARNING)
            return True
        then = option_table.as_of(a.option, version)
        if then is None:
            return True
        try:
            for part in parts:
                values.normalise(then, part, context, a.secret)
        except values.ValueProblem as exc:
            self.add(a.variable, f"pgBackRest {target}, which the images run, refuses it: {exc}",
                     exc.hint or "check the pgBackRest version of the images", "version")
            return False
        return True

    def apply_defaults(self) -> None:
        for name, value in catalogue.PRODUCTION_DEFAULTS.items():
            self.glob.values.setdefault(name, [value])
        pg1 = self.pgs.setdefault(1, Scope(1, parent=self.glob))
        for name, value in catalogue.STANZA_DEFAULTS.items():
            pg1.values.setdefault(name, [value])
        for scope in self.repos.values():
            for variable in catalogue.VARIABLES:
                if variable.every_repo and variable.option and variable.default:
                    scope.values.setdefault(variable.option, [variable.default])


def _every_repo(a: Assignment) -> bool:
    friendly = catalogue.BY_NAME.get(a.variable)
    return bool(friendly and friendly.every_repo)
