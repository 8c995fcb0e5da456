"""Dependency and required rules, per-storage checks and the copied files, over built scopes."""

from __future__ import annotations

from typing import Any

from setup_service import render
from setup_service import classify, scope_rules, scopes
from setup_service.problems import Severity
from setup_service.collector import Collector
from tests.unit.support import CA_PEM, MOUNT, reader, settings

KEY_PEM = b"-----BEGIN PRIVATE KEY-----\nUNITTESTTLSKEY\n-----END PRIVATE KEY-----\n"


def _build(env: dict[str, str], repo_type: str,
           files: dict[str, bytes] | None = None) -> tuple[dict[str, Any] | None, set[tuple[str, str, str]]]:
    collector = Collector(settings(env))
    assignments, problems = classify.classify(settings(env))
    assert problems == []
    result = scope_rules.build(collector, assignments, repo_type, mount_path=MOUNT, read_file=reader(files))
    return result, {(p.variable, p.code, p.severity.value) for p in collector.problems}


def _repo(result: dict[str, Any] | None, index: int) -> dict[str, str]:
    assert result is not None
    return dict(next(r for r in result["repositories"] if r["index"] == index)["options"])


def test_dependency_error_names_the_variable_to_set() -> None:
    result, problems = _build({"PGBACKREST_REPO1_CIPHER_PASS": "pw"}, "posix")
    assert result is None
    assert problems == {("PGBACKREST_REPO1_CIPHER_PASS", "dependency", "error")}


def test_option_for_another_repo_type_is_ignored_with_a_warning() -> None:
    result, problems = _build({"PGBACKREST_REPO1_AZURE_CONTAINER": "c"}, "s3")
    assert problems >= {("PGBACKREST_REPO1_AZURE_CONTAINER", "ignored", "warning")}
    assert result is None  # the s3 settings themselves are missing here


def test_required_options_of_a_repository() -> None:
    _, problems = _build({}, "azure")
    assert {p[0] for p in problems if p[1] == "missing"} == {
        "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_CONTAINER", "AZURE_STORAGE_KEY"}


def test_required_options_are_not_reported_for_set_variables() -> None:
    env = {"AWS_S3_BUCKET": "b-x", "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "k",
           "AWS_SECRET_ACCESS_KEY": "s"}
    result, problems = _build(env, "s3")
    assert problems == set()
    assert _repo(result, 1)["repo1-s3-endpoint"] == "s3.us-east-1.amazonaws.com"


def test_s3_endpoint_rule_sets_host_and_port() -> None:
    env = {"AWS_S3_BUCKET": "b-x", "AWS_REGION": "local", "AWS_ACCESS_KEY_ID": "k",
           "AWS_SECRET_ACCESS_KEY": "s", "AWS_S3_ENDPOINT": "https://store.local:8443/"}
    result, problems = _build(env, "s3")
    assert problems == set()
    options = _repo(result, 1)
    assert (options["repo1-s3-endpoint"], options["repo1-storage-port"]) == ("store.local", "8443")


def test_cn_region_endpoint() -> None:
    env = {"AWS_S3_BUCKET": "b-x", "AWS_REGION": "cn-north-1", "AWS_ACCESS_KEY_ID": "k",
           "AWS_SECRET_ACCESS_KEY": "s"}
    result, _ = _build(env, "s3")
    assert _repo(result, 1)["repo1-s3-endpoint"] == "s3.cn-north-1.amazonaws.com.cn"


def test_files_are_copied_and_the_option_points_at_the_copy() -> None:
    env = {"PGBACKREST_TLS_SERVER_KEY_FILE": "/certs/key.pem",
           "PGBACKREST_TLS_SERVER_CERT_FILE": "/certs/ca.pem"}
    result, problems = _build(env, "posix", {"/certs/key.pem": KEY_PEM, "/certs/ca.pem": CA_PEM})
    assert problems == set()
    assert result is not None
    assert dict(result["global_options"])["tls-server-key-file"] == f"{MOUNT}/files/tls-server-key-file.pem"
    assert {(f["name"], f["secret"], f["variable"]) for f in result["files"]} == {
        ("tls-server-key-file.pem", True, "PGBACKREST_TLS_SERVER_KEY_FILE"),
        ("tls-server-cert-file.pem", False, "PGBACKREST_TLS_SERVER_CERT_FILE")}


def test_file_that_is_not_pem() -> None:
    _, problems = _build({"PGBACKREST_TLS_SERVER_CA_FILE": "/x"}, "posix", {"/x": b"hello"})
    assert problems == {("PGBACKREST_TLS_SERVER_CA_FILE", "file", "error")}


def test_posix_repositories_need_their_own_paths() -> None:
    env = {"PGBACKREST_REPO2_TYPE": "posix", "PGBACKREST_REPO2_PATH": "/var/lib/pgbackrest"}
    _, problems = _build(env, "posix")
    assert problems == {("PGBACKREST_REPO2_PATH", "conflict", "error")}


def test_result_lists_repositories_in_order_with_type_first() -> None:
    env = {"PGBACKREST_REPO3_TYPE": "posix", "PGBACKREST_REPO3_PATH": "/r3",
           "PGBACKREST_REPO2_TYPE": "posix", "PGBACKREST_REPO2_PATH": "/r2",
           "PGBACKREST_REPO2_CIPHER_TYPE": "aes-256-cbc", "PGBACKREST_REPO2_CIPHER_PASS": "pw"}
    result, problems = _build(env, "posix")
    assert problems == set()
    assert result is not None
    assert [(r["index"], r["type"], r["encrypted"]) for r in result["repositories"]] == \
        [(1, "posix", False), (2, "posix", True), (3, "posix", False)]
    for repo in result["repositories"]:
        assert repo["options"][0] == (f"repo{repo['index']}-type", "posix")
        keys = [k for k, _ in repo["options"][1:]]
        assert keys == sorted(keys)
    secret = [k for r in result["repositories"] for k, _ in r["options"] if render.is_secret_key(k)]
    assert secret == ["repo2-cipher-pass"]


def test_result_is_none_when_an_error_was_recorded() -> None:
    collector = Collector({})
    builder = scopes.ScopeBuilder(collector, MOUNT, reader())
    builder.add("X", "broken")
    assert scope_rules.result(builder) is None
    builder = scopes.ScopeBuilder(Collector({}), MOUNT, reader())
    builder.add("X", "just a warning", severity=Severity.WARNING)
    assert scope_rules.result(builder) is not None
