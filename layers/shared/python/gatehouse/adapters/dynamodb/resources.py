"""The resources port on DynamoDB."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gatehouse.adapters.dynamodb import keys
from gatehouse.adapters.dynamodb.table import (
    ConditionLost,
    Table,
    attempt,
    batch_get,
    to_item,
    transact_each,
    transact_put,
)
from gatehouse.domain.accounts import Resource
from gatehouse.errors import ConflictError


class DynamoResources:
    """A context's resources: `RESOURCES#<account>#<context>` / `RESOURCE#<id>`, one item each
    (the check is one GetItem for the resource asked, however many there are), and their count
    at `COUNT` beside them, moved in the same transaction as each new or deleted resource. The
    account is in the key because context ids are unique per account, not across accounts."""

    def __init__(self, table: Table) -> None:
        self._t = table

    @staticmethod
    def _item(account_id: str, context: str, r: Resource) -> dict[str, Any]:
        return {**keys.resource(account_id, context, r.id).item(), "resource_id": r.id, "kind": r.kind,
                "name": r.name}

    @staticmethod
    def _count_key(account_id: str, context: str) -> dict[str, Any]:
        return to_item(keys.resource_count(account_id, context).item())

    def put(self, account_id: str, context: str, resource: Resource, limit: int) -> bool:
        item = to_item(self._item(account_id, context, resource))
        for _ in range(3):  # a resource created or deleted by a racing request: decide again
            try:
                self._t.transact([
                    {"Put": {"Item": item, "ConditionExpression": "attribute_not_exists(pk)"}},
                    {"Update": {"Key": self._count_key(account_id, context), "UpdateExpression": "ADD n :one",
                                "ConditionExpression": "attribute_not_exists(n) OR n < :limit",
                                "ExpressionAttributeValues": to_item({":one": 1, ":limit": limit})}},
                ])
                return True
            except ConditionLost as lost:
                if len(lost.reasons) != 2 or lost.reasons[0] == "None":
                    raise  # a new resource the count refused: the context is full
            with attempt() as update:  # it exists: an update, which the count does not see
                self._t.put(self._item(account_id, context, resource), ConditionExpression="attribute_exists(pk)")
            if update.won:
                return False
        raise ConflictError("This resource was created and deleted meanwhile: try again.")

    def add_imported(self, entries: Sequence[tuple[str, str, Sequence[Resource]]]) -> None:
        entries = [e for e in entries if e[2]]
        # Counted first and only if never counted: a rerun (same resources) leaves the count as it is.
        transact_each(self._t, [
            {"Put": {"Item": {**self._count_key(a, c), **to_item({"n": len({r.id for r in rs})})},
                     "ConditionExpression": "attribute_not_exists(pk)"}} for a, c, rs in entries])
        transact_put(self._t, list({(a, c, r.id): self._item(a, c, r) for a, c, rs in entries for r in rs}.values()))

    def holds(self, account_id: str, contexts: Sequence[str], resource_id: str) -> bool:
        found = [keys.resource(account_id, c, resource_id) for c in contexts]
        if len(found) == 1:
            return self._t.get(*found[0]) is not None
        return bool(found) and bool(batch_get(self._t, list(found)))

    def delete(self, account_id: str, context: str, resource_id: str) -> bool:
        with attempt() as write:
            self._t.transact([
                {"Delete": {"Key": to_item(keys.resource(account_id, context, resource_id).item()),
                            "ConditionExpression": "attribute_exists(pk)"}},
                {"Update": {"Key": self._count_key(account_id, context), "UpdateExpression": "ADD n :minus",
                            "ExpressionAttributeValues": to_item({":minus": -1})}},
            ])
        return write.won

    def list(self, account_id: str, context: str) -> list[Resource]:
        items = self._t.query(KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                              ExpressionAttributeValues=to_item({":p": keys.resources_pk(account_id, context),
                                                                 ":s": keys.RESOURCE}), ConsistentRead=True)
        return sorted((Resource(i["resource_id"], i["kind"], i.get("name") or "") for i in items), key=lambda r: r.id)
