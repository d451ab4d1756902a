"""The throttle port on DynamoDB."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from gatehouse.adapters import codec
from gatehouse.adapters.dynamodb import keys
from gatehouse.adapters.dynamodb.table import Table, attempt, get_many, to_item
from gatehouse.domain.throttling import FailureRecord


class DynamoThrottle:
    def __init__(self, table: Table) -> None:
        self._t = table

    def failures(self, key: str, now: datetime) -> FailureRecord:
        return failure_record(self._t.get(*keys.throttle(key), consistent=False), now)

    def record_failures(self, entries: Sequence[tuple[str, int]], now: datetime) -> None:
        """Every counter's ADD in one transaction, each on the condition `record_failure`'s ADD has
        (absent or live); when one of them has expired, each is counted alone, as `record_failure`."""
        if len(entries) < 2:
            for key, ttl in entries:
                self.record_failure(key, now, ttl)
            return
        ops = []
        for key, ttl in entries:
            ops.append({"Update": {
                "Key": to_item(keys.throttle(key).item()),
                "UpdateExpression": "ADD #c :one SET expires_at = :e, last_failure_at = :at",
                "ConditionExpression": "attribute_not_exists(pk) OR expires_at > :now",
                "ExpressionAttributeNames": {"#c": "count"},
                "ExpressionAttributeValues": to_item({":one": 1, ":e": codec.epoch(now) + ttl, ":now": codec.epoch(now),
                                                      ":at": codec.iso(now)}),
            }})
        with attempt() as write:
            self._t.transact(ops)
        if not write.won:
            for key, ttl in entries:
                self.record_failure(key, now, ttl)

    def record_failure(self, key: str, now: datetime, ttl_seconds: int) -> FailureRecord:
        count = self._count(*keys.throttle(key), now, codec.epoch(now) + ttl_seconds,
                            {"last_failure_at": codec.iso(now)})
        return FailureRecord(count, now)

    def clear(self, key: str) -> None:
        self._t.delete(*keys.throttle(key))

    def failures_many(self, keys: Sequence[str], now: datetime) -> dict[str, FailureRecord]:
        return failure_records(self._t, keys, now)

    def hit_all(self, entries: Sequence[tuple[str, int, int]], now: datetime) -> bool:
        """The throttle's check as the write's condition: each counter counts one more only while
        under its limit, all in one transaction; a cancelled one counted nothing."""
        ops = []
        for key, window_seconds, limit in entries:
            window = codec.epoch(now) // window_seconds
            ops.append({"Update": {
                "Key": to_item(keys.rate(key, window).item()),
                "UpdateExpression": "ADD #c :one SET expires_at = :e",
                "ConditionExpression": "attribute_not_exists(pk) OR (expires_at > :now AND #c < :limit)",
                "ExpressionAttributeNames": {"#c": "count"},
                "ExpressionAttributeValues": to_item({":one": 1, ":e": (window + 1) * window_seconds + 60,
                                                      ":now": codec.epoch(now), ":limit": limit}),
            }})
        with attempt() as write:
            self._t.transact(ops)
        return write.won

    def hit(self, key: str, now: datetime, window_seconds: int) -> int:
        window = codec.epoch(now) // window_seconds
        return self._count(*keys.rate(key, window), now, (window + 1) * window_seconds + 60, {})

    def _count(self, pk: str, sk: str, now: datetime, expires_at: int, also: Mapping[str, Any]) -> int:
        """One more on a live counter, one conditional ADD (ten concurrent failures count as ten).
        TTL deletes late, so an expired item may still be there: the ADD's condition refuses it and a
        put conditional on that expiry restarts the counter at 1; a writer that lost that race to
        another restart counts on top of it, so two racing restarts count 2."""
        now_epoch = codec.epoch(now)
        setting = "".join(f", {name} = :{name}" for name in also)
        values = {":one": 1, ":e": expires_at, ":now": now_epoch, **{f":{k}": v for k, v in also.items()}}
        for _ in range(3):
            with attempt():  # lost: expired, restarted below
                out = self._t.update(pk, sk, f"ADD #c :one SET expires_at = :e{setting}", values, {"#c": "count"},
                                     ConditionExpression="attribute_not_exists(pk) OR expires_at > :now",
                                     ReturnValues="ALL_NEW")
                return int(out["count"])
            with attempt():  # lost: another writer restarted it first, counted on above
                self._t.put({"pk": pk, "sk": sk, "count": 1, "expires_at": expires_at, **also},
                            ConditionExpression="expires_at <= :now",
                            ExpressionAttributeValues=to_item({":now": now_epoch}))
                return 1
        # Only writers whose clocks disagree keep flipping it between live and expired: count on,
        # since counting too many is the safe side of a throttle.
        out = self._t.update(pk, sk, f"ADD #c :one SET expires_at = :e{setting}",
                             {k: v for k, v in values.items() if k != ":now"}, {"#c": "count"}, ReturnValues="ALL_NEW")
        return int(out["count"])


def failure_record(item: Mapping[str, Any] | None, now: datetime) -> FailureRecord:
    """A failure counter as the port answers it: one past its expiry counts nothing."""
    if not item or item["expires_at"] <= codec.epoch(now):
        return FailureRecord(0, None)
    return FailureRecord(int(item["count"]), codec.parse_iso(item.get("last_failure_at")))


def failure_records(t: Table, names: Sequence[str], now: datetime) -> dict[str, FailureRecord]:
    """Several counters in one BatchGetItem; a function because the port names its argument `keys`."""
    items = get_many(t, [keys.throttle(k) for k in names])
    return {k: failure_record(items.get(keys.throttle(k)), now) for k in names}
