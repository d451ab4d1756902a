"""The unifier Lambda: EventBridge runs it on SCHEDULE; `gatehouse unify run` runs it once."""

from __future__ import annotations

from typing import Any

from gatehouse.bootstrap import container

SCHEDULE = "rate(15 minutes)"
MARGIN_MS = 60_000  # a batch takes seconds; stop well before the timeout, the next run goes on


def handler(event: Any, context: Any) -> dict[str, Any]:
    def keep_going() -> bool:
        return bool(context.get_remaining_time_in_millis() > MARGIN_MS)

    return container().unifier.run(keep_going=keep_going).as_dict()
