"""The one time port on DynamoDB."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gatehouse.adapters import codec
from gatehouse.adapters.dynamodb import keys
from gatehouse.adapters.dynamodb.table import Table, attempt, to_item
from gatehouse.domain.one_time import OneTimeItem


class DynamoOneTime:
    def __init__(self, table: Table) -> None:
        self._t = table

    def put(self, item: OneTimeItem) -> None:
        self._t.put(one_time_item(item))

    @staticmethod
    def _from(kind: str, key: str, values: Mapping[str, Any]) -> OneTimeItem:
        return OneTimeItem(kind=kind, key=key, subject=values["subject"],
                           expires_at=datetime.fromtimestamp(values["expires_at"], tz=codec.UTC),
                           data=values.get("data") or {})

    def get(self, kind: str, key: str, now: datetime) -> OneTimeItem | None:
        values = self._t.get(*keys.one_time(kind, key))
        if not values or values["expires_at"] <= codec.epoch(now):
            return None
        return self._from(kind, key, values)

    def consume(self, kind: str, key: str, now: datetime, *, bound_to: Mapping[str, Any] | None = None
                ) -> OneTimeItem | None:
        condition = "attribute_exists(pk) AND expires_at > :now"
        values: dict[str, Any] = {":now": codec.epoch(now)}
        names: dict[str, str] = {}
        for i, (field, expected) in enumerate((bound_to or {}).items()):
            condition += f" AND #d.#b{i} = :b{i}"
            names["#d"], names[f"#b{i}"] = "data", field
            values[f":b{i}"] = expected
        extra: dict[str, Any] = {"ExpressionAttributeNames": names} if names else {}
        old: dict[str, Any] | None = None
        with attempt():  # lost: absent, expired, used, or bound to something else
            old = self._t.delete(*keys.one_time(kind, key), ConditionExpression=condition,
                                 ExpressionAttributeValues=to_item(values), ReturnValues="ALL_OLD", **extra)
        return self._from(kind, key, old) if old else None

    def replace_latest(self, item: OneTimeItem) -> None:
        self.put(item)
        previous = self._t.update(*keys.one_time_latest(item.kind, item.subject), "SET #k = :k, expires_at = :e",
                                  {":k": item.key, ":e": codec.epoch(item.expires_at)}, {"#k": "key"},
                                  ReturnValues="UPDATED_OLD")
        if previous.get("key") and previous["key"] != item.key:
            self._t.delete(*keys.one_time(item.kind, previous["key"]))

    def delete_for_subject(self, kind: str, subject: str) -> None:
        previous = self._t.delete(*keys.one_time_latest(kind, subject), ReturnValues="ALL_OLD")
        if previous and previous.get("key"):
            self._t.delete(*keys.one_time(kind, previous["key"]))


def one_time_item(item: OneTimeItem) -> dict[str, Any]:
    """A one-time item as stored (choosing a console writes one beside its session)."""
    return {**keys.one_time(item.kind, item.key).item(), "subject": item.subject,
            "expires_at": codec.epoch(item.expires_at), "data": dict(item.data)}
