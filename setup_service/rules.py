"""Checks that span a variable's meaning rather than its form: endpoints, keys, files, limits."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from typing import Callable


ReadFile = Callable[[str], bytes]
AWS_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$")
_ENDPOINT = re.compile(r"^(?:(?P<scheme>[a-z][a-z0-9+.-]*)://)?(?P<host>[^:/]+)(?::(?P<port>[0-9]+))?/?$",
                       re.I)
_COMPOSE_UNITS = {"": 0, "b": 0, "k": 1, "m": 2, "g": 3}
_COMPOSE_BYTES = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([bkmg]?)b?$", re.I)


class RuleError(ValueError):
    """A value that is well formed but wrong; the message never quotes a secret."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


def s3_endpoint(value: str) -> tuple[str, str | None]:
    """https://host[:port] or host[:port] -> (host, port)."""
    match = _ENDPOINT.match(value)
    if not match:
        raise RuleError(f"{value!r} is not a host or https URL",
                        "use https://host[:port] or a bare host name")
    scheme = (match["scheme"] or "https").lower()
    if scheme != "https":
        raise RuleError(f"uses {scheme}://, but pgBackRest talks to object stores over TLS only",
                        "use an https:// endpoint")
    port = match["port"]
    if port is not None and not 1 <= int(port) <= 65535:
        raise RuleError(f"port {port} is out of range", "use a port from 1 to 65535")
    return match["host"], port


def aws_endpoint(region: str) -> str:
    suffix = ".amazonaws.com.cn" if region.startswith("cn-") else ".amazonaws.com"
    return f"s3.{region}{suffix}"


def check_aws_region(region: str) -> None:
    if not AWS_REGION.match(region):
        raise RuleError(f"{region!r} is not an AWS region",
                        "use an AWS region such as us-east-1, or set AWS_S3_ENDPOINT for an "
                        "S3-compatible service")


def check_azure_shared_key(key: str) -> None:
    try:
        decoded = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if not decoded:
        raise RuleError("is not a base64 shared key",
                        "copy the storage account's access key, or set "
                        "PGBACKREST_REPO1_AZURE_KEY_TYPE=sas for a SAS token")


def _read(read_file: ReadFile, path: str, what: str) -> bytes:
    if not path.startswith("/"):
        raise RuleError(f"must be an absolute path to the {what}", f"use the {what}'s absolute path")
    try:
        return read_file(path)
    except FileNotFoundError:
        raise RuleError(f"names a {what} that does not exist",
                        f"mount the {what} into the setup container at that path") from None
    except OSError as exc:
        raise RuleError(f"names a {what} that cannot be read ({exc.strerror})",
                        "make the file readable by the setup job's user") from None


def gcs_service_key(read_file: ReadFile, path: str) -> bytes:
    """The service-account key file's content, after checking it is one."""
    content = _read(read_file, path, "service-account key file")
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict) or data.get("type") != "service_account":
        raise RuleError("names a file that is not a service-account JSON key",
                        "download a JSON key for the service account (type service_account)")
    missing = [k for k in ("client_email", "private_key", "token_uri")
               if not isinstance(data.get(k), str) or not data[k]]
    if missing:
        raise RuleError("names a service-account key without " + ", ".join(missing),
                        "download a fresh JSON key for the service account")
    return content


def pem_file(read_file: ReadFile, path: str, what: str) -> bytes:
    content = _read(read_file, path, what)
    if b"-----BEGIN " not in content:
        raise RuleError(f"names a file that is not PEM ({what})", "use a PEM-encoded file")
    return content


def compose_bytes(value: str) -> float:
    match = _COMPOSE_BYTES.match(value)
    if not match:
        raise RuleError("is not a memory size", "use e.g. 512M or 1G")
    number = float(match[1]) * float(1024 ** _COMPOSE_UNITS[(match[2] or "").lower()])
    if not math.isfinite(number) or number >= 2**63:
        raise RuleError("is too large", "use e.g. 512M or 1G")
    return number


def check_limit_pair(limit: str, reservation: str, parse: Callable[[str], float]) -> None:
    if parse(reservation) > parse(limit):
        raise RuleError("is larger than the limit", "make the reservation at most the limit")


def cpus(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise RuleError("must be more than 0", "use e.g. 0.5")
    if not math.isfinite(number) or number > 4096:
        raise RuleError("is more CPUs than any machine has", "use e.g. 0.5")
    return number

