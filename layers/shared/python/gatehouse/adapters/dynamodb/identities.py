"""The identities port on DynamoDB."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from gatehouse.adapters import codec
from gatehouse.adapters.dynamodb.table import Table, conditional_failed, to_item
from gatehouse.errors import ConditionFailedError
from gatehouse.ports import (
    LinkedIdentity,
)


class DynamoIdentities:
    """An identity is two items written and deleted together: `IDENTITY#<provider>#<key>` / `I`,
    what a sign-in reads (one GetItem; its condition makes one identity one account's), and
    `ACCOUNT#<id>` / `IDENTITY#<provider>#<key>`, beside the account, what settings list."""

    def __init__(self, table: Table) -> None:
        self._t = table

    @staticmethod
    def _name(provider: str, key: str) -> str:
        return f"IDENTITY#{provider}#{key}"

    def _items(self, i: LinkedIdentity) -> tuple[dict[str, Any], dict[str, Any]]:
        values = {"id": i.id, "provider": i.provider, "key": i.key, "account_id": i.account_id, "email": i.email,
                  "linked_at": codec.iso(i.linked_at), "last_used_at": codec.iso(i.last_used_at)}
        name = self._name(i.provider, i.key)
        return {**values, "pk": name, "sk": "I"}, {**values, "pk": f"ACCOUNT#{i.account_id}", "sk": name}

    @staticmethod
    def _from(v: Mapping[str, Any]) -> LinkedIdentity:
        return LinkedIdentity(id=v["id"], provider=v["provider"], key=v["key"], account_id=v["account_id"],
                              email=v.get("email"), linked_at=codec.parse_iso(v["linked_at"]),  # type: ignore[arg-type]
                              last_used_at=codec.parse_iso(v.get("last_used_at")))

    def get(self, provider: str, key: str) -> LinkedIdentity | None:
        values = self._t.get(self._name(provider, key), "I")
        return self._from(values) if values else None

    def link(self, identity: LinkedIdentity) -> None:
        lookup, listed = self._items(identity)
        try:
            self._t.transact([{"Put": {"Item": to_item(lookup), "ConditionExpression": "attribute_not_exists(pk)"}},
                              {"Put": {"Item": to_item(listed)}}])
        except ClientError as exc:
            if conditional_failed(exc):
                raise ConditionFailedError() from exc
            raise

    def list(self, account_id: str) -> list[LinkedIdentity]:
        items = self._t.query(KeyConditionExpression="pk = :p AND begins_with(sk, :k)",
                              ExpressionAttributeValues=to_item({":p": f"ACCOUNT#{account_id}", ":k": "IDENTITY#"}),
                              ConsistentRead=True)
        return sorted((self._from(i) for i in items), key=lambda i: (i.linked_at, i.id))

    def touch(self, identity: LinkedIdentity, at: datetime) -> None:
        name = self._name(identity.provider, identity.key)
        values = to_item({":t": codec.iso(at), ":a": identity.account_id})
        try:
            # Both items, and only while the identity is still this account's (not unlinked meanwhile).
            self._t.transact([
                {"Update": {"Key": to_item({"pk": name, "sk": "I"}), "UpdateExpression": "SET last_used_at = :t",
                            "ConditionExpression": "account_id = :a", "ExpressionAttributeValues": values}},
                {"Update": {"Key": to_item({"pk": f"ACCOUNT#{identity.account_id}", "sk": name}),
                            "UpdateExpression": "SET last_used_at = :t", "ConditionExpression": "account_id = :a",
                            "ExpressionAttributeValues": values}},
            ])
        except ClientError as exc:
            if not conditional_failed(exc):
                raise

    def unlink(self, account_id: str, identity_id: str) -> LinkedIdentity | None:
        found = next((i for i in self.list(account_id) if i.id == identity_id), None)
        if found is None:
            return None
        name = self._name(found.provider, found.key)
        try:
            self._t.transact([
                {"Delete": {"Key": to_item({"pk": f"ACCOUNT#{account_id}", "sk": name}),
                            "ConditionExpression": "attribute_exists(pk)"}},
                {"Delete": {"Key": to_item({"pk": name, "sk": "I"}), "ConditionExpression": "account_id = :a",
                            "ExpressionAttributeValues": to_item({":a": account_id})}},
            ])
        except ClientError as exc:
            if conditional_failed(exc):
                return None
            raise
        return found
