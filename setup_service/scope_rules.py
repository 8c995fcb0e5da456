"""pgBackRest's dependency and required rules, and the per-storage checks, over built scopes."""

from __future__ import annotations

from typing import Any

from setup_service import catalogue, option_table, rules, values
from setup_service.problems import Severity, errors
from setup_service.classify import Assignment
from setup_service.collector import Collector
from setup_service.scopes import ReadFile, Scope, ScopeBuilder, _variable_for

# pgBackRest 2.45 still requires an Azure key whenever the repository type is azure.
_REQUIRED_IN_2_45 = ("repo-azure-key",)
_DERIVED = ("repo-s3-endpoint",)  # filled in from the region when unset


def _all_scopes(builder: ScopeBuilder) -> list[Scope]:
    return [builder.glob, *builder.pgs.values(), *builder.repos.values(), *builder.commands.values()]


def _repo_type_mismatch(scope: Scope, name: str) -> bool:
    """Whether the option is unused only because the repository is of another type."""
    depend = option_table.options()[name].depend
    while depend is not None:
        if depend["option"] == "repo-type":
            return scope.get("repo-type") not in depend["values"]
        depend = option_table.options()[depend["option"]].depend
    return False


def check_depends(builder: ScopeBuilder) -> None:
    for scope in _all_scopes(builder):
        for name, assignment in list(scope.origin.items()):
            if scope.valid(name):
                continue
            del scope.values[name]
            depend = option_table.options()[name].depend or {}
            dep_var = _variable_for(option_table.options()[depend["option"]], scope.index)
            if _repo_type_mismatch(scope, name):
                builder.add(assignment.variable, f"only applies to repositories of another type "
                            f"(this one is {scope.get('repo-type')}); it is ignored",
                            "remove it, or fix the repository type", "ignored", Severity.WARNING)
                continue
            choices = [str(values.as_config(v)) for v in depend.get("values") or []]
            wanted = " or ".join(choices) if choices else "set"
            builder.add(assignment.variable, f"has no effect unless {dep_var} is {wanted}",
                        f"set {dep_var}={choices[0]}" if choices else f"set {dep_var}", "dependency")


def check_required(builder: ScopeBuilder) -> None:
    for index, scope in builder.repos.items():
        for option in option_table.options().values():
            required = option.required or option.name in _REQUIRED_IN_2_45
            if option.group != "repo" or not required or option.name in _DERIVED:
                continue
            if option.name in scope.values or scope.get(option.name) is not None:
                continue
            if not scope.valid(option.name):
                continue
            variable = _variable_for(option, index)
            if variable in builder.collector.failed or variable in builder.collector.settings:
                continue  # already reported (by the schema, or its value was rejected)
            builder.add(variable, f"is required for the {scope.get('repo-type')} repository "
                        f"{index} ({option.key(index)})", f"set {variable}", "missing")


def _s3(builder: ScopeBuilder, scope: Scope) -> None:
    endpoint = scope.origin.get("repo-s3-endpoint")
    if endpoint is not None:
        try:
            host, port = rules.s3_endpoint(endpoint.value)
        except rules.RuleError as exc:
            builder.add(endpoint.variable, str(exc), exc.hint, "format")
            return
        scope.values["repo-s3-endpoint"] = [host]
        if port is not None:
            explicit = scope.origin.get("repo-storage-port")
            if explicit is not None and scope.values["repo-storage-port"] != [port]:
                builder.add(explicit.variable, f"disagrees with the port in {endpoint.variable}",
                            "set the port in one place only", "conflict")
            scope.values["repo-storage-port"] = [port]
        return
    region = scope.values.get("repo-s3-region")
    if region is None:
        return
    try:
        rules.check_aws_region(region[0])
    except rules.RuleError as exc:
        builder.add(scope.origin["repo-s3-region"].variable, str(exc), exc.hint, "format")
        return
    scope.values["repo-s3-endpoint"] = [rules.aws_endpoint(region[0])]


def _azure(builder: ScopeBuilder, scope: Scope) -> None:
    key = scope.origin.get("repo-azure-key")
    if key is not None and "repo-azure-key" in scope.values and scope.get("repo-azure-key-type") == "shared":
        try:
            rules.check_azure_shared_key(key.value)
        except rules.RuleError as exc:
            builder.add(key.variable, str(exc), exc.hint, "format")


