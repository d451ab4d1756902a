"""The verifications port on DynamoDB."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gatehouse.adapters import codec
from gatehouse.adapters.dynamodb import keys
from gatehouse.adapters.dynamodb.table import Table, attempt, to_item
from gatehouse.domain.verification import Verification


class DynamoVerifications:
    """Verification processes at `VERIFY#<purpose>#<key>` / `V` (TTL on expires_at), and, for those
    found by a flow id, each subject's latest at `VERIFY_LATEST#<purpose>#<subject>` / `L`."""

    def __init__(self, table: Table) -> None:
        self._t = table

    def _item(self, v: Verification) -> dict[str, Any]:
        return {**keys.verification(v.purpose, v.key).item(), "purpose": v.purpose, "subject": v.subject,
                "id": v.id, "digest": v.digest, "expires_at": codec.epoch(v.expires_at),
                "max_failures": v.max_failures, "failures": v.failures, "data": dict(v.data)}

    @staticmethod
    def _from(values: Mapping[str, Any]) -> Verification:
        return Verification(purpose=values["purpose"], subject=values["subject"], digest=values.get("digest"),
                            expires_at=datetime.fromtimestamp(values["expires_at"], tz=codec.UTC),
                            max_failures=int(values["max_failures"]), failures=int(values.get("failures") or 0),
                            data=values.get("data") or {}, id=values.get("id") or "")

    def start(self, verification: Verification, now: datetime) -> Verification | None:
        from dataclasses import replace as evolve

        v = verification
        carried = self._start_by_id(v, now) if v.id else self._start_by_subject(v, now)
        return None if carried is None else evolve(v, failures=max(v.failures, carried))

    def _start_by_subject(self, v: Verification, now: datetime) -> int | None:
        """One write in the usual case: the process is its own latest, so the older one's failures
        stay on the item (`if_not_exists`) unless it had expired."""
        item = self._item(v)
        names = {f"#{k}": k for k, value in item.items() if k not in ("pk", "sk", "failures") and value is not None}
        values = {f":{k}": item[k] for k in names.values()}
        with attempt() as write:
            old = self._t.update(
                item["pk"], item["sk"],
                "SET " + ", ".join(f"{n} = :{n[1:]}" for n in names) + ", failures = if_not_exists(failures, :f)",
                {**values, ":f": v.failures, ":now": codec.epoch(now)}, names,
                # `max_failures` missing: an item written before the one process (its code died with it).
                ConditionExpression="attribute_not_exists(pk) OR attribute_not_exists(max_failures)"
                                    " OR expires_at <= :now OR failures < max_failures",
                ReturnValues="ALL_OLD")
        if not write.won:
            return None  # the live one is exhausted: it stays, and ends when it expires
        if not old:
            return v.failures
        if old["expires_at"] > codec.epoch(now) and "max_failures" in old:
            return int(old.get("failures") or 0)
        # An expired process (TTL deletes late) hands down nothing.
        self._t.update(item["pk"], item["sk"], "SET failures = :f", {":f": v.failures, ":d": v.digest},
                       ConditionExpression="#digest = :d", names={"#digest": "digest"})
        return v.failures

    def _start_by_id(self, v: Verification, now: datetime) -> int | None:
        pk, sk = keys.verification_latest(v.purpose, v.subject)
        pointer = self._t.get(pk, sk)
        previous_id = pointer.get("id") if pointer else None
        if previous_id:
            previous = self._t.get(*keys.verification(v.purpose, previous_id))
            if previous and previous["expires_at"] > codec.epoch(now) and \
                    int(previous.get("failures") or 0) >= int(previous["max_failures"]):
                return None
        # Compare-and-set on the pointer: two racing resends both saw `previous_id`; one wins, and
        # the loser sends nothing, so it cannot start a second counter beside the first.
        # Left open: a third request landing between this write and the put below finds no process
        # to inherit from, so its count starts at zero. Closing that needs a transaction per resend;
        # the per-account cap (5 messages an hour) already bounds what it gives away.
        condition = "#id = :prev" if previous_id else "attribute_not_exists(pk)"
        values: dict[str, Any] = {":new": v.id, ":e": codec.epoch(v.expires_at)}
        if previous_id:
            values[":prev"] = previous_id
        with attempt() as write:
            self._t.update(pk, sk, "SET #id = :new, expires_at = :e", values, {"#id": "id"},
                           ConditionExpression=condition)
        if not write.won:
            return None
        carried = 0
        if previous_id:
            # Deleting returns the final count, failures recorded up to this very write included.
            old = self._t.delete(*keys.verification(v.purpose, previous_id), ReturnValues="ALL_OLD")
            if old and old["expires_at"] > codec.epoch(now):
                carried = int(old.get("failures") or 0)
        self._t.put({**self._item(v), "failures": max(v.failures, carried)})
        return carried

    def create(self, verification: Verification) -> None:
        self._t.put(self._item(verification), ConditionExpression="attribute_not_exists(pk)")

    def get(self, purpose: str, key: str, now: datetime) -> Verification | None:
        values = self._t.get(*keys.verification(purpose, key))
        if not values or values["expires_at"] <= codec.epoch(now) or "max_failures" not in values:
            return None
        return self._from(values)

    def fail(self, purpose: str, key: str, now: datetime) -> Verification | None:
        with attempt() as write:  # lost: absent, expired, or out of attempts
            out = self._t.update(*keys.verification(purpose, key), "ADD failures :one",
                                 {":one": 1, ":now": codec.epoch(now)},
                                 ConditionExpression="attribute_exists(pk) AND expires_at > :now"
                                                     " AND failures < max_failures",
                                 ReturnValues="ALL_NEW")
        return self._from(out) if write.won else None

    def complete(self, purpose: str, key: str, digest: str, now: datetime) -> Verification | None:
        old: dict[str, Any] | None = None
        with attempt():  # lost: absent, expired, a wrong code, or out of attempts
            old = self._t.delete(*keys.verification(purpose, key),
                                 ConditionExpression="attribute_exists(pk) AND expires_at > :now"
                                                     " AND #digest = :d AND failures < max_failures",
                                 ExpressionAttributeNames={"#digest": "digest"},
                                 ExpressionAttributeValues=to_item({":now": codec.epoch(now), ":d": digest}),
                                 ReturnValues="ALL_OLD")
        return self._from(old) if old else None
