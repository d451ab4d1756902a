"""In-memory fake: verifications."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime

from gatehouse.domain.verification import Verification
from gatehouse.errors import ConditionFailedError


class MemoryVerifications:
    """Processes by (purpose, key), and each subject's latest by (purpose, subject)."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], Verification] = {}
        self._latest: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def start(self, verification: Verification, now: datetime) -> Verification | None:
        v = verification
        with self._lock:
            previous_key = v.subject if not v.id else self._latest.get((v.purpose, v.subject))
            previous = self._items.get((v.purpose, previous_key)) if previous_key else None
            if previous is not None and not previous.live(now):
                previous = None
            if previous is not None and previous.exhausted:
                return None
            if previous_key:
                self._items.pop((v.purpose, previous_key), None)
            stored = replace(v, failures=max(v.failures, previous.failures if previous else 0))
            self._items[(v.purpose, v.key)] = stored
            if v.id:
                self._latest[(v.purpose, v.subject)] = v.id
            return stored

    def create(self, verification: Verification) -> None:
        with self._lock:
            if (verification.purpose, verification.key) in self._items:
                raise ConditionFailedError()
            self._items[(verification.purpose, verification.key)] = verification

    def get(self, purpose: str, key: str, now: datetime) -> Verification | None:
        found = self._items.get((purpose, key))
        return found if found and found.live(now) else None

    def fail(self, purpose: str, key: str, now: datetime) -> Verification | None:
        with self._lock:
            found = self.get(purpose, key, now)
            if found is None or found.exhausted:
                return None
            self._items[(purpose, key)] = updated = replace(found, failures=found.failures + 1)
            return updated

    def complete(self, purpose: str, key: str, digest: str, now: datetime) -> Verification | None:
        with self._lock:
            found = self.get(purpose, key, now)
            if found is None or found.exhausted or found.digest is None or found.digest != digest:
                return None
            return self._items.pop((purpose, key))
