"""Checks of a value's meaning: S3 endpoints and regions, Azure keys, key files, limits."""

from __future__ import annotations

import base64
import json

import pytest

from setup_service import rules
from tests.unit.support import CA_PEM, GCS_KEY, GCS_KEY_BYTES, reader


@pytest.mark.parametrize("value, host, port", [
    ("minio.local", "minio.local", None),
    ("minio.local:9000", "minio.local", "9000"),
    ("https://minio.local", "minio.local", None),
    ("https://minio.local:9000", "minio.local", "9000"),
    ("HTTPS://s3.example.com/", "s3.example.com", None),
    ("10.0.0.5:443", "10.0.0.5", "443"),
])
def test_s3_endpoint_forms(value: str, host: str, port: str | None) -> None:
    assert rules.s3_endpoint(value) == (host, port)


def test_s3_endpoint_http_is_tls_only_error() -> None:
    with pytest.raises(rules.RuleError) as info:
        rules.s3_endpoint("http://minio.local:9000")
    assert "TLS only" in str(info.value)
    assert info.value.hint == "use an https:// endpoint"


@pytest.mark.parametrize("value", ["https://", "host/path/x", "https://host:99999", "https://host:0",
                                   "host:port"])
def test_s3_endpoint_malformed(value: str) -> None:
    with pytest.raises(rules.RuleError):
        rules.s3_endpoint(value)


@pytest.mark.parametrize("region, endpoint", [
    ("us-east-1", "s3.us-east-1.amazonaws.com"),
    ("eu-central-2", "s3.eu-central-2.amazonaws.com"),
    ("cn-north-1", "s3.cn-north-1.amazonaws.com.cn"),
])
def test_aws_endpoint(region: str, endpoint: str) -> None:
    rules.check_aws_region(region)
    assert rules.aws_endpoint(region) == endpoint


@pytest.mark.parametrize("region", ["us-gov-west-1", "us-isob-east-1", "ap-southeast-3"])
def test_aws_regions_accepted(region: str) -> None:
    rules.check_aws_region(region)


@pytest.mark.parametrize("region", ["Bad Region", "garage", "us-east", "US-EAST-1", "us_east_1"])
def test_aws_region_rejected(region: str) -> None:
    with pytest.raises(rules.RuleError) as info:
        rules.check_aws_region(region)
    assert "AWS_S3_ENDPOINT" in info.value.hint


def test_azure_shared_key() -> None:
    rules.check_azure_shared_key(base64.b64encode(b"k" * 64).decode())
    for bad in ("not base64!!", "abc", "", "===="):
        with pytest.raises(rules.RuleError) as info:
            rules.check_azure_shared_key(bad)
        assert "sas" in info.value.hint
        assert bad == "" or bad not in str(info.value)


def test_gcs_service_key_accepted() -> None:
    assert rules.gcs_service_key(reader(), "/secrets/gcs-key.json") == GCS_KEY_BYTES


@pytest.mark.parametrize("content, words", [
    (b"not json", "not a service-account"),
    (b"[1, 2]", "not a service-account"),
    (json.dumps({"type": "authorized_user"}).encode(), "not a service-account"),
    (json.dumps({**GCS_KEY, "private_key": ""}).encode(), "without private_key"),
    (json.dumps({k: v for k, v in GCS_KEY.items() if k != "client_email"}).encode(),
     "without client_email"),
    (b"\xff\xfe", "not a service-account"),
])
def test_gcs_service_key_rejected(content: bytes, words: str) -> None:
    with pytest.raises(rules.RuleError) as info:
        rules.gcs_service_key(reader({"/k.json": content}), "/k.json")
    assert words in str(info.value)


def test_gcs_key_file_missing_or_relative() -> None:
    with pytest.raises(rules.RuleError) as info:
        rules.gcs_service_key(reader({}), "/absent.json")
    assert "does not exist" in str(info.value)
    with pytest.raises(rules.RuleError) as info:
        rules.gcs_service_key(reader(), "relative.json")
    assert "absolute path" in str(info.value)


def test_unreadable_file() -> None:
    def denied(path: str) -> bytes:
        raise PermissionError(13, "Permission denied", path)

    with pytest.raises(rules.RuleError) as info:
        rules.pem_file(denied, "/certs/ca.pem", "CA file")
    assert "Permission denied" in str(info.value)


def test_pem_file() -> None:
    assert rules.pem_file(reader(), "/certs/ca.pem", "CA file") == CA_PEM
    with pytest.raises(rules.RuleError):
        rules.pem_file(reader({"/x": b"plain text"}), "/x", "CA file")


@pytest.mark.parametrize("value, size", [("512M", 512 * 1024 ** 2), ("1g", 1024 ** 3), ("1.5G", 1.5 * 1024 ** 3),
                                         ("100", 100), ("64k", 64 * 1024), ("256MB", 256 * 1024 ** 2)])
def test_compose_bytes(value: str, size: float) -> None:
    assert rules.compose_bytes(value) == size


@pytest.mark.parametrize("value, size", [("1b", 1), ("100B", 100)])
def test_compose_bytes_with_b_unit(value: str, size: float) -> None:
    """It once raised ValueError (substring not found)."""
    assert rules.compose_bytes(value) == size


def test_limit_pair_and_cpus() -> None:
    rules.check_limit_pair("1G", "512M", rules.compose_bytes)
    with pytest.raises(rules.RuleError):
        rules.check_limit_pair("512M", "1G", rules.compose_bytes)
    rules.check_limit_pair("1", "1", float)
    with pytest.raises(rules.RuleError):
        rules.check_limit_pair("0.5", "1", float)
    assert rules.cpus("0.25") == 0.25
    with pytest.raises(rules.RuleError):
        rules.cpus("0")
