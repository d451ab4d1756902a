"""One suite, two implementations: every port's fake and its DynamoDB adapter (on moto)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from gatehouse.adapters import dynamodb, memory
from gatehouse.local import moto_server
from gatehouse.settings import Settings
from moto import mock_aws

# The same moto the local stack runs: its transactions roll back item by item (see moto_server).
moto_server.install()


@pytest.fixture(scope="module")
def moto_table(monkeypatch_module: pytest.MonkeyPatch) -> Iterator[dynamodb.Table]:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "eu-west-3"}.items():
        monkeypatch_module.setenv(key, value)
    with mock_aws():
        settings = Settings(aws_endpoint_url=None, table_name="conformance")
        # The adapters cache clients per cold start; a fresh mock needs fresh clients.
        from gatehouse.adapters import aws

        aws._client.cache_clear()
        dynamodb.create_table(settings)
        yield dynamodb.Table(settings)
        aws._client.cache_clear()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(params=["fake", "dynamodb"])
def impl(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def build(kind: str, impl: str, request: pytest.FixtureRequest) -> Any:
    if impl == "fake":
        return getattr(memory, f"Memory{kind}")()
    table = request.getfixturevalue("moto_table")
    return getattr(dynamodb, f"Dynamo{kind}")(table)
