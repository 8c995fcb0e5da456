"""Problems as validation finds them: each filled in with where its value came from."""

from __future__ import annotations

from setup_service import option_table
from setup_service.env_sources import Setting
from setup_service.problems import Problem, Severity, errors


class Collector:
    """Gathers problems, filling in where each value came from."""

    def __init__(self, settings: dict[str, Setting],
                 version: option_table.Version = option_table.BASELINE) -> None:
        self.settings = settings
        self.version = version  # the pgBackRest that will read the config
        self.problems: list[Problem] = []

    def add(self, variable: str, message: str, hint: str = "", code: str = "invalid",
            severity: Severity = Severity.ERROR) -> None:
        source = self.settings[variable].source if variable in self.settings else ""
        problem = Problem(variable, message, hint=hint, code=code, source=source, severity=severity)
        if problem not in self.problems:  # one assignment can serve several repositories
            self.problems.append(problem)

    def value(self, name: str) -> str | None:
        setting = self.settings.get(name)
        return setting.value if setting else None

    @property
    def failed(self) -> set[str]:
        return {p.variable for p in errors(self.problems)}
