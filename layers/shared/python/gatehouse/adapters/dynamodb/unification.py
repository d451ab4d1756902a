"""The unification port on DynamoDB."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from gatehouse.adapters import codec
from gatehouse.adapters.aws import translated
from gatehouse.adapters.dynamodb import keys as keymap  # as keymap: the methods' own `keys` are unified keys
from gatehouse.adapters.dynamodb.keys import SHARDS, shard
from gatehouse.adapters.dynamodb.table import Table, batch_get, batch_put, from_item, to_item, transact_each
from gatehouse.domain.accounts import normalise_email
from gatehouse.domain.archive import ArchivedRecord


class DynamoUnification:
    """Legacy archive (LEGACY#; gsi1 `LEGACY#<shard>`), unified account state (UNIFY#; gsi1
    `UNIFY#<state>#<shard>` / `<wave>#<key>`; a completed account once told moves to the index
    partitions `UNIFY#told#<shard>`, out of the notifier's way), waves (WAVES) and notification claims (NOTIFY#)."""

    def __init__(self, table: Table, transaction_size: int = 100) -> None:
        # 100 conditional writes go in one TransactWriteItems call; 1 writes them one by one.
        self._t, self._tx = table, transaction_size

    # --- archive ---
    def archive(self, records: list[ArchivedRecord]) -> list[str]:
        """Each record written only if its legacy id is new (a conditional write, so two imports
        racing with different content cannot both win); else `same` or `conflict`."""
        keys = [keymap.legacy(r.console, r.legacy_id) for r in records]
        existing = {i["pk"]: i["raw"] for i in batch_get(self._t, keys)}
        outcome: list[str] = []
        new: list[tuple[int, dict[str, Any]]] = []
        for index, ((pk, sk), r) in enumerate(zip(keys, records, strict=True)):
            if pk in existing:
                outcome.append("same" if existing[pk] == r.raw else "conflict")
                continue
            existing[pk] = r.raw  # a duplicate inside one batch is caught like one across batches
            outcome.append("new")
            new.append((index, {"pk": pk, "sk": sk, "gsi1pk": keymap.legacy_shard(shard(pk)),
                                "gsi1sk": keymap.legacy_in_shard(r.console, r.legacy_id), "console": r.console,
                                "legacy_id": r.legacy_id, "raw": r.raw}))
        ops = [{"Put": {"Item": to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}} for _, item in new]
        lost = [(index, item) for (index, item), won in zip(new, transact_each(self._t, ops, self._tx), strict=True)
                if not won]
        if lost:  # written meanwhile by another import: the same record, or another version
            now_there = {i["pk"]: i["raw"] for i in batch_get(self._t, [(item["pk"], item["sk"]) for _, item in lost])}
            for index, item in lost:
                outcome[index] = "same" if now_there.get(item["pk"]) == item["raw"] else "conflict"
        return outcome

    def iter_archive(self) -> Iterator[ArchivedRecord]:
        paginator = self._t.client.get_paginator("query")
        for number in range(SHARDS):
            for page in paginator.paginate(TableName=self._t.name, IndexName="gsi1",
                                           KeyConditionExpression="gsi1pk = :p",
                                           ExpressionAttributeValues=to_item({":p": keymap.legacy_shard(number)})):
                for raw_item in page["Items"]:
                    i = from_item(raw_item)
                    yield ArchivedRecord(i["console"], i["legacy_id"], i["raw"])

    def get_archived(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], ArchivedRecord]:
        items = batch_get(self._t, [keymap.legacy(c, lid) for c, lid in keys])
        return {(i["console"], i["legacy_id"]): ArchivedRecord(i["console"], i["legacy_id"], i["raw"]) for i in items}

    # --- state ---
    @staticmethod
    def _state_item(values: Mapping[str, Any]) -> dict[str, Any]:
        key = values["unified_key"]
        return {**values, **keymap.unified(key).item(), "gsi1pk": keymap.unified_state(values["state"], shard(key)),
                "gsi1sk": keymap.wave_member(values["wave"], key)}

    def plan_accounts(self, items: list[dict[str, Any]]) -> int:
        existing = {i["unified_key"] for i in batch_get(self._t, [keymap.unified(i["unified_key"]) for i in items])}
        fresh = [i for i in items if i["unified_key"] not in existing]
        puts: list[Mapping[str, Any]] = [self._state_item({**i, "state": "scheduled"}) for i in fresh]
        puts += [{**keymap.unified_email(normalise_email(i["email"])).item(), "unified_key": i["unified_key"]}
                 for i in fresh]
        batch_put(self._t, puts)
        return len(fresh)

    def put_wave(self, name: str, at: datetime) -> None:
        self._t.put({**keymap.wave(name).item(), "at": codec.iso(at)})

    def waves(self) -> list[tuple[str, datetime]]:
        items = self._t.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues=to_item({":p": keymap.WAVES}))
        return [(i["sk"], codec.parse_iso(i["at"])) for i in items]  # type: ignore[misc]

    def page(self, wave: str, state: str, limit: int, cursor: Any = None) -> tuple[list[dict[str, Any]], Any]:
        """Up to `limit` accounts, shard after shard; the cursor is (shard, DynamoDB's own key)."""
        number, start = (cursor["shard"], cursor.get("key")) if cursor else (0, None)
        while True:
            extra: dict[str, Any] = {"ExclusiveStartKey": start} if start else {}
            with translated("DynamoDB"):
                out = self._t.client.query(
                    TableName=self._t.name, IndexName="gsi1", Limit=limit,
                    KeyConditionExpression="gsi1pk = :p AND begins_with(gsi1sk, :w)",
                    ExpressionAttributeValues=to_item({":p": keymap.unified_state(state, number),
                                                       ":w": keymap.wave_member(wave)}), **extra)
            items, last = [from_item(i) for i in out["Items"]], out.get("LastEvaluatedKey")
            following = {"shard": number, "key": last} if last else ({"shard": number + 1} if number + 1 < SHARDS
                                                                      else None)
            if items or following is None:
                return items, following
            number, start = following["shard"], following.get("key")

    def get_states(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        return {i["unified_key"]: i for i in batch_get(self._t, [keymap.unified(k) for k in keys])}

    def find_by_email(self, email: str) -> dict[str, Any] | None:
        pointer = self._t.get(*keymap.unified_email(normalise_email(email)))
        return self._t.get(*keymap.unified(pointer["unified_key"])) if pointer else None

    def transition(self, keys: list[str], from_state: str, to_state: str, at: datetime) -> list[str]:
        ops = []
        for k in keys:
            ops.append({"Update": {
                "Key": to_item(keymap.unified(k).item()),
                "UpdateExpression": f"SET #s = :to, gsi1pk = :g, {to_state}_at = :at",
                "ConditionExpression": "#s = :from",
                "ExpressionAttributeNames": {"#s": "state"},
                "ExpressionAttributeValues": to_item({":to": to_state, ":from": from_state, ":at": codec.iso(at),
                                                      ":g": keymap.unified_state(to_state, shard(k))}),
            }})
        return [k for k, ok in zip(keys, transact_each(self._t, ops, self._tx), strict=True) if ok]

    def mark_told(self, keys: list[str], at: datetime) -> list[str]:
        ops = [{"Update": {
            "Key": to_item(keymap.unified(k).item()),
            "UpdateExpression": "SET gsi1pk = :g, told_at = if_not_exists(told_at, :at)",
            "ConditionExpression": "#s = :completed",
            "ExpressionAttributeNames": {"#s": "state"},
            "ExpressionAttributeValues": to_item({":completed": "completed", ":at": codec.iso(at),
                                                  ":g": keymap.unified_state("told", shard(k))}),
        }} for k in keys]
        return [k for k, ok in zip(keys, transact_each(self._t, ops, self._tx), strict=True) if ok]

    def count(self, wave: str, state: str, *, untold: bool = False) -> int:
        partitions = [state] + (["told"] if state == "completed" and not untold else [])
        total = 0
        paginator = self._t.client.get_paginator("query")
        for partition in partitions:
            for number in range(SHARDS):
                for page in paginator.paginate(
                        TableName=self._t.name, IndexName="gsi1", Select="COUNT",
                        KeyConditionExpression="gsi1pk = :p AND begins_with(gsi1sk, :w)",
                        ExpressionAttributeValues=to_item({":p": keymap.unified_state(partition, number),
                                                           ":w": keymap.wave_member(wave)})):
                    total += int(page["Count"])
        return total

    # --- notification claims ---
    def claim(self, keys: list[str], stage: str, now: datetime, lease_seconds: int) -> list[str]:
        ops = [{"Put": {
            "Item": to_item({**keymap.notification(k, stage).item(), "lease_until": codec.epoch(now) + lease_seconds}),
            "ConditionExpression": "attribute_not_exists(pk) OR (attribute_not_exists(sent_at) AND lease_until < :now)",
            "ExpressionAttributeValues": to_item({":now": codec.epoch(now)}),
        }} for k in keys]
        return [k for k, ok in zip(keys, transact_each(self._t, ops, self._tx), strict=True) if ok]

    def mark_sent(self, keys: list[str], stage: str, now: datetime) -> None:
        batch_put(self._t, [{**keymap.notification(k, stage).item(), "lease_until": codec.epoch(now),
                              "sent_at": codec.iso(now)} for k in keys])

    def sent(self, keys: list[str], stage: str) -> set[str]:
        items = batch_get(self._t, [keymap.notification(k, stage) for k in keys])
        return {keymap.notified_key(i["pk"], stage) for i in items if i.get("sent_at")}
