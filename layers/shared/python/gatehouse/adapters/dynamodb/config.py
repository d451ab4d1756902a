"""The config port on DynamoDB."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatehouse.adapters.dynamodb import keys
from gatehouse.adapters.dynamodb.table import Table, attempt


class DynamoConfig:
    """Stage-wide values the service keeps in its own table (`CONFIG#<name>`), such as the wrapped
    code pepper: written once by `gatehouse provision`, read once per cold start."""

    def __init__(self, table: Table) -> None:
        self._t = table

    def get(self, name: str) -> dict[str, Any] | None:
        return self._t.get(*keys.config(name))

    def put_if_absent(self, name: str, values: Mapping[str, Any]) -> bool:
        """Store `values` unless the name already has some (never replaced): True if stored."""
        with attempt() as write:  # lost: a concurrent provision won
            self._t.put({**values, **keys.config(name).item()}, ConditionExpression="attribute_not_exists(pk)")
        return write.won
