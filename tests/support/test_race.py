"""The race harness itself: its racers really overlap, and a racer's failure is not lost."""

from __future__ import annotations

import threading

import pytest

from tests.support.race import race


def test_the_racers_run_their_actions_at_the_same_time() -> None:
    arrived, lock, all_in = [], threading.Lock(), threading.Event()

    def racer(i: int) -> bool:
        with lock:
            arrived.append(i)
            if len(arrived) == 8:
                all_in.set()
        # Run one after another, the first racer would wait here alone until the timeout.
        return all_in.wait(timeout=5)

    assert race(racer) == [True] * 8


def test_results_come_back_in_racer_order_with_expected_errors_in_place() -> None:
    def racer(i: int) -> int:
        if i % 2:
            raise KeyError(i)
        return i

    results = race(racer, 4, expected=(KeyError,))
    assert results[0] == 0 and results[2] == 2
    assert isinstance(results[1], KeyError) and isinstance(results[3], KeyError)


def test_an_unexpected_error_of_one_racer_fails_the_race() -> None:
    def racer(i: int) -> int:
        if i == 5:
            raise RuntimeError("boom")
        return i

    with pytest.raises(RuntimeError, match="boom"):
        race(racer)
