"""Login back-off: how long to wait after n consecutive failures (pure arithmetic)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class FailureRecord:
    count: int
    last_failure_at: datetime | None


def backoff_seconds(failures: int, free_failures: int, max_seconds: int) -> int:
    """0 for the first `free_failures`, then 1, 2, 4 ... seconds, capped: slows guessing to a crawl
    while a user who mistyped a few times never notices."""
    if failures < free_failures:
        return 0
    return min(max_seconds, 2 ** (failures - free_failures))


def retry_after(record: FailureRecord, now: datetime, free_failures: int, max_seconds: int) -> int:
    """Seconds still to wait before the next attempt is even looked at; 0 when it may go ahead."""
    if record.last_failure_at is None:
        return 0
    wait = backoff_seconds(record.count, free_failures, max_seconds)
    elapsed = (now - record.last_failure_at).total_seconds()
    return max(0, int(wait - elapsed + 0.999))
