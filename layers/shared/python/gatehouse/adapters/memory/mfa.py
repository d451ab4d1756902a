"""In-memory fake: mfa."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from gatehouse.domain.factors import Factor
from gatehouse.errors import ConditionFailedError


class MemoryMfa:
    def __init__(self) -> None:
        self._factors: dict[tuple[str, str], Factor] = {}
        self._codes: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def add(self, factor: Factor) -> None:
        with self._lock:
            if (factor.account_id, factor.id) in self._factors:
                raise ConditionFailedError()
            self._factors[(factor.account_id, factor.id)] = factor

    def get(self, account_id: str, factor_id: str) -> Factor | None:
        return self._factors.get((account_id, factor_id))

    def list(self, account_id: str) -> list[Factor]:
        found = [f for (a, _), f in self._factors.items() if a == account_id]
        return sorted(found, key=lambda f: f.created_at)

    def delete(self, account_id: str, factor_id: str) -> None:
        self._factors.pop((account_id, factor_id), None)

    def advance(self, account_id: str, factor_id: str, counter: int) -> bool:
        with self._lock:
            found = self._factors.get((account_id, factor_id))
            if found is None or found.counter >= counter:
                return False
            self._factors[(account_id, factor_id)] = replace(found, counter=counter)
            return True

    def replace_recovery_codes(self, account_id: str, code_hashes: Iterable[str]) -> None:
        self._codes[account_id] = set(code_hashes)

    def use_recovery_code(self, account_id: str, code_hash: str) -> bool:
        with self._lock:
            codes = self._codes.get(account_id, set())
            if code_hash not in codes:
                return False
            codes.discard(code_hash)
            return True

    def recovery_codes_remaining(self, account_id: str) -> int:
        return len(self._codes.get(account_id, ()))

    def delete_recovery_codes(self, account_id: str) -> None:
        self._codes.pop(account_id, None)

    # The accounts fake `add_many` asks whether an account exists yet (bound by `Stores.memory`).
    accounts: Any = None

    def add_many(self, factors: Sequence[Factor]) -> Sequence[bool]:
        stored: list[bool] = []
        with self._lock:
            for factor in factors:
                key = (factor.account_id, factor.id)
                exists = self.accounts is not None and self.accounts.get(factor.account_id) is not None
                stored.append(key not in self._factors and not exists)
                if stored[-1]:
                    self._factors[key] = factor
        return stored
