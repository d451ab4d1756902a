"""In-memory fake: throttle."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from gatehouse.domain.throttling import FailureRecord


class MemoryThrottle:
    def __init__(self) -> None:
        self._failures: dict[str, tuple[int, datetime, datetime]] = {}
        self._hits: dict[tuple[str, int], tuple[int, datetime]] = {}
        self._lock = threading.Lock()

    def failures(self, key: str, now: datetime) -> FailureRecord:
        found = self._failures.get(key)
        if not found or found[2] <= now:
            return FailureRecord(0, None)
        return FailureRecord(found[0], found[1])

    def record_failure(self, key: str, now: datetime, ttl_seconds: int) -> FailureRecord:
        with self._lock:
            # An expired counter restarts at 1, as the DynamoDB adapter's conditional writes make it.
            found = self._failures.get(key)
            count = found[0] + 1 if found and found[2] > now else 1
            self._failures[key] = (count, now, now + timedelta(seconds=ttl_seconds))
            return FailureRecord(count, now)

    def record_failures(self, entries: Sequence[tuple[str, int]], now: datetime) -> None:
        for key, ttl in entries:
            self.record_failure(key, now, ttl)

    def failures_many(self, keys: Sequence[str], now: datetime) -> dict[str, FailureRecord]:
        return {k: self.failures(k, now) for k in keys}

    def hit_all(self, entries: Sequence[tuple[str, int, int]], now: datetime) -> bool:
        with self._lock:
            slots = [((key, int(now.timestamp()) // window), window, limit) for key, window, limit in entries]
            for slot, _, limit in slots:
                found = self._hits.get(slot)
                if found and (found[1] <= now or found[0] >= limit):
                    return False
            for slot, window, _ in slots:
                found = self._hits.get(slot)
                expires_at = datetime.fromtimestamp((slot[1] + 1) * window + 60, tz=UTC)
                self._hits[slot] = ((found[0] if found else 0) + 1, expires_at)
            return True

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)

    def hit(self, key: str, now: datetime, window_seconds: int) -> int:
        with self._lock:
            window = int(now.timestamp()) // window_seconds
            slot = (key, window)
            found = self._hits.get(slot)
            count = found[0] + 1 if found and found[1] > now else 1
            expires_at = datetime.fromtimestamp((window + 1) * window_seconds + 60, tz=UTC)
            self._hits[slot] = (count, expires_at)
            return count
