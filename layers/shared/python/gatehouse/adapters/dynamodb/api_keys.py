"""The api keys port on DynamoDB."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatehouse.adapters import codec
from gatehouse.adapters.dynamodb import keys
from gatehouse.adapters.dynamodb.table import Table, attempt, to_item, transact_put
from gatehouse.domain.api_keys import AccountApiKey


class DynamoApiKeys:
    """Each key is two items written and deleted together: `APIKEY#<key id>` / `K`, what
    verification reads (one GetItem), and `ACCOUNT#<id>` / `APIKEY#<key id>`, beside the account,
    what the list reads (one consistent Query, no index lag). Neither holds the secret, only its digest."""

    def __init__(self, table: Table) -> None:
        self._t = table

    @staticmethod
    def _items(key: AccountApiKey) -> tuple[dict[str, Any], dict[str, Any]]:
        values = {"key_id": key.key_id, "account_id": key.account_id, "name": key.name,
                  "created_at": codec.iso(key.created_at), "console": key.console, "context": key.context}
        values["secret_sha256"] = key.secret_sha256
        return ({**values, **keys.api_key(key.key_id).item()},
                {**values, **keys.account_api_key(key.account_id, key.key_id).item()})

    @staticmethod
    def _from(values: Mapping[str, Any]) -> AccountApiKey:
        return AccountApiKey(key_id=values["key_id"], account_id=values["account_id"],
                             secret_sha256=values["secret_sha256"], name=values.get("name") or values["key_id"],
                             created_at=codec.parse_iso(values["created_at"]),  # type: ignore[arg-type]
                             console=values.get("console"), context=values.get("context"))

    def add(self, key: AccountApiKey) -> None:
        lookup, listed = self._items(key)
        self._t.transact([{"Put": {"Item": to_item(lookup), "ConditionExpression": "attribute_not_exists(pk)"}},
                          {"Put": {"Item": to_item(listed)}}])

    def add_many(self, keys: list[AccountApiKey]) -> None:
        transact_put(self._t, [item for key in keys for item in self._items(key)])

    def get(self, key_id: str) -> AccountApiKey | None:
        values = self._t.get(*keys.api_key(key_id))
        return self._from(values) if values else None

    def list(self, account_id: str) -> list[AccountApiKey]:
        items = self._t.query(KeyConditionExpression="pk = :p AND begins_with(sk, :k)",
                              ExpressionAttributeValues=to_item({":p": keys.account_pk(account_id),
                                                                 ":k": keys.API_KEY}),
                              ConsistentRead=True)
        return sorted((self._from(i) for i in items), key=lambda k: (k.created_at, k.key_id))

    def delete(self, account_id: str, key_id: str) -> bool:
        # Both items, only if the account's own item is there: nobody deletes another's key.
        with attempt() as write:
            self._t.transact([
                {"Delete": {"Key": to_item(keys.account_api_key(account_id, key_id).item()),
                            "ConditionExpression": "attribute_exists(pk)"}},
                {"Delete": {"Key": to_item(keys.api_key(key_id).item())}},
            ])
        return write.won
