"""Hypothesis strategies: valid environments with the options they should render, and hostile input."""

from __future__ import annotations

import base64
import dataclasses
import json
import string
from typing import Any

from hypothesis import strategies as st

from setup_service import catalogue, option_table
from setup_service.option_table import Option

OPTIONS = option_table.options()
MOUNT = "/etc/pgbackrest"
GCS_KEY = json.dumps({"type": "service_account", "client_email": "b@p.iam.gserviceaccount.com",
                      "private_key": "-----BEGIN PRIVATE KEY-----\nPROPERTYKEY\n-----END PRIVATE KEY-----\n",
                      "token_uri": "https://oauth2.googleapis.com/token"}).encode()
KEY_FILES = {f"/secrets/gcs-{i}.json": GCS_KEY for i in range(3)}


def read_file(path: str) -> bytes:
    if path in KEY_FILES:
        return KEY_FILES[path]
    raise FileNotFoundError(2, "No such file or directory", path)


# --- which options a random draw may set -----------------------------------------------------------

_DEPEND_TARGETS = {o.depend["option"] for o in OPTIONS.values() if o.depend}


def _as_config(value: Any) -> str | None:
    """An option-table value as the config file spells it (True -> y)."""
    if value is None or isinstance(value, dict):
        return None
    if isinstance(value, bool):
        return "y" if value else "n"
    return str(value)


def _depend_holds(option: Option, repo_type: str | None) -> bool:
    """Whether the option's dependency chain holds with only defaults (and the repo's type) set."""
    depend = option.depend
    if depend is None:
        return True
    target = OPTIONS[depend["option"]]
    if target.section == "command-line":
        return True  # settled per command (restore --type)
    if target.name == "repo-type":
        return repo_type is not None and repo_type in depend["values"]
    if target.name == "pg-path":
        return True  # pg1-path always has the official image's default
    default = _as_config(target.default)
    if default is None:
        return False
    values = depend["values"]
    return (values is None or default in map(_as_config, values)) and _depend_holds(target, repo_type)


def _eligible(option: Option, repo_type: str | None) -> bool:
    return (not option.internal and option.section != "command-line"
            and option.since is not None  # in no release yet: refused by design
            and option.name not in catalogue.FILE_OPTIONS
            # switches other options depend on are left to their defaults (their dependents are
            # the base settings: key types, cipher type, ...); compress-type is drawn first
            and (option.name not in _DEPEND_TARGETS or option.name in ("compress-type", "pg-path"))
            and _depend_holds(option, repo_type))


GLOBAL_OPTIONS = sorted(o.name for o in OPTIONS.values() if o.group is None and _eligible(o, None))
# options of section "stanza" without an index (pg-version-force) belong in [<stanza>]
PG_OPTIONS = sorted(o.name for o in OPTIONS.values() if o.group == "pg" and _eligible(o, None))
# the base settings of each repository type set these themselves
_BASE_REPO = {"repo-type", "repo-path", "repo-s3-bucket", "repo-s3-region", "repo-s3-endpoint",
              "repo-s3-key", "repo-s3-key-secret", "repo-s3-token", "repo-storage-port",
              "repo-azure-account", "repo-azure-key", "repo-azure-container", "repo-gcs-bucket",
              "repo-gcs-key", "repo-retention-full", "repo-retention-diff"}
REPO_OPTIONS = {t: sorted(o.name for o in OPTIONS.values() if o.group == "repo" and o.name not in _BASE_REPO
                          and _eligible(o, t))
                for t in catalogue.STORAGE_TYPES}


# --- values ---------------------------------------------------------------------------------------

_SAFE_CHARS = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Zs"))


def safe_text(exclude: str = "", max_size: int = 16) -> st.SearchStrategy[str]:
    """Free text pgBackRest reads back verbatim: no control characters, no outer white space."""
    chars = st.one_of(_SAFE_CHARS, st.just(" ")).filter(lambda c: c not in exclude)
    return st.text(chars, min_size=1, max_size=max_size).filter(
        lambda s: s == s.strip() and s.strip(" \t\r\n") == s and "\x85" not in s)


