"""The mfa port on DynamoDB."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gatehouse.adapters import codec
from gatehouse.adapters.dynamodb import keys
from gatehouse.adapters.dynamodb.table import Table, attempt, to_item
from gatehouse.domain.factors import Factor


def factor_from(values: Mapping[str, Any]) -> Factor:
    """A factor from its item (a second-factor step reads it beside its counters)."""
    return Factor(account_id=values["account_id"], id=values["factor_id"], type=values["type"],
                  created_at=codec.parse_iso(values["created_at"]),  # type: ignore[arg-type]
                  counter=int(values.get("counter") or 0), data=values.get("data") or {})


class DynamoMfa:
    """Second factors: `ACCOUNT#<id>` / `MFA#<factor id>`, beside the account item; recovery code
    digests in one string set, `ACCOUNT#<id>` / `RECOVERY`."""

    def __init__(self, table: Table) -> None:
        self._t = table

    @staticmethod
    def _key(account_id: str, factor_id: str) -> tuple[str, str]:
        return keys.factor(account_id, factor_id)

    def add(self, factor: Factor) -> None:
        pk, sk = self._key(factor.account_id, factor.id)
        item = {"pk": pk, "sk": sk, "account_id": factor.account_id, "factor_id": factor.id,
                "type": factor.type, "created_at": codec.iso(factor.created_at), "counter": factor.counter,
                "data": dict(factor.data)}
        self._t.put(item, ConditionExpression="attribute_not_exists(pk)")

    def get(self, account_id: str, factor_id: str) -> Factor | None:
        values = self._t.get(*self._key(account_id, factor_id))
        return factor_from(values) if values else None

    def list(self, account_id: str) -> list[Factor]:
        values = to_item({":p": keys.account_pk(account_id), ":m": keys.MFA})
        items = self._t.query(KeyConditionExpression="pk = :p AND begins_with(sk, :m)",
                              ExpressionAttributeValues=values, ConsistentRead=True)
        return sorted((factor_from(i) for i in items), key=lambda f: f.created_at)

    def delete(self, account_id: str, factor_id: str) -> None:
        self._t.delete(*self._key(account_id, factor_id))

    def advance(self, account_id: str, factor_id: str, counter: int) -> bool:
        with attempt() as write:
            self._t.update(*self._key(account_id, factor_id), "SET #c = :c", {":c": counter},
                           {"#c": "counter"}, ConditionExpression="attribute_exists(pk) AND #c < :c")
        return write.won

    def replace_recovery_codes(self, account_id: str, code_hashes: Iterable[str]) -> None:
        self._t.put({**keys.recovery_codes(account_id).item(), "codes": set(code_hashes)})

    def use_recovery_code(self, account_id: str, code_hash: str) -> bool:
        # DELETE from the set under a `contains` condition: two racing uses of one code, one wins.
        with attempt() as write:
            self._t.update(*keys.recovery_codes(account_id), "DELETE #codes :one",
                           {":one": {code_hash}, ":h": code_hash}, {"#codes": "codes"},
                           ConditionExpression="contains(#codes, :h)")
        return write.won

    def recovery_codes_remaining(self, account_id: str) -> int:
        values = self._t.get(*keys.recovery_codes(account_id))
        return len((values or {}).get("codes") or ())

    def delete_recovery_codes(self, account_id: str) -> None:
        self._t.delete(*keys.recovery_codes(account_id))
