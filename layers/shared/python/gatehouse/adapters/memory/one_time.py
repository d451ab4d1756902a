"""In-memory fake: one time."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gatehouse.domain.one_time import OneTimeItem


class MemoryOneTime:
    def __init__(self) -> None:
        self._items: dict[tuple[str, str], OneTimeItem] = {}
        self._latest: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def put(self, item: OneTimeItem) -> None:
        self._items[(item.kind, item.key)] = item

    def get(self, kind: str, key: str, now: datetime) -> OneTimeItem | None:
        item = self._items.get((kind, key))
        return item if item and item.expires_at > now else None

    def consume(self, kind: str, key: str, now: datetime, *, bound_to: Mapping[str, Any] | None = None
                ) -> OneTimeItem | None:
        with self._lock:
            item = self.get(kind, key, now)
            if item is None or any(item.data.get(k) != v for k, v in (bound_to or {}).items()):
                return None
            del self._items[(kind, key)]
            return item

    def replace_latest(self, item: OneTimeItem) -> None:
        with self._lock:
            self.put(item)
            previous = self._latest.get((item.kind, item.subject))
            self._latest[(item.kind, item.subject)] = item.key
            if previous and previous != item.key:
                self._items.pop((item.kind, previous), None)

    def delete_for_subject(self, kind: str, subject: str) -> None:
        with self._lock:
            previous = self._latest.pop((kind, subject), None)
            if previous:
                self._items.pop((kind, previous), None)
