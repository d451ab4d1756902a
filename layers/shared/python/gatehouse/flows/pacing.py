"""The response floor lives in `gatehouse.pacing`: the in-memory adapters subclass it, and adapters
may not import flows. Re-exported here for the flows that always imported it from here."""

from __future__ import annotations

from gatehouse.pacing import ResponseFloor

__all__ = ["ResponseFloor"]
