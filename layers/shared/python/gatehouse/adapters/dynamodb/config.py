"""The config port on DynamoDB."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from gatehouse.adapters.dynamodb.table import Table, conditional_failed


class DynamoConfig:
    """Stage-wide values the service keeps in its own table (`CONFIG#<name>`), such as the wrapped
    code pepper: written once by `gatehouse provision`, read once per cold start."""

    def __init__(self, table: Table) -> None:
        self._t = table

    def get(self, name: str) -> dict[str, Any] | None:
        return self._t.get(f"CONFIG#{name}", "K")

    def put_if_absent(self, name: str, values: Mapping[str, Any]) -> bool:
        """Store `values` unless the name already has some (never replaced): True if stored."""
        try:
            self._t.put({**values, "pk": f"CONFIG#{name}", "sk": "K"}, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            if conditional_failed(exc):  # a concurrent provision won
                return False
            raise
        return True
