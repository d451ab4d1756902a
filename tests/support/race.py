"""The concurrent-race harness: n threads released at once by one barrier, each running one call.

Every race test of the conformance and unit tiers goes through `race`, so that a racer's unexpected
exception fails the test instead of being printed by a thread and forgotten."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def race(action: Callable[[int], T], n: int = 8, *, expected: tuple[type[BaseException], ...] = ()
         ) -> list[T | BaseException]:
    """`action(0)` .. `action(n - 1)`, each in its own thread, all released together; their results
    in that order. An exception among `expected` takes its racer's place in the results; any other
    is raised once every thread has ended."""
    barrier = threading.Barrier(n)
    results: list[T | BaseException | None] = [None] * n
    unexpected: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = action(i)
        except expected as exc:
            results[i] = exc
        except BaseException as exc:
            unexpected.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if unexpected:
        raise unexpected[0]
    return results  # type: ignore[return-value]
