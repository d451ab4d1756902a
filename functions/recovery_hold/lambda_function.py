"""The recovery_hold Lambda: EventBridge runs it on SCHEDULE; locally, `POST /dev/run/recovery-holds`."""

from __future__ import annotations

from typing import Any

from gatehouse.bootstrap import container

# A hold of 72 h ends at most this late; deleting documents a few minutes after their day is fine.
SCHEDULE = "rate(5 minutes)"
MARGIN_MS = 30_000  # stop well before the timeout; what is left stays due for the next run


def handler(event: Any, context: Any) -> dict[str, int]:
    def keep_going() -> bool:
        return bool(context.get_remaining_time_in_millis() > MARGIN_MS)

    return container().recovery_requests.run_due(keep_going=keep_going)
