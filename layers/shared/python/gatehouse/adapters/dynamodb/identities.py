"""The identities port on DynamoDB."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gatehouse.adapters import codec
from gatehouse.adapters.dynamodb import keys
from gatehouse.adapters.dynamodb.table import Table, attempt, to_item
from gatehouse.domain.identities import LinkedIdentity


class DynamoIdentities:
    """An identity is two items written and deleted together: `IDENTITY#<provider>#<key>` / `I`,
    what a sign-in reads (one GetItem; its condition makes one identity one account's), and
    `ACCOUNT#<id>` / `IDENTITY#<provider>#<key>`, beside the account, what settings list."""

    def __init__(self, table: Table) -> None:
        self._t = table

    def _items(self, i: LinkedIdentity) -> tuple[dict[str, Any], dict[str, Any]]:
        values = {"id": i.id, "provider": i.provider, "key": i.key, "account_id": i.account_id, "email": i.email,
                  "linked_at": codec.iso(i.linked_at), "last_used_at": codec.iso(i.last_used_at)}
        return ({**values, **keys.identity(i.provider, i.key).item()},
                {**values, **keys.account_identity(i.account_id, i.provider, i.key).item()})

    @staticmethod
    def _from(v: Mapping[str, Any]) -> LinkedIdentity:
        return LinkedIdentity(id=v["id"], provider=v["provider"], key=v["key"], account_id=v["account_id"],
                              email=v.get("email"), linked_at=codec.parse_iso(v["linked_at"]),  # type: ignore[arg-type]
                              last_used_at=codec.parse_iso(v.get("last_used_at")))

    def get(self, provider: str, key: str) -> LinkedIdentity | None:
        values = self._t.get(*keys.identity(provider, key))
        return self._from(values) if values else None

    def link(self, identity: LinkedIdentity) -> None:
        lookup, listed = self._items(identity)
        self._t.transact([{"Put": {"Item": to_item(lookup), "ConditionExpression": "attribute_not_exists(pk)"}},
                          {"Put": {"Item": to_item(listed)}}])

    def list(self, account_id: str) -> list[LinkedIdentity]:
        items = self._t.query(KeyConditionExpression="pk = :p AND begins_with(sk, :k)",
                              ExpressionAttributeValues=to_item({":p": keys.account_pk(account_id),
                                                                 ":k": keys.IDENTITY}),
                              ConsistentRead=True)
        return sorted((self._from(i) for i in items), key=lambda i: (i.linked_at, i.id))

    def touch(self, identity: LinkedIdentity, at: datetime) -> None:
        values = to_item({":t": codec.iso(at), ":a": identity.account_id})
        # Both items, and only while the identity is still this account's (not unlinked meanwhile).
        with attempt():
            self._t.transact([
                {"Update": {"Key": to_item(keys.identity(identity.provider, identity.key).item()),
                            "UpdateExpression": "SET last_used_at = :t",
                            "ConditionExpression": "account_id = :a", "ExpressionAttributeValues": values}},
                {"Update": {"Key": to_item(keys.account_identity(identity.account_id, identity.provider,
                                                                 identity.key).item()),
                            "UpdateExpression": "SET last_used_at = :t", "ConditionExpression": "account_id = :a",
                            "ExpressionAttributeValues": values}},
            ])

    def unlink(self, account_id: str, identity_id: str) -> LinkedIdentity | None:
        found = next((i for i in self.list(account_id) if i.id == identity_id), None)
        if found is None:
            return None
        with attempt() as write:
            self._t.transact([
                {"Delete": {"Key": to_item(keys.account_identity(account_id, found.provider, found.key).item()),
                            "ConditionExpression": "attribute_exists(pk)"}},
                {"Delete": {"Key": to_item(keys.identity(found.provider, found.key).item()),
                            "ConditionExpression": "account_id = :a",
                            "ExpressionAttributeValues": to_item({":a": account_id})}},
            ])
        return found if write.won else None
