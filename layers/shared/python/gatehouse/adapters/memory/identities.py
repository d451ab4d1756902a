"""In-memory fake: identities."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime

from gatehouse.domain.identities import LinkedIdentity
from gatehouse.errors import ConditionFailedError


class MemoryIdentities:
    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], LinkedIdentity] = {}
        self._lock = threading.Lock()

    def get(self, provider: str, key: str) -> LinkedIdentity | None:
        return self._by_key.get((provider, key))

    def link(self, identity: LinkedIdentity) -> None:
        with self._lock:
            if (identity.provider, identity.key) in self._by_key:
                raise ConditionFailedError()
            self._by_key[(identity.provider, identity.key)] = identity

    def list(self, account_id: str) -> list[LinkedIdentity]:
        return sorted((i for i in self._by_key.values() if i.account_id == account_id),
                      key=lambda i: (i.linked_at, i.id))

    def touch(self, identity: LinkedIdentity, at: datetime) -> None:
        with self._lock:
            current = self._by_key.get((identity.provider, identity.key))
            if current is not None and current.account_id == identity.account_id:
                self._by_key[(identity.provider, identity.key)] = replace(current, last_used_at=at)

    def unlink(self, account_id: str, identity_id: str) -> LinkedIdentity | None:
        with self._lock:
            found = next((i for i in self._by_key.values() if i.id == identity_id and i.account_id == account_id),
                         None)
            if found is not None:
                del self._by_key[(found.provider, found.key)]
            return found
