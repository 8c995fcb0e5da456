"""Fixtures of the backup service's tests: the native cluster of tests/deploy, and a webhook
receiver on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.deploy.conftest import backed_up, deployment, e2e_tools, script_tools  # noqa: F401

from .webhook import Receiver


@pytest.fixture(scope="module")
def webhook() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()
