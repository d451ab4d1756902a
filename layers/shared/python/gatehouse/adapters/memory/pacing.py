"""In-memory fake: pacing."""

from __future__ import annotations

from gatehouse.pacing import ResponseFloor


class RecordedFloor(ResponseFloor):
    """The response floor with its waits recorded instead of slept (unit tests stay fast)."""

    def __init__(self, seconds: float) -> None:
        self.waited: list[float] = []
        super().__init__(seconds, sleep=self.waited.append)
