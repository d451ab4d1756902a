"""In-memory fake: accounts."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from gatehouse.adapters import codec
from gatehouse.domain.accounts import Account, is_projection, normalise_email
from gatehouse.errors import ConditionFailedError, ConflictError


class MemoryAccounts:
    def __init__(self) -> None:
        self._accounts: dict[str, dict[str, Any]] = {}
        self._claims: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def get(self, account_id: str) -> Account | None:
        stored = self._accounts.get(account_id)
        return codec.account_from_dict(stored) if stored else None

    def get_by_email(self, email: str) -> Account | None:
        account_id = self._claims.get(("email", normalise_email(email)))
        return self.get(account_id) if account_id else None

    def find_by_alias(self, kind: str, value: str) -> Account | None:
        account_id = self._claims.get((kind, value.strip().lower()))
        return self.get(account_id) if account_id else None

    def add(self, account: Account, aliases: Mapping[str, Iterable[str]] = {}) -> None:
        claims = [("email", account.email_key)] + [(k, v.strip().lower()) for k, vs in aliases.items() for v in vs]
        with self._lock:
            if account.id in self._accounts or any(c in self._claims for c in claims):
                raise ConflictError("An account with this email already exists.")
            self._accounts[account.id] = codec.account_to_dict(account)
            for claim in claims:
                self._claims[claim] = account.id

    def add_many(self, entries: Sequence[tuple[Account, Mapping[str, Iterable[str]]]]) -> list[bool]:
        added = []
        for account, aliases in entries:
            try:
                self.add(account, aliases)
                added.append(True)
            except ConflictError:
                added.append(False)
        return added

    def save(self, account: Account) -> Account:
        if is_projection(account):
            raise ValueError("A login projection is not an account: read the account to save it.")
        with self._lock:
            stored = self._accounts.get(account.id)
            if stored is None or stored["version"] != account.version:
                raise ConditionFailedError()
            new_claim = ("email", account.email_key)
            if stored["email_key"] != account.email_key:
                if new_claim in self._claims:
                    raise ConditionFailedError()
                del self._claims[("email", stored["email_key"])]
                self._claims[new_claim] = account.id
            saved = account.evolve(version=account.version + 1)
            self._accounts[account.id] = codec.account_to_dict(saved)
            return saved
