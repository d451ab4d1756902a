"""The one-time store behaves the same as a fake and on DynamoDB: each item consumed once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from gatehouse.domain.one_time import OneTimeItem

from tests.support.race import race

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _item(kind: str = "t", subject: str = "s", seconds: int = 60, **data) -> OneTimeItem:
    return OneTimeItem(kind=kind, key=uuid.uuid4().hex, subject=subject,
                       expires_at=NOW + timedelta(seconds=seconds), data=data)


def test_a_one_time_item_is_consumed_once(once) -> None:
    item = _item(x="1")
    once.put(item)
    assert once.consume(item.kind, item.key, NOW).data == {"x": "1"}
    assert once.consume(item.kind, item.key, NOW) is None


def test_an_expired_one_time_item_cannot_be_consumed(once) -> None:
    item = _item(seconds=30)
    once.put(item)
    assert once.get(item.kind, item.key, NOW + timedelta(seconds=31)) is None
    assert once.consume(item.kind, item.key, NOW + timedelta(seconds=31)) is None


def test_a_bound_item_is_consumed_only_by_its_binding(once) -> None:
    item = _item(console="scaleway")
    once.put(item)
    assert once.consume(item.kind, item.key, NOW, bound_to={"console": "dedibox"}) is None
    assert once.consume(item.kind, item.key, NOW, bound_to={"console": "scaleway"}) is not None


def test_a_newer_item_kills_the_older_one_of_the_same_subject(once) -> None:
    subject = uuid.uuid4().hex
    older, newer = _item(subject=subject), _item(subject=subject)
    once.replace_latest(older)
    once.replace_latest(newer)
    assert once.get(older.kind, older.key, NOW) is None
    assert once.get(newer.kind, newer.key, NOW) is not None
    once.delete_for_subject(newer.kind, subject)
    assert once.get(newer.kind, newer.key, NOW) is None


def test_eight_racing_consumers_of_one_item_have_one_winner(once) -> None:
    item = _item()
    once.put(item)
    wins = [r for r in race(lambda _: once.consume(item.kind, item.key, NOW)) if r]
    assert len(wins) == 1