def _files(builder: ScopeBuilder, scope: Scope) -> None:
    for name in catalogue.FILE_OPTIONS:
        assignment = scope.origin.get(name)
        if assignment is None or name not in scope.values:
            continue
        key = assignment.option.key(scope.index)
        try:
            if name == "repo-gcs-key":
                if scope.get("repo-gcs-key-type") != "service":
                    continue
                content, suffix = rules.gcs_service_key(builder.read_file, assignment.value), ".json"
            else:
                content, suffix = rules.pem_file(builder.read_file, assignment.value, "file"), ".pem"
        except rules.RuleError as exc:
            builder.add(assignment.variable, str(exc), exc.hint, "file")
            continue
        secret = name == "repo-gcs-key" or name.endswith("key-file")
        builder.files.append({"name": key + suffix, "content": content, "secret": secret,
                              "variable": assignment.variable})
        scope.values[name] = [f"{builder.mount_path}/files/{key}{suffix}"]


def _posix_paths(builder: ScopeBuilder) -> None:
    seen: dict[str, int] = {}
    for index, scope in builder.repos.items():
        if scope.get("repo-type") != "posix":
            continue
        path = scope.get("repo-path") or ""
        if path in seen:
            builder.add(_variable_for(option_table.options()["repo-path"], index),
                        f"is the same path as repository {seen[path]}'s",
                        "give each posix repository its own path", "conflict")
        seen[path] = index


def check(builder: ScopeBuilder) -> None:
    check_depends(builder)
    check_required(builder)
    for scope in builder.repos.values():
        {"s3": _s3, "azure": _azure}.get(scope.get("repo-type") or "", lambda b, s: None)(builder, scope)
    for scope in _all_scopes(builder):
        _files(builder, scope)
    _posix_paths(builder)
    _beta(builder)


def _beta(builder: ScopeBuilder) -> None:
    """2.45's beta options (repo-block) need beta=y, which must be asked for explicitly."""
    if builder.glob.get("beta") == "y":
        return
    version = builder.collector.version
    for scope in _all_scopes(builder):
        for name, a in scope.origin.items():
            if option_table.is_beta(a.option, version) and name != "beta":
                builder.add(a.variable, f"{name} is a beta feature in pgBackRest "
                            f"{option_table.version_text(version)}",
                            "set PGBACKREST_BETA=y to use it (pgBackRest refuses it otherwise)",
                            "beta")


def _pairs(scope: Scope, first: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    names = [n for n in first if n in scope.values] + sorted(n for n in scope.values if n not in first)
    table = option_table.options()
    return [(table[n].key(scope.index), v) for n in names for v in scope.values[n]]


# pgBackRest before 2.59.0 can fork two async archive-get processes that race for one lock
# (pgbackrest/pgbackrest issue 2423, fixed by pull request 2806): one dies, recovery waits out
# archive-timeout and can end before its target. So the default async archiving is push only.
ARCHIVE_GET_RACE = "pgbackrest/pgbackrest issue 2423"
RACE_FIXED_IN = (2, 59)


def _command_sections(builder: ScopeBuilder) -> dict[str, list[tuple[str, str]]]:
    """[global:<command>] sections: the user's, and async archive-get off unless they chose it."""
    sections = {command: _pairs(scope) for command, scope in sorted(builder.commands.items())
                if scope.values}
    get = builder.commands.get("archive-get", Scope(None, parent=builder.glob))
    if get.get("archive-async") != "y" or builder.collector.version >= RACE_FIXED_IN:
        return sections
    chosen = get.origin.get("archive-async") or builder.glob.origin.get("archive-async")
    if chosen is None:
        sections.setdefault("archive-get", []).insert(0, ("archive-async", "n"))
        return sections
    builder.add(chosen.variable, f"makes archive-get asynchronous, which in pgBackRest "
                f"{option_table.version_text(builder.collector.version)} can race for its lock "
                f"and end a restore early ({ARCHIVE_GET_RACE}, "
                "fixed in 2.59.0)", "unset it: the job then archives asynchronously and fetches "
                "WAL synchronously", "version", Severity.WARNING)
    return sections


def result(builder: ScopeBuilder) -> dict[str, Any] | None:
    if errors(builder.collector.problems):
        return None
    repositories = [{"index": i, "type": s.get("repo-type"), "options": _pairs(s, ("repo-type",)),
                     "encrypted": s.get("repo-cipher-type") == "aes-256-cbc"}
                    for i, s in sorted(builder.repos.items())]
    stanza = [pair for _, s in sorted(builder.pgs.items()) for pair in _pairs(s)]
    return {"global_options": _pairs(builder.glob), "stanza_options": stanza,
            "command_sections": _command_sections(builder),
            "repositories": repositories, "files": builder.files}


def build(collector: Collector, assignments: list[Assignment], repo_type: str, *,
          mount_path: str, read_file: ReadFile) -> dict[str, Any] | None:
    """The options to render, or None when a problem was recorded."""
    builder = ScopeBuilder(collector, mount_path, read_file)
    builder.open_repos(assignments, repo_type)
    builder.assign(assignments)
    builder.apply_defaults()
    builder.normalise()
    check(builder)
    return result(builder)
