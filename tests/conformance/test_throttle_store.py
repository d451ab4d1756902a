"""The throttle store behaves the same as a fake and on DynamoDB: counters that count every racer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from gatehouse.domain.throttling import FailureRecord

from tests.support.race import race

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_failures_count_up_and_clear(throttle) -> None:
    key = uuid.uuid4().hex
    assert throttle.failures(key, NOW).count == 0
    throttle.record_failure(key, NOW, 3600)
    assert throttle.record_failure(key, NOW, 3600).count == 2
    assert throttle.failures(key, NOW).count == 2
    assert throttle.failures(key, NOW + timedelta(hours=2)).count == 0
    throttle.clear(key)
    assert throttle.failures(key, NOW).count == 0


def test_hits_count_within_a_window_and_restart_in_the_next(throttle) -> None:
    key = uuid.uuid4().hex
    start = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert [throttle.hit(key, start, 3600) for _ in range(3)] == [1, 2, 3]
    assert throttle.hit(key, start + timedelta(hours=1), 3600) == 1


def test_an_expired_failure_counter_restarts_at_one(throttle) -> None:
    key = uuid.uuid4().hex
    for _ in range(5):
        throttle.record_failure(key, NOW, 3600)
    later = NOW + timedelta(hours=1, seconds=1)  # expired, and still in the table: TTL deletes late
    assert throttle.failures(key, later).count == 0
    assert throttle.record_failure(key, later, 3600).count == 1
    assert throttle.failures(key, later) == FailureRecord(1, later)
    assert throttle.record_failure(key, later, 3600).count == 2


def test_failures_racing_after_expiry_all_count(throttle) -> None:
    later = NOW + timedelta(minutes=2)
    for round_ in range(5):  # a few rounds: the restarts do not meet every time
        key = uuid.uuid4().hex
        throttle.record_failure(key, NOW, 60)
        counts = [r.count for r in race(lambda _, key=key: throttle.record_failure(key, later, 60))]
        # One restart, and every racer counted on top of it.
        assert sorted(counts) == list(range(1, 9)), (round_, counts)
        assert throttle.failures(key, later).count == 8


def test_an_expired_message_counter_restarts_at_one(throttle) -> None:
    key = uuid.uuid4().hex
    # Keys name their window, so only a changed window length meets an expired item of the same key:
    # window 29,844,360 of a minute ended long before window 29,844,360 of two hours begins.
    minute = datetime.fromtimestamp(29_844_360 * 60, tz=UTC)
    assert [throttle.hit(key, minute, 60) for _ in range(3)] == [1, 2, 3]
    assert throttle.hit(key, datetime.fromtimestamp(29_844_360 * 7200, tz=UTC), 7200) == 1