_WORD = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=10)
_TRUE = ("y", "yes", "true", "on", "1", "Y", "TRUE", "On")
_FALSE = ("n", "no", "false", "off", "0", "N", "False", "OFF")
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "KiB": 1024, "m": 1024 ** 2, "MB": 1024 ** 2,
               "mib": 1024 ** 2, "g": 1024 ** 3, "GiB": 1024 ** 3}


def _bounds(option: Option, context: dict[str, str]) -> tuple[int, int] | None:
    bounds = option.range
    if isinstance(bounds, dict):
        bounds = bounds["map"].get(context.get(bounds["by_option"], ""))
    return None if bounds is None else (int(bounds[0]), int(bounds[1]))


@st.composite
def option_value(draw: st.DrawFn, option: Option, context: dict[str, str]) -> tuple[str, list[str]]:
    """(the variable's value, the values pgBackRest should read from the rendered file).

    context: the values of the options a range depends on (repo-type, compress-type).
    """
    bounds = _bounds(option, context)
    then = option_table.as_of(option, option_table.BASELINE)
    if then is not None:  # a value both the images' pgBackRest (2.45) and the newest take
        then_bounds = _bounds(then, context)
        if bounds is not None and then_bounds is not None:
            bounds = (max(bounds[0], then_bounds[0]), min(bounds[1], then_bounds[1]))
        else:
            bounds = bounds or then_bounds
        if option.allow is not None and then.type == "boolean":  # backup-standby: n/prefer/y was y/n
            option = dataclasses.replace(option, allow=tuple(v for v in option.allow if v in ("y", "n")))
        elif option.allow is not None and then.allow is not None:
            option = dataclasses.replace(option, allow=tuple(v for v in option.allow if v in then.allow))
        if option.type == "string" and then.type == "path":  # pg-socket-path was a path until 2.55
            parts = draw(st.lists(st.text(string.ascii_letters + string.digits + "._-", min_size=1, max_size=8),
                                  min_size=1, max_size=3))
            path = "/" + "/".join(parts)
            return path, [path]
    if option.allow is not None and not option.multi:
        value = draw(st.sampled_from(option.allow))
        return value, [value]
    if option.type == "boolean":
        value = draw(st.sampled_from(_TRUE + _FALSE))
        return value, ["y" if value in _TRUE else "n"]
    if option.type == "integer":
        low, high = bounds or (-10 ** 6, 10 ** 6)
        number = draw(st.integers(low, high))
        text = draw(st.sampled_from([str(number), f"+{number}" if number >= 0 else str(number),
                                     f"0{number}" if number >= 0 else str(number)]))
        return text, [str(number)]
    if option.type == "size":
        low, high = bounds or (0, 2 ** 50)
        unit = draw(st.sampled_from(sorted(_SIZE_UNITS)))
        factor = _SIZE_UNITS[unit]
        first, last = -(-low // factor), high // factor
        if first > last:
            unit, factor, first, last = "", 1, low, high
        value = f"{draw(st.integers(first, min(last, first + 10 ** 6)))}{unit}"
        return value, [value]
    if option.type == "time":
        low, high = bounds or (0, 10 ** 9)
        seconds = draw(st.integers(-(-low // 1000), high // 1000))
        forms = [str(seconds), f"{seconds}s", f"{seconds * 1000}ms"]
        if seconds % 60 == 0:
            forms.append(f"{seconds // 60}m")
        if seconds % 3600 == 0:
            forms.append(f"{seconds // 3600}h")
        return draw(st.sampled_from(forms)), [str(seconds)]
    if option.type == "path":
        parts = draw(st.lists(st.text(string.ascii_letters + string.digits + "._-", min_size=1, max_size=8),
                              min_size=0, max_size=3))
        path = "/" + "/".join(parts)
        trailing = draw(st.booleans()) and path != "/"
        return path + ("/" if trailing else ""), [path]
    if option.type == "list":
        items = draw(st.lists(safe_text(exclude=":"), min_size=1, max_size=3))
        return ":".join(items), items
    if option.type == "hash":
        items = [f"{draw(_WORD)}={draw(safe_text(exclude=':', max_size=8))}"
                 for _ in range(draw(st.integers(1, 3)))]
        return ":".join(items), items
    value = draw(safe_text())
    return value, [value]


# --- valid environments -------------------------------------------------------------------------

@dataclasses.dataclass
class Intended:
    """The options a valid environment should render, as pgBackRest reads them back."""

    env: dict[str, str]
    stanza: str
    main: dict[str, list[str]]  # pgbackrest.conf [global]
    stanza_options: dict[str, list[str]]  # pgbackrest.conf [<stanza>]
    repos: dict[str, list[str]]  # conf.d/repo.conf [global]


_AWS_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1", "eu-central-2")
_BUCKET = st.from_regex(r"\A[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]\Z")
_HOST = st.from_regex(r"\A[a-z0-9]([a-z0-9.-]{0,20}[a-z0-9])?\Z")
_TOKEN = st.text(string.ascii_letters + string.digits + "/+=_-.", min_size=1, max_size=40)


def _name(index: int, option: str, friendly: str | None) -> str:
    return friendly if friendly and index == 1 else OPTIONS[option].env_name(index)


@st.composite
def _repository(draw: st.DrawFn, intended: Intended, index: int, repo_type: str, path: str | None) -> None:
    env, repos = intended.env, intended.repos

    def put(option: str, value: str, rendered: str | None = None, friendly: str | None = None) -> None:
        env[_name(index, option, friendly)] = value
        repos[OPTIONS[option].key(index)] = [value if rendered is None else rendered]

    if index > 1:
        env[f"PGBACKREST_REPO{index}_TYPE"] = repo_type
    repos[f"repo{index}-type"] = [repo_type]
    if path is not None:
        put("repo-path", path, path.rstrip("/") or "/", "PGBACKREST_REPO1_PATH")
    if repo_type == "s3":
        put("repo-s3-bucket", draw(_BUCKET), friendly="AWS_S3_BUCKET")
        put("repo-s3-key", draw(_TOKEN), friendly="AWS_ACCESS_KEY_ID")
        put("repo-s3-key-secret", draw(_TOKEN), friendly="AWS_SECRET_ACCESS_KEY")
        if draw(st.booleans()):
            put("repo-s3-token", draw(_TOKEN), friendly="AWS_SESSION_TOKEN")
        if draw(st.booleans()):
            region = draw(st.sampled_from(_AWS_REGIONS))
            put("repo-s3-region", region, friendly="AWS_REGION")
            suffix = ".amazonaws.com.cn" if region.startswith("cn-") else ".amazonaws.com"
            repos[f"repo{index}-s3-endpoint"] = [f"s3.{region}{suffix}"]
        else:
            put("repo-s3-region", draw(st.from_regex(r"\A[a-z0-9]+(-[a-z0-9]+)*\Z")), friendly="AWS_REGION")
            host, port = draw(_HOST), draw(st.none() | st.integers(1, 65535).map(str))
            scheme = draw(st.sampled_from(["", "https://", "HTTPS://"]))
            endpoint = f"{scheme}{host}{':' + port if port else ''}{draw(st.sampled_from(['', '/']))}"
            env[_name(index, "repo-s3-endpoint", "AWS_S3_ENDPOINT")] = endpoint
            repos[f"repo{index}-s3-endpoint"] = [host]
            if port:
                repos[f"repo{index}-storage-port"] = [port]
    elif repo_type == "azure":
        put("repo-azure-account", draw(st.from_regex(r"\A[a-z0-9]{3,24}\Z")), friendly="AZURE_STORAGE_ACCOUNT")
        key = base64.b64encode(draw(st.binary(min_size=1, max_size=48))).decode()
        put("repo-azure-key", key, friendly="AZURE_STORAGE_KEY")
        put("repo-azure-container", draw(st.from_regex(r"\A[a-z0-9][a-z0-9-]{1,20}[a-z0-9]\Z")),
            friendly="AZURE_STORAGE_CONTAINER")
    elif repo_type == "gcs":
        put("repo-gcs-bucket", draw(st.from_regex(r"\A[a-z0-9][a-z0-9._-]{1,20}[a-z0-9]\Z")), friendly="GCS_BUCKET")
        if draw(st.booleans()):
            path_ = draw(st.sampled_from(sorted(KEY_FILES)))
            put("repo-gcs-key", path_, f"{MOUNT}/files/repo{index}-gcs-key.json", friendly="GCS_KEY")
        else:
            put("repo-gcs-key", draw(_TOKEN), friendly="GCS_KEY")
            env[OPTIONS["repo-gcs-key-type"].env_name(index)] = "token"
            repos[f"repo{index}-gcs-key-type"] = ["token"]
    for name in draw(st.lists(st.sampled_from(REPO_OPTIONS[repo_type]), unique=True, max_size=4)):
        if index == 1 and name in catalogue.BY_OPTION:
            continue  # set through its friendly variable only
        value, rendered = draw(option_value(OPTIONS[name], {"repo-type": repo_type}))
        env[OPTIONS[name].env_name(index)] = value
        repos[OPTIONS[name].key(index)] = rendered


@st.composite
def valid_environment(draw: st.DrawFn) -> Intended:
    # "global" is refused (test_validate::test_stanza_named_global_is_rejected)
    stanza = draw(st.none() | st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,20}\Z").filter(
        lambda s: s != "global"))
    intended = Intended({}, stanza or catalogue.DEFAULT_STANZA,
                        {k: [v] for k, v in catalogue.PRODUCTION_DEFAULTS.items()},
                        {f"pg1{k[2:]}": [v] for k, v in catalogue.STANZA_DEFAULTS.items()}, {})
    if stanza:
        intended.env["PGBACKREST_STANZA"] = stanza
    repo1 = draw(st.sampled_from(catalogue.REPO_TYPES))
    repositories = {} if repo1 == "none" else {1: repo1}
    if repositories and draw(st.booleans()):
        repositories[draw(st.sampled_from([2, 3, 17, 256]))] = draw(st.sampled_from(catalogue.STORAGE_TYPES))
    if repo1 != "none" or draw(st.booleans()):
        intended.env[catalogue.TYPE_VARIABLE] = repo1
    if repo1 != "none" and draw(st.booleans()):
        intended.env["SETUP_BACKUP"] = draw(st.sampled_from(["true", "yes", "1", "on"]))
    elif repo1 == "none" and draw(st.booleans()):
        intended.env["SETUP_BACKUP"] = draw(st.sampled_from(["false", "no", "0", "off"]))
    two_posix = list(repositories.values()).count("posix") > 1
    for position, (index, repo_type) in enumerate(sorted(repositories.items())):
        path = f"/backup/repo{index}" if two_posix else draw(st.none() | st.sampled_from(
            ["/var/lib/pgbackrest", "/data/backups/", "/b"]))
        draw(_repository(intended, index, repo_type, path))
    for kind, default in (("FULL", "7"), ("DIFF", "3")):
        value = draw(st.none() | st.integers(1, 9999999).map(str))
        if value is not None:
            intended.env[f"BACKUP_RETENTION_{kind}"] = value
        for index in repositories:
            intended.repos.setdefault(f"repo{index}-retention-{kind.lower()}", [value or default])
    names = draw(st.lists(st.sampled_from(GLOBAL_OPTIONS), unique=True, max_size=6))
    context = {"compress-type": catalogue.PRODUCTION_DEFAULTS["compress-type"]}
    for name in sorted(names, key=lambda n: n != "compress-type"):  # compress-level's range needs it
        if name == "compress-level" and context["compress-type"] == "none":
            continue  # compress-level has no effect without compression
        value, rendered = draw(option_value(OPTIONS[name], context))
        intended.env[OPTIONS[name].env_name(None)] = value
        if name == "compress-type":
            context[name] = value
        section = intended.stanza_options if OPTIONS[name].section == "stanza" else intended.main
        section[name] = rendered
    for name in draw(st.lists(st.sampled_from(PG_OPTIONS), unique=True, max_size=3)):
        value, rendered = draw(option_value(OPTIONS[name], {}))
        intended.env[OPTIONS[name].env_name(1)] = value
        intended.stanza_options[OPTIONS[name].key(1)] = rendered
    return intended


# --- hostile input --------------------------------------------------------------------------------

SECRET_OPTIONS = frozenset(o.env_name(i if o.group else None) for o in OPTIONS.values() if o.secure
                           for i in (1, 2))
NAMES = sorted(
    {v.name for v in catalogue.VARIABLES}
    | {o.env_name(i if o.group else None) for o in OPTIONS.values() for i in (1, 2)}
    | {"PGBACKREST_REPO2_TYPE", "PGBACKREST_REPO0_PATH", "PGBACKREST_BOGUS", "AWS_S3_BUCKT",
       "AWS_CA_BUNDLE", "PGBACKREST_REPO_PATH", "PGBACKREST_PG_PATH"}
)
PLAUSIBLE = ("y", "n", "true", "0", "1", "-1", "4", "999999999999", "1MiB", "1b", "60", "1.5", "/x", "/x//y",
             "s3", "posix", "gcs", "azure", "none", "shared", "auto", "aes-256-cbc", "lz4", "k=v", "a:b",
             "0 2 * * 0", "@daily", "https://h:1/", "http://h", "h:99999", "us-east-1", "Bad Region",
             "bWF5YmU=", "=", "[global]", "#", ":", "")
INJECTIONS = ("\n", "\r", "\r\n", "\n[global]\n", "\nrepo1-path=/evil\n", "\nprocess-max=64", "\x00",
              "\t", " ", "=", "[", "]", "#", ":", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u00a0")


def hostile_text() -> st.SearchStrategy[str]:
    plausible = st.sampled_from(PLAUSIBLE)
    injected = st.builds(lambda a, sep, b: a + sep + b, plausible | st.text(max_size=8),
                         st.sampled_from(INJECTIONS), plausible | st.text(max_size=8))
    return st.one_of(st.text(max_size=40), plausible, injected)


def is_secret(name: str) -> bool:
    return name in catalogue.SECRET_NAMES or name in SECRET_OPTIONS


def expected_keys(env: dict[str, str]) -> set[str]:
    """Every config key the catalogue and option table can produce for these variables."""
    keys = set(catalogue.PRODUCTION_DEFAULTS) | {f"pg1{k[2:]}" for k in catalogue.STANZA_DEFAULTS}
    for name in env:
        variable = catalogue.BY_NAME.get(name)
        if variable is not None:
            if variable.option:
                keys.add(OPTIONS[variable.option].key(1 if OPTIONS[variable.option].group else None))
            continue
        parsed = option_table.parse_env_name(name)
        if parsed.known:
            keys.add(OPTIONS[parsed.option].key(parsed.index))
    indexes = {1} | {option_table.parse_env_name(n).index or 1 for n in env
                     if n.startswith("PGBACKREST_REPO")}
    for index in indexes:
        keys |= {f"repo{index}-type", f"repo{index}-retention-full", f"repo{index}-retention-diff",
                 f"repo{index}-s3-endpoint", f"repo{index}-storage-port"}
    return keys


def as_pairs(config: Any) -> dict[str, dict[str, list[str]]]:
    """A SetupConfig's options grouped as the reader returns them (merged [global])."""
    grouped: dict[str, dict[str, list[str]]] = {"global": {}, config.stanza: {}}
    for key, value in config.global_options:
        grouped["global"].setdefault(key, []).append(value)
    for repo in config.repositories:
        for key, value in repo.options:
            grouped["global"].setdefault(key, []).append(value)
    for key, value in config.stanza_options:
        grouped[config.stanza].setdefault(key, []).append(value)
    for command, pairs in config.command_sections.items():
        for key, value in pairs:
            grouped.setdefault(f"global:{command}", {}).setdefault(key, []).append(value)
    return grouped


def command_sections(intended: Intended) -> dict[str, dict[str, list[str]]]:
    """The job's default async archiving is push only (pgBackRest issue 2423): the section that
    turns archive-get's off, unless the user chose archive-async themselves."""
    if intended.main.get("archive-async") == ["y"] and "PGBACKREST_ARCHIVE_ASYNC" not in intended.env:
        return {"global:archive-get": {"archive-async": ["n"]}}
    return {}
