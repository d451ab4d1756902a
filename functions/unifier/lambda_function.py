"""The unifier Lambda: EventBridge runs it on SCHEDULE; `gatehouse unify run` runs it once."""

from __future__ import annotations

from typing import Any

from gatehouse.bootstrap import container

SCHEDULE = "rate(15 minutes)"


def handler(event: Any, context: Any) -> dict[str, Any]:
    return container().unifier.run().as_dict()
