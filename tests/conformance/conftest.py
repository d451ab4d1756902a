"""One suite, two implementations: every port's fake and its DynamoDB adapter (on moto)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from gatehouse.adapters import dynamodb, memory
from gatehouse.local import moto_server

from tests.support.moto_table import moto_table as fresh_table

# The same moto the local stack runs: its transactions roll back item by item (see moto_server).
moto_server.install()


@pytest.fixture(scope="module")
def moto_table() -> Iterator[dynamodb.Table]:
    with fresh_table("conformance") as table:
        yield table


@pytest.fixture(params=["fake", "dynamodb"])
def impl(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def build(kind: str, impl: str, request: pytest.FixtureRequest) -> Any:
    if impl == "fake":
        return getattr(memory, f"Memory{kind}")()
    table = request.getfixturevalue("moto_table")
    return getattr(dynamodb, f"Dynamo{kind}")(table)


def _port(kind: str, name: str) -> Any:
    """The fixture of one port, both ways: `Memory<kind>` and `Dynamo<kind>`."""
    def fixture(impl: str, request: pytest.FixtureRequest) -> Any:
        return build(kind, impl, request)

    return pytest.fixture(fixture, name=name)


# The stores whose conformance files (one a port, named after it) take their fixture from here.
accounts = _port("Accounts", "accounts")
sessions = _port("Sessions", "sessions")
once = _port("OneTime", "once")
throttle = _port("Throttle", "throttle")
outbox = _port("Outbox", "outbox")
