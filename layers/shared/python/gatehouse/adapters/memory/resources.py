"""In-memory fake: resources."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from gatehouse.domain.accounts import Resource
from gatehouse.errors import ConditionFailedError


class MemoryResources:
    def __init__(self) -> None:
        self._held: dict[tuple[str, str], dict[str, Resource]] = {}
        self._counts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def put(self, account_id: str, context: str, resource: Resource, limit: int) -> bool:
        key = (account_id, context)
        with self._lock:
            held = self._held.setdefault(key, {})
            new = resource.id not in held
            if new and self._counts.get(key, 0) >= limit:
                raise ConditionFailedError()
            held[resource.id] = resource
            if new:
                self._counts[key] = self._counts.get(key, 0) + 1
            return new

    def add_imported(self, entries: Sequence[tuple[str, str, Sequence[Resource]]]) -> None:
        with self._lock:
            for account_id, context, resources in entries:
                key = (account_id, context)
                held = self._held.setdefault(key, {})
                self._counts.setdefault(key, len({r.id for r in resources}))
                held.update({r.id: r for r in resources})

    def holds(self, account_id: str, contexts: Sequence[str], resource_id: str) -> bool:
        return any(resource_id in self._held.get((account_id, c), {}) for c in contexts)

    def delete(self, account_id: str, context: str, resource_id: str) -> bool:
        key = (account_id, context)
        with self._lock:
            if self._held.get(key, {}).pop(resource_id, None) is None:
                return False
            self._counts[key] -= 1
            return True

    def list(self, account_id: str, context: str) -> list[Resource]:
        return sorted(self._held.get((account_id, context), {}).values(), key=lambda r: r.id)
