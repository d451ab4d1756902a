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


# The stores' fixtures, one a port (each port's conformance file is named after it).
@pytest.fixture
def accounts(impl, request):
    return build("Accounts", impl, request)


@pytest.fixture
def sessions(impl, request):
    return build("Sessions", impl, request)


@pytest.fixture
def once(impl, request):
    return build("OneTime", impl, request)


@pytest.fixture
def throttle(impl, request):
    return build("Throttle", impl, request)


@pytest.fixture
def outbox(impl, request):
    return build("Outbox", impl, request)
