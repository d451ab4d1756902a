"""The resources port on DynamoDB."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from gatehouse.adapters.aws import error_code
from gatehouse.adapters.dynamodb.table import Table, batch_get, batch_put, conditional_failed, to_item, transact_each
from gatehouse.domain.accounts import Resource
from gatehouse.errors import ConditionFailedError, ConflictError


class DynamoResources:
    """A context's resources: `RESOURCES#<account>#<context>` / `RESOURCE#<id>`, one item each
    (the check is one GetItem for the resource asked, however many there are), and their count
    at `COUNT` beside them, moved in the same transaction as each new or deleted resource. The
    account is in the key because context ids are unique per account, not across accounts."""

    def __init__(self, table: Table) -> None:
        self._t = table

    @staticmethod
    def _pk(account_id: str, context: str) -> str:
        return f"RESOURCES#{account_id}#{context}"

    def _item(self, account_id: str, context: str, r: Resource) -> dict[str, Any]:
        return {"pk": self._pk(account_id, context), "sk": f"RESOURCE#{r.id}", "resource_id": r.id,
                "kind": r.kind, "name": r.name}

    def _count_key(self, account_id: str, context: str) -> dict[str, Any]:
        return to_item({"pk": self._pk(account_id, context), "sk": "COUNT"})

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
            except ClientError as exc:
                reasons = exc.response.get("CancellationReasons") or []
                if error_code(exc) != "TransactionCanceledException" or len(reasons) != 2:
                    raise
                if reasons[0].get("Code") in (None, "None"):
                    raise ConditionFailedError() from exc  # the context is full
            try:  # it exists: an update, which the count does not see
                self._t.put(self._item(account_id, context, resource), ConditionExpression="attribute_exists(pk)")
                return False
            except ClientError as exc:
                if not conditional_failed(exc):
                    raise
        raise ConflictError("This resource was created and deleted meanwhile: try again.")

    def add_imported(self, entries: Sequence[tuple[str, str, Sequence[Resource]]]) -> None:
        entries = [e for e in entries if e[2]]
        # Counted first and only if never counted: a rerun (same resources) leaves the count as it is.
        transact_each(self._t, [
            {"Put": {"Item": {**self._count_key(a, c), **to_item({"n": len({r.id for r in rs})})},
                     "ConditionExpression": "attribute_not_exists(pk)"}} for a, c, rs in entries])
        batch_put(self._t, list({(a, c, r.id): self._item(a, c, r) for a, c, rs in entries for r in rs}.values()))

    def holds(self, account_id: str, contexts: Sequence[str], resource_id: str) -> bool:
        keys = [(self._pk(account_id, c), f"RESOURCE#{resource_id}") for c in contexts]
        if len(keys) == 1:
            return self._t.get(*keys[0]) is not None
        return bool(keys) and bool(batch_get(self._t, keys))

    def delete(self, account_id: str, context: str, resource_id: str) -> bool:
        try:
            self._t.transact([
                {"Delete": {"Key": to_item({"pk": self._pk(account_id, context), "sk": f"RESOURCE#{resource_id}"}),
                            "ConditionExpression": "attribute_exists(pk)"}},
                {"Update": {"Key": self._count_key(account_id, context), "UpdateExpression": "ADD n :minus",
                            "ExpressionAttributeValues": to_item({":minus": -1})}},
            ])
        except ClientError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def list(self, account_id: str, context: str) -> list[Resource]:
        items = self._t.query(KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                              ExpressionAttributeValues=to_item({":p": self._pk(account_id, context),
                                                                 ":s": "RESOURCE#"}), ConsistentRead=True)
        return sorted((Resource(i["resource_id"], i["kind"], i.get("name") or "") for i in items), key=lambda r: r.id)
