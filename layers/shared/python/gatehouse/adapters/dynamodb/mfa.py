"""The mfa port on DynamoDB."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from gatehouse.adapters import codec
from gatehouse.adapters.dynamodb import keys
from gatehouse.adapters.dynamodb.table import ConditionLost, Table, attempt, to_item
from gatehouse.domain.factors import Factor


def factor_from(values: Mapping[str, Any]) -> Factor:
    """A factor from its item (a second-factor step reads it beside its counters)."""
    return Factor(account_id=values["account_id"], id=values["factor_id"], type=values["type"],
                  created_at=codec.parse_iso(values["created_at"]),  # type: ignore[arg-type]
                  counter=int(values.get("counter") or 0), data=values.get("data") or {})


def factor_item(f: Factor) -> dict[str, Any]:
    """A factor's item, as `add` and `add_many` write it."""
    return {**keys.factor(f.account_id, f.id).item(), "account_id": f.account_id, "factor_id": f.id, "type": f.type,
            "created_at": codec.iso(f.created_at), "counter": f.counter, "data": dict(f.data)}


class DynamoMfa:
    """Second factors: `ACCOUNT#<id>` / `MFA#<factor id>`, beside the account item; recovery code
    digests in one string set, `ACCOUNT#<id>` / `RECOVERY`."""

    def __init__(self, table: Table) -> None:
        self._t = table

    @staticmethod
    def _key(account_id: str, factor_id: str) -> tuple[str, str]:
        return keys.factor(account_id, factor_id)

    def add(self, factor: Factor) -> None:
        self._t.put(factor_item(factor), ConditionExpression="attribute_not_exists(pk)")

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


    def add_many(self, factors: Sequence[Factor]) -> Sequence[bool]:
        """Each factor's put (unless one is stored under its id) with a check that its account does
        not exist yet, in one transaction: the account is made after its factor, so an account
        there means this factor's migration is over, and a factor missing then was deleted by its
        user. 50 factors a transaction (two writes each); a cancelled one says which factor lost,
        and the others are sent again."""
        def ops(f: Factor) -> list[dict[str, Any]]:
            return [{"Put": {"Item": to_item(factor_item(f)), "ConditionExpression": "attribute_not_exists(pk)"}},
                    {"ConditionCheck": {"Key": to_item(keys.account(f.account_id).item()),
                                        "ConditionExpression": "attribute_not_exists(pk)"}}]

        stored = [False] * len(factors)
        for start in range(0, len(factors), 50):
            chunk = list(range(start, min(start + 50, len(factors))))
            while chunk:
                try:
                    self._t.transact([op for i in chunk for op in ops(factors[i])])
                except ConditionLost as lost:
                    if len(lost.reasons) != 2 * len(chunk):
                        raise
                    chunk = [i for n, i in enumerate(chunk) if lost.reasons[2 * n:2 * n + 2] == ["None", "None"]]
                    continue
                for i in chunk:
                    stored[i] = True
                break
        return stored
