"""The accounts port on DynamoDB."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from gatehouse.adapters import codec
from gatehouse.adapters.dynamodb import keys
from gatehouse.adapters.dynamodb.table import ConditionLost, Table, to_item
from gatehouse.domain.accounts import Account, is_projection, normalise_email
from gatehouse.errors import ConditionFailedError, ConflictError


class DynamoAccounts:
    def __init__(self, table: Table) -> None:
        self._t = table

    def get(self, account_id: str) -> Account | None:
        item = self._t.get(*keys.account(account_id))
        return codec.account_from_dict(item["data"]) if item else None

    def get_by_email(self, email: str) -> Account | None:
        return self._by_claim("email", normalise_email(email))

    def find_by_alias(self, kind: str, value: str) -> Account | None:
        return self._by_claim(kind, value.strip().lower())

    def _by_claim(self, kind: str, value: str) -> Account | None:
        claim = self._t.get(*keys.claim(kind, value))
        return self.get(claim["account_id"]) if claim else None

    def _claim_op(self, kind: str, value: str, account_id: str, login: Account | None = None) -> dict[str, Any]:
        item: dict[str, Any] = {**keys.claim(kind, value).item(), "account_id": account_id}
        if login is not None:  # the email claim carries the login projection (codec.login_projection)
            item["login"] = codec.login_projection(login)
        return {"Put": {"Item": to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}}

    def _account_item(self, account: Account) -> dict[str, Any]:
        return {**keys.account(account.id).item(), "version": account.version, "data": codec.account_to_dict(account)}

    def _add_ops(self, account: Account, aliases: Mapping[str, Iterable[str]]) -> list[dict[str, Any]]:
        ops = [{"Put": {"Item": to_item(self._account_item(account)),
                        "ConditionExpression": "attribute_not_exists(pk)"}},
               self._claim_op("email", account.email_key, account.id, login=account)]
        return ops + [self._claim_op(kind, v.strip().lower(), account.id) for kind, vs in aliases.items() for v in vs]

    def add_many(self, entries: Sequence[tuple[Account, Mapping[str, Iterable[str]]]]) -> list[bool]:
        """Accounts packed up to 100 writes a transaction (a unified account is 3 to 6), no item
        twice in one. A cancelled transaction says which writes failed: their accounts are out,
        the rest is sent again. About 20 accounts a call instead of one."""
        added = [False] * len(entries)
        packs: list[list[tuple[int, list[dict[str, Any]]]]] = [[]]
        used: set[str] = set()
        for index, (account, aliases) in enumerate(entries):
            ops = self._add_ops(account, aliases)
            keys = {json.dumps([next(iter(op.values()))["Item"][k] for k in ("pk", "sk")]) for op in ops}
            size = sum(len(o) for _, o in packs[-1])
            if len(ops) > 100:
                continue  # more claims than one transaction holds: it cannot be added atomically
            if size + len(ops) > 100 or keys & used:
                packs.append([])
                used = set()
            packs[-1].append((index, ops))
            used |= keys
        for pack in packs:
            while pack:
                batch = [op for _, ops in pack for op in ops]
                try:
                    self._t.transact(batch)
                except ConditionLost as lost:
                    if len(lost.reasons) != len(batch):
                        raise
                    failed, start = set(), 0
                    for index, ops in pack:
                        if any(r != "None" for r in lost.reasons[start:start + len(ops)]):
                            failed.add(index)
                        start += len(ops)
                    pack = [(i, o) for i, o in pack if i not in failed]
                    continue
                for index, _ in pack:
                    added[index] = True
                break
        return added

    def add(self, account: Account, aliases: Mapping[str, Iterable[str]] = {}) -> None:
        ops = self._add_ops(account, aliases)
        try:
            self._t.transact(ops)
        except ConditionLost as lost:
            raise ConflictError("An account with this email already exists.") from lost

    def save(self, account: Account) -> Account:
        if is_projection(account):
            raise ValueError("A login projection is not an account: read the account to save it.")
        saved = account.evolve(version=account.version + 1)
        put: dict[str, Any] = {"Put": {
            "Item": to_item(self._account_item(saved)),
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": to_item({":v": account.version}),
        }}
        # The email's claim, with its login projection, in the same transaction: a login never reads
        # a password hash or a factor list the account no longer has. Its condition (still this
        # account's) fails only when the email changed: then the claim moves, once the account is read.
        claim = self._claim_op("email", saved.email_key, saved.id, login=saved)["Put"]
        kept_claim = {"Put": {"Item": claim["Item"], "ConditionExpression": "account_id = :a",
                              "ExpressionAttributeValues": to_item({":a": saved.id})}}
        try:
            self._t.transact([put, kept_claim])
            return saved
        except ConditionLost as lost:
            if lost.reasons and lost.reasons[0] != "None":
                raise ConditionFailedError() from lost  # the version moved
        current = self.get(account.id)
        if current is None or current.version != account.version:
            raise ConditionFailedError()
        ops = [put]
        if current.email_key != saved.email_key:
            ops.append({"Delete": {"Key": to_item(keys.claim("email", current.email_key).item())}})
            ops.append(self._claim_op("email", saved.email_key, saved.id, login=saved))
        else:  # a claim lost meanwhile (it never is): written again, if nobody else took it
            ops.append({"Put": {"Item": claim["Item"], "ConditionExpression": "attribute_not_exists(pk)"}})
        self._t.transact(ops)  # lost: ConditionLost, the ConditionFailedError a racing save gets
        return saved
