"""A floor under an answer's time, so that its timing does not tell which path it took.

A password reset for an unknown domain or legacy identifier has nobody to write to, so it skips
the SES or SNS call a known one makes: tens of milliseconds that tell an attacker the key exists.
Doing the same work on both paths is not possible (there is no address), so the answer waits
until a fixed time after the request began, longer than the known path takes. The floor must sit
above that path's slow tail; when the work runs past it (an AWS hiccup), nothing is added, and
the answer is as slow as the work was, on either path.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class ResponseFloor:
    def __init__(self, seconds: float, monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], object] = time.sleep) -> None:
        self.seconds, self._monotonic, self._sleep = seconds, monotonic, sleep

    @contextmanager
    def held(self) -> Iterator[None]:
        """The block's time, padded up to the floor (also when it raises)."""
        started = self._monotonic()
        try:
            yield
        finally:
            remaining = self.seconds - (self._monotonic() - started)
            if remaining > 0:
                self._sleep(remaining)
