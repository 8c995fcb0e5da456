"""From option assignments to the [global], [<stanza>] and repository options to render.

Applies defaults, pgBackRest's dependency and required rules, derives the S3 endpoint, and
replaces file-valued options by the copies published under files/.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Callable

from setup_service import catalogue, option_table, rules, values
from setup_service.classify import Assignment
from setup_service.option_table import Option
from setup_service.problems import Severity

if TYPE_CHECKING:
    from setup_service.validate import Collector

ReadFile = Callable[[str], bytes]
DEBIAN_12 = "2.45"


@dataclasses.dataclass
class Scope:
    """The options of one section or repository, by unindexed option name."""

    index: int | None
    values: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    origin: dict[str, Assignment] = dataclasses.field(default_factory=dict)
    parent: "Scope | None" = None

    def get(self, name: str) -> str | None:
        if name in self.values:
            return self.values[name][0]
        if self.parent is not None:
            return self.parent.get(name)
        default = values.default_for(option_table.options()[name], self.flat())
        return None if default is None else str(default)

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
        return current is not None and (depend["values"] is None or current in depend["values"])


def _variable_for(option: Option, index: int | None) -> str:
    friendly = catalogue.BY_OPTION.get(option.name)
    if friendly and index in (1, None):
        return friendly.name
    return option.env_name(index)


class ScopeBuilder:
    def __init__(self, collector: "Collector", mount_path: str, read_file: ReadFile) -> None:
        self.collector = collector
        self.mount_path = mount_path
        self.read_file = read_file
        self.glob = Scope(None)
        self.pgs: dict[int, Scope] = {}
        self.repos: dict[int, Scope] = {}
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
        if a.option.group == "pg":
            return self.pgs.setdefault(a.index or 1, Scope(a.index, parent=self.glob))
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
        missing_type: set[int] = set()
        every_repo = [a for a in assignments if _every_repo(a)]
        for a in assignments:
            if a.option.name == "repo-type" or _every_repo(a):
                continue
            scope = self._scope_for(a, missing_type)
            if scope is not None:
                self._set(scope, a)
        for scope in self.repos.values():
            for a in every_repo:
                if a.option.name not in scope.values:
                    self._set(scope, a)

    def _set(self, scope: Scope, a: Assignment) -> None:
        try:
            parts = values.split_multi(a.option, a.value) if a.option.multi else [a.value]
            normalised = [values.normalise(a.option, part, scope.flat(), a.secret) for part in parts]
        except values.ValueProblem as exc:
            self.add(a.variable, str(exc), exc.hint, "format")
            return
        scope.values[a.option.name] = normalised
        scope.origin[a.option.name] = a
        self._version_warnings(a, normalised)

    def _version_warnings(self, a: Assignment, normalised: list[str]) -> None:
        if a.option.since != "<=2.45":
            self.add(a.variable, f"needs pgBackRest {a.option.since} or newer (Debian 12 ships "
                     f"{DEBIAN_12})", "check the pgBackRest version of the images", "version",
                     Severity.WARNING)
        elif a.option.allow_2_45 is not None and any(v not in a.option.allow_2_45 for v in normalised):
            self.add(a.variable, f"this value needs a pgBackRest newer than {DEBIAN_12}",
                     "use one of: " + ", ".join(a.option.allow_2_45), "version", Severity.WARNING)

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


def build(collector: "Collector", assignments: list[Assignment], repo_type: str, *,
          mount_path: str, read_file: ReadFile) -> dict[str, Any] | None:
    """The options to render, or None when a problem was recorded."""
    from setup_service import scope_rules  # the rules that need the built scopes

    builder = ScopeBuilder(collector, mount_path, read_file)
    builder.open_repos(assignments, repo_type)
    builder.assign(assignments)
    builder.apply_defaults()
    scope_rules.check(builder)
    return scope_rules.result(builder)
