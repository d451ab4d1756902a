"""In-memory fake: api keys."""

from __future__ import annotations

import threading

from gatehouse.domain.api_keys import AccountApiKey
from gatehouse.errors import ConditionFailedError


class MemoryApiKeys:
    def __init__(self) -> None:
        self._keys: dict[str, AccountApiKey] = {}
        self._lock = threading.Lock()

    def add(self, key: AccountApiKey) -> None:
        with self._lock:
            if key.key_id in self._keys:
                raise ConditionFailedError()
            self._keys[key.key_id] = key

    def add_many(self, keys: list[AccountApiKey]) -> None:
        with self._lock:
            self._keys.update((k.key_id, k) for k in keys)

    def get(self, key_id: str) -> AccountApiKey | None:
        return self._keys.get(key_id)

    def list(self, account_id: str) -> list[AccountApiKey]:
        return sorted((k for k in self._keys.values() if k.account_id == account_id),
                      key=lambda k: (k.created_at, k.key_id))

    def delete(self, account_id: str, key_id: str) -> bool:
        with self._lock:
            key = self._keys.get(key_id)
            if key is None or key.account_id != account_id:
                return False
            del self._keys[key_id]
            return True
