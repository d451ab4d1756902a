"""The table on an in-process moto, for the tests that run DynamoDB adapters without a local stack."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from gatehouse.adapters import aws, dynamodb
from gatehouse.local import moto_server
from gatehouse.settings import Settings
from moto import mock_aws


@contextmanager
def moto_table(name: str) -> Iterator[dynamodb.Table]:
    """A fresh table, with the same moto the local stack runs (its transactions roll back item by item)."""
    moto_server.install()
    credentials = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                   "AWS_DEFAULT_REGION": "eu-west-3"}
    with mock.patch.dict(os.environ, credentials), mock_aws():
        settings = Settings(aws_endpoint_url=None, table_name=name)
        # The adapters cache clients per cold start; a fresh mock needs fresh clients.
        aws._client.cache_clear()
        dynamodb.create_table(settings)
        try:
            yield dynamodb.Table(settings)
        finally:
            aws._client.cache_clear()
