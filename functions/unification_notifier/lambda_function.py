"""The notifier Lambda: EventBridge runs it on SCHEDULE; `gatehouse notify run` runs it once."""

from __future__ import annotations

from typing import Any

from gatehouse.bootstrap import container

SCHEDULE = "rate(15 minutes)"
MARGIN_MS = 60_000  # a batch takes seconds; stop well before the timeout, the next run goes on


def handler(event: Any, context: Any) -> dict[str, Any]:
    def keep_going() -> bool:
        return bool(context.get_remaining_time_in_millis() > MARGIN_MS)

    return container().unification_notifier.run(keep_going=keep_going).as_dict()
