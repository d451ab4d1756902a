"""DynamoDB adapters: one table, single-table design, TTL on `expires_at`.

Keys: `pk`/`sk`; one GSI (`gsi1pk`/`gsi1sk`) lists an account's sessions. Every one-time
consumption is one conditional write: DynamoDB's TTL deletes expired items only eventually (moto
never does), so each condition re-checks `expires_at > now` itself.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from gatehouse.adapters import codec
from gatehouse.adapters.aws import client, error_code, translated
from gatehouse.adapters.ddb_types import TypeDeserializer, TypeSerializer
from gatehouse.domain.accounts import Account, Resource, normalise_email
from gatehouse.domain.sessions import Session
from gatehouse.domain.throttling import FailureRecord
from gatehouse.domain.verification import Verification
from gatehouse.errors import ConditionFailedError, ConflictError
from gatehouse.ports import (
    AccountApiKey,
    ArchivedRecord,
    Factor,
    Grant,
    LinkedIdentity,
    Member,
    OneTimeItem,
    OutboxMessage,
    RecoveryRequest,
)
from gatehouse.settings import Settings

_ser = TypeSerializer()
_de = TypeDeserializer()


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(v) for k, v in values.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return codec.plain({k: _de.deserialize(v) for k, v in item.items()})


class Table:
    """The table and its client; adapters share one per cold start."""

    def __init__(self, settings: Settings) -> None:
        self.name = settings.table_name
        self.client = client("dynamodb", settings)

    def get(self, pk: str, sk: str, *, consistent: bool = True) -> dict[str, Any] | None:
        with translated("DynamoDB"):
            got = self.client.get_item(
                TableName=self.name, Key=to_item({"pk": pk, "sk": sk}), ConsistentRead=consistent
            )
        return from_item(got["Item"]) if "Item" in got else None

    def put(self, values: Mapping[str, Any], **kwargs: Any) -> None:
        with translated("DynamoDB"):
            self.client.put_item(TableName=self.name, Item=to_item(values), **kwargs)

    def delete(self, pk: str, sk: str, **kwargs: Any) -> dict[str, Any] | None:
        with translated("DynamoDB"):
            out = self.client.delete_item(TableName=self.name, Key=to_item({"pk": pk, "sk": sk}), **kwargs)
        return from_item(out["Attributes"]) if out.get("Attributes") else None

    def update(self, pk: str, sk: str, expression: str, values: Mapping[str, Any],
               names: Mapping[str, str] | None = None, **kwargs: Any) -> dict[str, Any]:
        extra: dict[str, Any] = {"ExpressionAttributeNames": dict(names)} if names else {}
        with translated("DynamoDB"):
            out = self.client.update_item(
                TableName=self.name, Key=to_item({"pk": pk, "sk": sk}), UpdateExpression=expression,
                ExpressionAttributeValues=to_item(values), **extra, **kwargs,
            )
        return from_item(out.get("Attributes") or {})

    def query(self, **kwargs: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        paginator = self.client.get_paginator("query")
        with translated("DynamoDB"):
            for page in paginator.paginate(TableName=self.name, **kwargs):
                items.extend(from_item(i) for i in page["Items"])
        return items

    def transact(self, operations: list[dict[str, Any]]) -> None:
        for op in operations:
            next(iter(op.values()))["TableName"] = self.name
        with translated("DynamoDB"):
            self.client.transact_write_items(TransactItems=operations)

    def batch_delete(self, keys: Iterable[tuple[str, str]]) -> None:
        pending = [{"DeleteRequest": {"Key": to_item({"pk": pk, "sk": sk})}} for pk, sk in keys]
        with translated("DynamoDB"):
            while pending:
                chunk, pending = pending[:25], pending[25:]
                out = self.client.batch_write_item(RequestItems={self.name: chunk})
                pending.extend(out.get("UnprocessedItems", {}).get(self.name, []))


def _conditional_failed(exc: ClientError) -> bool:
    return error_code(exc) in ("ConditionalCheckFailedException", "TransactionCanceledException")


class DynamoAccounts:
    def __init__(self, table: Table) -> None:
        self._t = table

    @staticmethod
    def _key(account_id: str) -> tuple[str, str]:
        return f"ACCOUNT#{account_id}", "A"

    @staticmethod
    def _claim(kind: str, value: str) -> tuple[str, str]:
        return f"CLAIM#{kind}#{value}", "C"

    def get(self, account_id: str) -> Account | None:
        item = self._t.get(*self._key(account_id))
        return codec.account_from_dict(item["data"]) if item else None

    def get_by_email(self, email: str) -> Account | None:
        return self._by_claim("email", normalise_email(email))

    def find_by_alias(self, kind: str, value: str) -> Account | None:
        return self._by_claim(kind, value.strip().lower())

    def _by_claim(self, kind: str, value: str) -> Account | None:
        claim = self._t.get(*self._claim(kind, value))
        return self.get(claim["account_id"]) if claim else None

    def _claim_op(self, kind: str, value: str, account_id: str) -> dict[str, Any]:
        pk, sk = self._claim(kind, value)
        return {"Put": {"Item": to_item({"pk": pk, "sk": sk, "account_id": account_id}),
                        "ConditionExpression": "attribute_not_exists(pk)"}}

    def _account_item(self, account: Account) -> dict[str, Any]:
        pk, sk = self._key(account.id)
        return {"pk": pk, "sk": sk, "version": account.version, "data": codec.account_to_dict(account)}

    def _add_ops(self, account: Account, aliases: Mapping[str, Iterable[str]]) -> list[dict[str, Any]]:
        ops = [{"Put": {"Item": to_item(self._account_item(account)),
                        "ConditionExpression": "attribute_not_exists(pk)"}},
               self._claim_op("email", account.email_key, account.id)]
        return ops + [self._claim_op(kind, v.strip().lower(), account.id) for kind, vs in aliases.items() for v in vs]

    def add_many(self, entries: Sequence[tuple[Account, Mapping[str, Iterable[str]]]]) -> list[bool]:
        """Accounts packed up to 100 writes a transaction (a unified account is 3 to 6), no item
        twice in one. A cancelled transaction says which writes failed: their accounts are out,
        the rest is sent again. About 20 accounts a call instead of one."""
        added = [False] * len(entries)
        packs: list[list[tuple[int, list[dict[str, Any]]]]] = [[]]
        used: set[str] = set()
        for index, (account, aliases) in enumerate(entries):
            ops = self._add_ops(account, aliases)
            keys = {json.dumps([next(iter(op.values()))["Item"][k] for k in ("pk", "sk")]) for op in ops}
            size = sum(len(o) for _, o in packs[-1])
            if len(ops) > 100:
                continue  # more claims than one transaction holds: it cannot be added atomically
            if size + len(ops) > 100 or keys & used:
                packs.append([])
                used = set()
            packs[-1].append((index, ops))
            used |= keys
        for pack in packs:
            while pack:
                batch = [op for _, ops in pack for op in ops]
                try:
                    self._t.transact(batch)
                except ClientError as exc:
                    reasons = exc.response.get("CancellationReasons") or []
                    if error_code(exc) != "TransactionCanceledException" or len(reasons) != len(batch):
                        raise
                    failed, start = set(), 0
                    for index, ops in pack:
                        if any(r.get("Code") not in (None, "None") for r in reasons[start:start + len(ops)]):
                            failed.add(index)
                        start += len(ops)
                    pack = [(i, o) for i, o in pack if i not in failed]
                    continue
                for index, _ in pack:
                    added[index] = True
                break
        return added

    def add(self, account: Account, aliases: Mapping[str, Iterable[str]] = {}) -> None:
        ops = self._add_ops(account, aliases)
        try:
            self._t.transact(ops)
        except ClientError as exc:
            if _conditional_failed(exc):
                raise ConflictError("An account with this email already exists.") from exc
            raise

    def save(self, account: Account) -> Account:
        current = self.get(account.id)
        if current is None or current.version != account.version:
            raise ConditionFailedError()
        saved = account.evolve(version=account.version + 1)
        put: dict[str, Any] = {"Put": {
            "Item": to_item(self._account_item(saved)),
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": to_item({":v": account.version}),
        }}
        ops = [put]
        if current.email_key != saved.email_key:
            old_pk, old_sk = self._claim("email", current.email_key)
            ops.append({"Delete": {"Key": to_item({"pk": old_pk, "sk": old_sk})}})
            ops.append(self._claim_op("email", saved.email_key, saved.id))
        try:
            self._t.transact(ops)
        except ClientError as exc:
            if _conditional_failed(exc):
                raise ConditionFailedError() from exc
            raise
        return saved


class DynamoSessions:
    def __init__(self, table: Table) -> None:
        self._t = table

    @staticmethod
    def _key(token_hash: str) -> tuple[str, str]:
        return f"SESSION#{token_hash}", "S"

    def _item(self, s: Session) -> dict[str, Any]:
        pk, sk = self._key(s.token_hash)
        return {"pk": pk, "sk": sk, "gsi1pk": f"SESSIONS#{s.account_id}", "gsi1sk": codec.iso(s.created_at),
                "expires_at": codec.epoch(s.expires_at), "data": codec.session_to_dict(s)}

    def add(self, session: Session) -> None:
        self._t.put(self._item(session), ConditionExpression="attribute_not_exists(pk)")

    def save(self, session: Session) -> None:
        # Only a session that still exists may be refreshed: a logout racing a request must win.
        try:
            self._t.put(self._item(session), ConditionExpression="attribute_exists(pk)")
        except ClientError as exc:
            if _conditional_failed(exc):
                raise ConditionFailedError() from exc
            raise

    def get(self, token_hash: str, now: datetime) -> Session | None:
        item = self._t.get(*self._key(token_hash))
        if not item or item["expires_at"] <= codec.epoch(now):
            return None
        return codec.session_from_dict(item["data"])

    def delete(self, token_hash: str) -> None:
        self._t.delete(*self._key(token_hash))

    def list_for_account(self, account_id: str, now: datetime) -> list[Session]:
        items = self._t.query(
            IndexName="gsi1", KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues=to_item({":p": f"SESSIONS#{account_id}"}),
        )
        sessions = [codec.session_from_dict(i["data"]) for i in items if i["expires_at"] > codec.epoch(now)]
        return sorted(sessions, key=lambda s: s.created_at)

    def delete_for_account(self, account_id: str, keep: str | None = None) -> int:
        items = self._t.query(
            IndexName="gsi1", KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues=to_item({":p": f"SESSIONS#{account_id}"}),
        )
        keys = [(i["pk"], i["sk"]) for i in items if i["pk"] != self._key(keep or "")[0]]
        self._t.batch_delete(keys)
        return len(keys)


class DynamoOneTime:
    def __init__(self, table: Table) -> None:
        self._t = table

    @staticmethod
    def _key(kind: str, key: str) -> tuple[str, str]:
        return f"ONCE#{kind}#{key}", "O"

    @staticmethod
    def _latest(kind: str, subject: str) -> tuple[str, str]:
        return f"LATEST#{kind}#{subject}", "L"

    def put(self, item: OneTimeItem) -> None:
        pk, sk = self._key(item.kind, item.key)
        self._t.put({"pk": pk, "sk": sk, "subject": item.subject, "expires_at": codec.epoch(item.expires_at),
                     "data": dict(item.data)})

    @staticmethod
    def _from(kind: str, key: str, values: Mapping[str, Any]) -> OneTimeItem:
        return OneTimeItem(kind=kind, key=key, subject=values["subject"],
                           expires_at=datetime.fromtimestamp(values["expires_at"], tz=codec.UTC),
                           data=values.get("data") or {})

    def get(self, kind: str, key: str, now: datetime) -> OneTimeItem | None:
        values = self._t.get(*self._key(kind, key))
        if not values or values["expires_at"] <= codec.epoch(now):
            return None
        return self._from(kind, key, values)

    def consume(self, kind: str, key: str, now: datetime, *, bound_to: Mapping[str, Any] | None = None
                ) -> OneTimeItem | None:
        condition = "attribute_exists(pk) AND expires_at > :now"
        values: dict[str, Any] = {":now": codec.epoch(now)}
        names: dict[str, str] = {}
        for i, (field, expected) in enumerate((bound_to or {}).items()):
            condition += f" AND #d.#b{i} = :b{i}"
            names["#d"], names[f"#b{i}"] = "data", field
            values[f":b{i}"] = expected
        extra: dict[str, Any] = {"ExpressionAttributeNames": names} if names else {}
        try:
            old = self._t.delete(*self._key(kind, key), ConditionExpression=condition,
                                 ExpressionAttributeValues=to_item(values), ReturnValues="ALL_OLD", **extra)
        except ClientError as exc:
            if _conditional_failed(exc):
                return None
            raise
        return self._from(kind, key, old) if old else None

    def replace_latest(self, item: OneTimeItem) -> None:
        self.put(item)
        pk, sk = self._latest(item.kind, item.subject)
        previous = self._t.update(pk, sk, "SET #k = :k, expires_at = :e",
                                  {":k": item.key, ":e": codec.epoch(item.expires_at)}, {"#k": "key"},
                                  ReturnValues="UPDATED_OLD")
        if previous.get("key") and previous["key"] != item.key:
            self._t.delete(*self._key(item.kind, previous["key"]))

    def delete_for_subject(self, kind: str, subject: str) -> None:
        previous = self._t.delete(*self._latest(kind, subject), ReturnValues="ALL_OLD")
        if previous and previous.get("key"):
            self._t.delete(*self._key(kind, previous["key"]))


class DynamoThrottle:
    def __init__(self, table: Table) -> None:
        self._t = table

    def failures(self, key: str, now: datetime) -> FailureRecord:
        item = self._t.get(f"THROTTLE#{key}", "T", consistent=False)
        if not item or item["expires_at"] <= codec.epoch(now):
            return FailureRecord(0, None)
        return FailureRecord(int(item["count"]), codec.parse_iso(item.get("last_failure_at")))

    def record_failure(self, key: str, now: datetime, ttl_seconds: int) -> FailureRecord:
        count = self._count(f"THROTTLE#{key}", "T", now, codec.epoch(now) + ttl_seconds,
                            {"last_failure_at": codec.iso(now)})
        return FailureRecord(count, now)

    def clear(self, key: str) -> None:
        self._t.delete(f"THROTTLE#{key}", "T")

    def hit(self, key: str, now: datetime, window_seconds: int) -> int:
        window = codec.epoch(now) // window_seconds
        return self._count(f"RATE#{key}#{window}", "R", now, (window + 1) * window_seconds + 60, {})

    def _count(self, pk: str, sk: str, now: datetime, expires_at: int, also: Mapping[str, Any]) -> int:
        """One more on a live counter, one conditional ADD (ten concurrent failures count as ten).
        TTL deletes late, so an expired item may still be there: the ADD's condition refuses it and a
        put conditional on that expiry restarts the counter at 1; a writer that lost that race to
        another restart counts on top of it, so two racing restarts count 2."""
        now_epoch = codec.epoch(now)
        setting = "".join(f", {name} = :{name}" for name in also)
        values = {":one": 1, ":e": expires_at, ":now": now_epoch, **{f":{k}": v for k, v in also.items()}}
        for _ in range(3):
            try:
                out = self._t.update(pk, sk, f"ADD #c :one SET expires_at = :e{setting}", values, {"#c": "count"},
                                     ConditionExpression="attribute_not_exists(pk) OR expires_at > :now",
                                     ReturnValues="ALL_NEW")
                return int(out["count"])
            except ClientError as exc:
                if not _conditional_failed(exc):
                    raise
            try:
                self._t.put({"pk": pk, "sk": sk, "count": 1, "expires_at": expires_at, **also},
                            ConditionExpression="expires_at <= :now",
                            ExpressionAttributeValues=to_item({":now": now_epoch}))
                return 1
            except ClientError as exc:
                if not _conditional_failed(exc):
                    raise
        # Only writers whose clocks disagree keep flipping it between live and expired: count on,
        # since counting too many is the safe side of a throttle.
        out = self._t.update(pk, sk, f"ADD #c :one SET expires_at = :e{setting}",
                             {k: v for k, v in values.items() if k != ":now"}, {"#c": "count"}, ReturnValues="ALL_NEW")
        return int(out["count"])


class DynamoOutbox:
    """Local stage only: the mail and SMS the stack sent, newest last."""

    def __init__(self, table: Table) -> None:
        self._t = table

    def record(self, *messages: OutboxMessage) -> None:
        from gatehouse.domain.secrets import new_id

        items = [{"pk": "OUTBOX", "sk": f"{codec.iso(m.sent_at)}#{new_id('m')}", "channel": m.channel,
                  "to": m.to.lower(), "subject": m.subject, "text": m.text, "html": m.html,
                  "sent_at": codec.iso(m.sent_at)} for m in messages]
        if len(items) == 1:
            self._t.put(items[0])
        else:
            _batch_put(self._t, items)  # a bulk send's messages, 25 a call

    def list(self, to: str | None) -> list[OutboxMessage]:
        items = self._t.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues=to_item({":p": "OUTBOX"}))
        wanted = to.strip().lower() if to else None
        return [
            OutboxMessage(channel=i["channel"], to=i["to"], subject=i.get("subject", ""), text=i.get("text", ""),
                          html=i.get("html", ""), sent_at=codec.parse_iso(i["sent_at"]))  # type: ignore[arg-type]
            for i in items if wanted is None or i["to"] == wanted
        ]


def _batch_get(t: Table, keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """BatchGetItem, 100 keys a call, retrying what DynamoDB leaves unprocessed."""
    found: list[dict[str, Any]] = []
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), 100):
        chunk = unique[start:start + 100]
        request: dict[str, Any] = {t.name: {"Keys": [to_item({"pk": pk, "sk": sk}) for pk, sk in chunk],
                                            "ConsistentRead": True}}
        while request:
            with translated("DynamoDB"):
                out = t.client.batch_get_item(RequestItems=request)
            found.extend(from_item(i) for i in out["Responses"].get(t.name, []))
            request = out.get("UnprocessedKeys") or {}
    return found


def _batch_put(t: Table, items: Sequence[Mapping[str, Any]]) -> None:
    pending = [{"PutRequest": {"Item": to_item(i)}} for i in items]
    with translated("DynamoDB"):
        while pending:
            chunk, pending = pending[:25], pending[25:]
            out = t.client.batch_write_item(RequestItems={t.name: chunk})
            pending.extend(out.get("UnprocessedItems", {}).get(t.name, []))


def _transact_each(t: Table, ops: list[dict[str, Any]], size: int = 100) -> list[bool]:
    """Apply conditional writes 100 to a transaction; per op, whether it won.

    A transaction is all or nothing, so when one condition fails the others are retried alone
    (CancellationReasons says which one failed): one call per 100 in the common case, and a lost
    race never blocks the rest of its batch.
    """
    won = [False] * len(ops)
    if size <= 1:
        return [_single(t, op) for op in ops]
    for start in range(0, len(ops), size):
        chunk = list(range(start, min(start + size, len(ops))))
        while chunk:
            batch = [dict(ops[i]) for i in chunk]
            for op in batch:
                next(iter(op.values()))["TableName"] = t.name
            try:
                with translated("DynamoDB"):
                    t.client.transact_write_items(TransactItems=batch)
            except ClientError as exc:
                if error_code(exc) != "TransactionCanceledException":
                    raise
                reasons = exc.response.get("CancellationReasons") or []
                if len(reasons) != len(chunk):
                    for i in chunk:  # no reasons to go by: one write each
                        won[i] = _single(t, ops[i])
                    break
                failed = {i for i, r in zip(chunk, reasons, strict=True) if r.get("Code") not in (None, "None")}
                chunk = [i for i in chunk if i not in failed]
                continue
            for i in chunk:
                won[i] = True
            break
    return won


def _single(t: Table, op: dict[str, Any]) -> bool:
    kind, body = next(iter(op.items()))
    body = {**body, "TableName": t.name}
    try:
        with translated("DynamoDB"):
            if kind == "Put":
                t.client.put_item(**body)
            else:
                t.client.update_item(**body)
    except ClientError as exc:
        if _conditional_failed(exc):
            return False
        raise
    return True


# The archive and each state are spread over 16 index partitions (by a hash of the key): no hot
# partition when 100,000s are written at once, and each page query stays within one of them.
SHARDS = 16


def _shard(key: str) -> int:
    return zlib.crc32(key.encode("utf-8")) % SHARDS


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
        keys = [(f"LEGACY#{r.console}#{r.legacy_id}", "R") for r in records]
        existing = {i["pk"]: i["raw"] for i in _batch_get(self._t, keys)}
        outcome: list[str] = []
        new: list[tuple[int, dict[str, Any]]] = []
        for index, ((pk, sk), r) in enumerate(zip(keys, records, strict=True)):
            if pk in existing:
                outcome.append("same" if existing[pk] == r.raw else "conflict")
                continue
            existing[pk] = r.raw  # a duplicate inside one batch is caught like one across batches
            outcome.append("new")
            new.append((index, {"pk": pk, "sk": sk, "gsi1pk": f"LEGACY#{_shard(pk)}",
                                "gsi1sk": f"{r.console}#{r.legacy_id}", "console": r.console,
                                "legacy_id": r.legacy_id, "raw": r.raw}))
        ops = [{"Put": {"Item": to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}} for _, item in new]
        lost = [(index, item) for (index, item), won in zip(new, _transact_each(self._t, ops, self._tx), strict=True)
                if not won]
        if lost:  # written meanwhile by another import: the same record, or another version
            now_there = {i["pk"]: i["raw"] for i in _batch_get(self._t, [(item["pk"], "R") for _, item in lost])}
            for index, item in lost:
                outcome[index] = "same" if now_there.get(item["pk"]) == item["raw"] else "conflict"
        return outcome

    def iter_archive(self) -> Iterator[ArchivedRecord]:
        paginator = self._t.client.get_paginator("query")
        for shard in range(SHARDS):
            for page in paginator.paginate(TableName=self._t.name, IndexName="gsi1",
                                           KeyConditionExpression="gsi1pk = :p",
                                           ExpressionAttributeValues=to_item({":p": f"LEGACY#{shard}"})):
                for raw_item in page["Items"]:
                    i = from_item(raw_item)
                    yield ArchivedRecord(i["console"], i["legacy_id"], i["raw"])

    def get_archived(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], ArchivedRecord]:
        items = _batch_get(self._t, [(f"LEGACY#{c}#{lid}", "R") for c, lid in keys])
        return {(i["console"], i["legacy_id"]): ArchivedRecord(i["console"], i["legacy_id"], i["raw"]) for i in items}

    # --- state ---
    @staticmethod
    def _state_item(values: Mapping[str, Any]) -> dict[str, Any]:
        return {**values, "pk": f"UNIFY#{values['unified_key']}", "sk": "U",
                "gsi1pk": f"UNIFY#{values['state']}#{_shard(values['unified_key'])}",
                "gsi1sk": f"{values['wave']}#{values['unified_key']}"}

    def plan_accounts(self, items: list[dict[str, Any]]) -> int:
        existing = {i["unified_key"] for i in _batch_get(self._t, [(f"UNIFY#{i['unified_key']}", "U") for i in items])}
        fresh = [i for i in items if i["unified_key"] not in existing]
        puts: list[Mapping[str, Any]] = [self._state_item({**i, "state": "scheduled"}) for i in fresh]
        puts += [{"pk": f"UNIFYEMAIL#{normalise_email(i['email'])}", "sk": "E", "unified_key": i["unified_key"]}
                 for i in fresh]
        _batch_put(self._t, puts)
        return len(fresh)

    def put_wave(self, name: str, at: datetime) -> None:
        self._t.put({"pk": "WAVES", "sk": name, "at": codec.iso(at)})

    def waves(self) -> list[tuple[str, datetime]]:
        items = self._t.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues=to_item({":p": "WAVES"}))
        return [(i["sk"], codec.parse_iso(i["at"])) for i in items]  # type: ignore[misc]

    def page(self, wave: str, state: str, limit: int, cursor: Any = None) -> tuple[list[dict[str, Any]], Any]:
        """Up to `limit` accounts, shard after shard; the cursor is (shard, DynamoDB's own key)."""
        shard, start = (cursor["shard"], cursor.get("key")) if cursor else (0, None)
        while True:
            extra: dict[str, Any] = {"ExclusiveStartKey": start} if start else {}
            with translated("DynamoDB"):
                out = self._t.client.query(
                    TableName=self._t.name, IndexName="gsi1", Limit=limit,
                    KeyConditionExpression="gsi1pk = :p AND begins_with(gsi1sk, :w)",
                    ExpressionAttributeValues=to_item({":p": f"UNIFY#{state}#{shard}", ":w": f"{wave}#"}), **extra)
            items, last = [from_item(i) for i in out["Items"]], out.get("LastEvaluatedKey")
            following = {"shard": shard, "key": last} if last else ({"shard": shard + 1} if shard + 1 < SHARDS
                                                                     else None)
            if items or following is None:
                return items, following
            shard, start = following["shard"], following.get("key")

    def get_states(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        return {i["unified_key"]: i for i in _batch_get(self._t, [(f"UNIFY#{k}", "U") for k in keys])}

    def find_by_email(self, email: str) -> dict[str, Any] | None:
        pointer = self._t.get(f"UNIFYEMAIL#{normalise_email(email)}", "E")
        return self._t.get(f"UNIFY#{pointer['unified_key']}", "U") if pointer else None

    def transition(self, keys: list[str], from_state: str, to_state: str, at: datetime) -> list[str]:
        ops = []
        for k in keys:
            ops.append({"Update": {
                "Key": to_item({"pk": f"UNIFY#{k}", "sk": "U"}),
                "UpdateExpression": f"SET #s = :to, gsi1pk = :g, {to_state}_at = :at",
                "ConditionExpression": "#s = :from",
                "ExpressionAttributeNames": {"#s": "state"},
                "ExpressionAttributeValues": to_item({":to": to_state, ":from": from_state, ":at": codec.iso(at),
                                                      ":g": f"UNIFY#{to_state}#{_shard(k)}"}),
            }})
        return [k for k, ok in zip(keys, _transact_each(self._t, ops, self._tx), strict=True) if ok]

    def mark_told(self, keys: list[str], at: datetime) -> list[str]:
        ops = [{"Update": {
            "Key": to_item({"pk": f"UNIFY#{k}", "sk": "U"}),
            "UpdateExpression": "SET gsi1pk = :g, told_at = if_not_exists(told_at, :at)",
            "ConditionExpression": "#s = :completed",
            "ExpressionAttributeNames": {"#s": "state"},
            "ExpressionAttributeValues": to_item({":completed": "completed", ":at": codec.iso(at),
                                                  ":g": f"UNIFY#told#{_shard(k)}"}),
        }} for k in keys]
        return [k for k, ok in zip(keys, _transact_each(self._t, ops, self._tx), strict=True) if ok]

    def count(self, wave: str, state: str, *, untold: bool = False) -> int:
        partitions = [state] + (["told"] if state == "completed" and not untold else [])
        total = 0
        paginator = self._t.client.get_paginator("query")
        for partition in partitions:
            for shard in range(SHARDS):
                for page in paginator.paginate(
                        TableName=self._t.name, IndexName="gsi1", Select="COUNT",
                        KeyConditionExpression="gsi1pk = :p AND begins_with(gsi1sk, :w)",
                        ExpressionAttributeValues=to_item({":p": f"UNIFY#{partition}#{shard}", ":w": f"{wave}#"})):
                    total += int(page["Count"])
        return total

    # --- notification claims ---
    def claim(self, keys: list[str], stage: str, now: datetime, lease_seconds: int) -> list[str]:
        ops = [{"Put": {
            "Item": to_item({"pk": f"NOTIFY#{k}#{stage}", "sk": "N", "lease_until": codec.epoch(now) + lease_seconds}),
            "ConditionExpression": "attribute_not_exists(pk) OR (attribute_not_exists(sent_at) AND lease_until < :now)",
            "ExpressionAttributeValues": to_item({":now": codec.epoch(now)}),
        }} for k in keys]
        return [k for k, ok in zip(keys, _transact_each(self._t, ops, self._tx), strict=True) if ok]

    def mark_sent(self, keys: list[str], stage: str, now: datetime) -> None:
        _batch_put(self._t, [{"pk": f"NOTIFY#{k}#{stage}", "sk": "N", "lease_until": codec.epoch(now),
                              "sent_at": codec.iso(now)} for k in keys])

    def sent(self, keys: list[str], stage: str) -> set[str]:
        items = _batch_get(self._t, [(f"NOTIFY#{k}#{stage}", "N") for k in keys])
        return {i["pk"][len("NOTIFY#"):-len(stage) - 1] for i in items if i.get("sent_at")}



class DynamoApiKeys:
    """Each key is two items written and deleted together: `APIKEY#<key id>` / `K`, what
    verification reads (one GetItem), and `ACCOUNT#<id>` / `APIKEY#<key id>`, beside the account,
    what the list reads (one consistent Query, no index lag). Neither holds the secret, only its digest."""

    def __init__(self, table: Table) -> None:
        self._t = table

    @staticmethod
    def _items(key: AccountApiKey) -> tuple[dict[str, Any], dict[str, Any]]:
        values = {"key_id": key.key_id, "account_id": key.account_id, "name": key.name,
                  "created_at": codec.iso(key.created_at), "console": key.console, "context": key.context}
        return ({**values, "pk": f"APIKEY#{key.key_id}", "sk": "K", "secret_sha256": key.secret_sha256},
                {**values, "pk": f"ACCOUNT#{key.account_id}", "sk": f"APIKEY#{key.key_id}",
                 "secret_sha256": key.secret_sha256})

    @staticmethod
    def _from(values: Mapping[str, Any]) -> AccountApiKey:
        return AccountApiKey(key_id=values["key_id"], account_id=values["account_id"],
                             secret_sha256=values["secret_sha256"], name=values.get("name") or values["key_id"],
                             created_at=codec.parse_iso(values["created_at"]),  # type: ignore[arg-type]
                             console=values.get("console"), context=values.get("context"))

    def add(self, key: AccountApiKey) -> None:
        lookup, listed = self._items(key)
        try:
            self._t.transact([{"Put": {"Item": to_item(lookup), "ConditionExpression": "attribute_not_exists(pk)"}},
                              {"Put": {"Item": to_item(listed)}}])
        except ClientError as exc:
            if _conditional_failed(exc):
                raise ConditionFailedError() from exc
            raise

    def add_many(self, keys: list[AccountApiKey]) -> None:
        _batch_put(self._t, [item for key in keys for item in self._items(key)])

    def get(self, key_id: str) -> AccountApiKey | None:
        values = self._t.get(f"APIKEY#{key_id}", "K")
        return self._from(values) if values else None

    def list(self, account_id: str) -> list[AccountApiKey]:
        items = self._t.query(KeyConditionExpression="pk = :p AND begins_with(sk, :k)",
                              ExpressionAttributeValues=to_item({":p": f"ACCOUNT#{account_id}", ":k": "APIKEY#"}),
                              ConsistentRead=True)
        return sorted((self._from(i) for i in items), key=lambda k: (k.created_at, k.key_id))

    def delete(self, account_id: str, key_id: str) -> bool:
        # Both items, only if the account's own item is there: nobody deletes another's key.
        try:
            self._t.transact([
                {"Delete": {"Key": to_item({"pk": f"ACCOUNT#{account_id}", "sk": f"APIKEY#{key_id}"}),
                            "ConditionExpression": "attribute_exists(pk)"}},
                {"Delete": {"Key": to_item({"pk": f"APIKEY#{key_id}", "sk": "K"})}},
            ])
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True


class DynamoOrganizations:
    """A member is two items: `ACCOUNT#<owner>` / `MEMBER#<id>` (the owner's list) and
    `MEMBEROF#<email>` / `<owner>` (what an access check reads; its key makes one email a member
    of one organization once). A grant likewise: `ACCOUNT#<owner>` / `GRANT#<id>` and
    `GRANTEE#<email>` / `<owner>#<id>`. Both items of one are written and deleted in one transaction."""

    def __init__(self, table: Table) -> None:
        self._t = table

    @staticmethod
    def _member(v: Mapping[str, Any]) -> Member:
        return Member(id=v["member_id"], owner_id=v["owner_id"], email=v["email"], role=v["role"],
                      created_at=codec.parse_iso(v["created_at"]))  # type: ignore[arg-type]

    @staticmethod
    def _grant(v: Mapping[str, Any]) -> Grant:
        expires = v.get("grant_expires_at")
        return Grant(id=v["grant_id"], owner_id=v["owner_id"], grantee_email=v["grantee_email"],
                     resources=tuple(v["resources"]), permissions=tuple(v["permissions"]),
                     created_at=codec.parse_iso(v["created_at"]),  # type: ignore[arg-type]
                     expires_at=codec.parse_iso(expires) if expires else None)

    def _query(self, pk: str, prefix: str = "") -> list[dict[str, Any]]:
        if prefix:
            return self._t.query(KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                                 ExpressionAttributeValues=to_item({":p": pk, ":s": prefix}), ConsistentRead=True)
        return self._t.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues=to_item({":p": pk}),
                             ConsistentRead=True)

    def _remove(self, owner_id: str, listed_sk: str, other: tuple[str, str]) -> bool:
        try:
            self._t.transact([
                {"Delete": {"Key": to_item({"pk": f"ACCOUNT#{owner_id}", "sk": listed_sk}),
                            "ConditionExpression": "attribute_exists(pk)"}},
                {"Delete": {"Key": to_item({"pk": other[0], "sk": other[1]})}},
            ])
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def add_member(self, member: Member) -> None:
        values = {"member_id": member.id, "owner_id": member.owner_id, "email": member.email, "role": member.role,
                  "created_at": codec.iso(member.created_at)}
        try:
            self._t.transact([
                {"Put": {"Item": to_item({**values, "pk": f"MEMBEROF#{member.email}", "sk": member.owner_id}),
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Put": {"Item": to_item({**values, "pk": f"ACCOUNT#{member.owner_id}", "sk": f"MEMBER#{member.id}"})}},
            ])
        except ClientError as exc:
            if _conditional_failed(exc):
                raise ConditionFailedError() from exc
            raise

    def members(self, owner_id: str) -> list[Member]:
        return sorted((self._member(i) for i in self._query(f"ACCOUNT#{owner_id}", "MEMBER#")),
                      key=lambda m: (m.created_at, m.id))

    def remove_member(self, owner_id: str, member_id: str) -> bool:
        listed = self._t.get(f"ACCOUNT#{owner_id}", f"MEMBER#{member_id}")
        if listed is None:
            return False
        return self._remove(owner_id, f"MEMBER#{member_id}", (f"MEMBEROF#{listed['email']}", owner_id))

    def memberships(self, email: str) -> list[Member]:
        return [self._member(i) for i in self._query(f"MEMBEROF#{email}")]

    def add_grant(self, grant: Grant) -> None:
        values = {"grant_id": grant.id, "owner_id": grant.owner_id, "grantee_email": grant.grantee_email,
                  "resources": list(grant.resources), "permissions": list(grant.permissions),
                  "created_at": codec.iso(grant.created_at),
                  "grant_expires_at": codec.iso(grant.expires_at) if grant.expires_at else None}
        self._t.transact([
            {"Put": {"Item": to_item({**values, "pk": f"ACCOUNT#{grant.owner_id}", "sk": f"GRANT#{grant.id}"}),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"Item": to_item({**values, "pk": f"GRANTEE#{grant.grantee_email}",
                                      "sk": f"{grant.owner_id}#{grant.id}"})}},
        ])

    def grants(self, owner_id: str) -> list[Grant]:
        return sorted((self._grant(i) for i in self._query(f"ACCOUNT#{owner_id}", "GRANT#")),
                      key=lambda g: (g.created_at, g.id))

    def remove_grant(self, owner_id: str, grant_id: str) -> bool:
        listed = self._t.get(f"ACCOUNT#{owner_id}", f"GRANT#{grant_id}")
        if listed is None:
            return False
        return self._remove(owner_id, f"GRANT#{grant_id}",
                            (f"GRANTEE#{listed['grantee_email']}", f"{owner_id}#{grant_id}"))

    def grants_to(self, email: str) -> list[Grant]:
        return [self._grant(i) for i in self._query(f"GRANTEE#{email}")]


class DynamoRecoveryRequests:
    """`RECOVERYREQ#<id>` / `R`; gsi1 `RECOVERYREQ#<status>` / `<when>#<id>`, where `when` is the
    creation for pending requests (support's queue, oldest first) and `due_at` for the others (what
    the scheduled run acts on next). A request whose documents are deleted leaves the index."""

    def __init__(self, table: Table) -> None:
        self._t = table

    @staticmethod
    def _from(v: Mapping[str, Any]) -> RecoveryRequest:
        def when(name: str) -> datetime | None:
            return codec.parse_iso(v[name]) if v.get(name) else None

        return RecoveryRequest(id=v["request_id"], lookup_kind=v["lookup_kind"], lookup_value=v["lookup_value"],
                               account_id=v.get("account_id"), new_email=v["new_email"],
                               postal_address=v["postal_address"], phone=v["phone"],
                               created_at=codec.parse_iso(v["created_at"]),  # type: ignore[arg-type]
                               status=v["status"], decided_at=when("decided_at"),
                               decided_by=v.get("decided_by"), note=v.get("note"),
                               documents=dict(v.get("documents") or {}), effective_at=when("effective_at"),
                               due_at=when("due_at"), documents_deleted_at=when("documents_deleted_at"),
                               downloads=tuple(dict(d) for d in v.get("downloads") or ()))

    @staticmethod
    def _stamp(when: datetime) -> str:
        # Fixed width (always microseconds), so that keys sort as the instants they name.
        return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    @classmethod
    def _sort(cls, request_id: str, when: datetime) -> str:
        return f"{cls._stamp(when)}#{request_id}"

    def add(self, request: RecoveryRequest) -> None:
        self._t.put({"pk": f"RECOVERYREQ#{request.id}", "sk": "R", "request_id": request.id,
                     "lookup_kind": request.lookup_kind, "lookup_value": request.lookup_value,
                     "account_id": request.account_id, "new_email": request.new_email,
                     "postal_address": request.postal_address, "phone": request.phone,
                     "created_at": codec.iso(request.created_at), "status": request.status,
                     "documents": dict(request.documents) or None,
                     "gsi1pk": f"RECOVERYREQ#{request.status}",
                     "gsi1sk": self._sort(request.id, request.created_at)},
                    ConditionExpression="attribute_not_exists(pk)")

    def get(self, request_id: str) -> RecoveryRequest | None:
        values = self._t.get(f"RECOVERYREQ#{request_id}", "R")
        return self._from(values) if values else None

    def pending(self, limit: int = 100) -> list[RecoveryRequest]:
        with translated("DynamoDB"):
            out = self._t.client.query(TableName=self._t.name, IndexName="gsi1", Limit=limit,
                                       KeyConditionExpression="gsi1pk = :p",
                                       ExpressionAttributeValues=to_item({":p": "RECOVERYREQ#pending"}))
        return [self._from(from_item(i)) for i in out["Items"]]

    def _sort_for(self, request_id: str, status: str, when: datetime) -> str:
        if status == "pending":  # back in support's queue at its place: by creation
            current = self._t.get(f"RECOVERYREQ#{request_id}", "R")
            if current:
                when = codec.parse_iso(current["created_at"]) or when
        return self._sort(request_id, when)

    def _conditional(self, request_id: str, expression: str, values: Mapping[str, Any]) -> bool:
        try:
            self._t.update(f"RECOVERYREQ#{request_id}", "R", expression, values, {"#s": "status"},
                           ConditionExpression="#s = :from")
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def decide(self, request_id: str, status: str, by: str, note: str, at: datetime,
               from_status: str = "pending", due_at: datetime | None = None) -> bool:
        expression = "SET #s = :s, gsi1pk = :g, gsi1sk = :k, decided_by = :by, note = :note, decided_at = :at"
        values: dict[str, Any] = {":s": status, ":g": f"RECOVERYREQ#{status}", ":by": by, ":note": note,
                                  ":at": codec.iso(at), ":from": from_status,
                                  ":k": self._sort_for(request_id, status, due_at or at)}
        if due_at is not None:
            expression += ", due_at = :due"
            values[":due"] = codec.iso(due_at)
            if status == "approved":
                expression += ", effective_at = :due"
        else:
            expression += " REMOVE due_at"
        return self._conditional(request_id, expression, values)

    def move(self, request_id: str, from_status: str, to_status: str, due_at: datetime | None) -> bool:
        values: dict[str, Any] = {":s": to_status, ":g": f"RECOVERYREQ#{to_status}", ":from": from_status}
        if due_at is None:
            expression = "SET #s = :s, gsi1pk = :g REMOVE due_at"
            if to_status == "pending":
                expression = "SET #s = :s, gsi1pk = :g, gsi1sk = :k REMOVE due_at"
                values[":k"] = self._sort_for(request_id, to_status, datetime(1970, 1, 1, tzinfo=UTC))
        else:
            expression = "SET #s = :s, gsi1pk = :g, gsi1sk = :k, due_at = :due"
            values[":due"], values[":k"] = codec.iso(due_at), self._sort(request_id, due_at)
        return self._conditional(request_id, expression, values)

    def due(self, status: str, now: datetime, limit: int = 100) -> list[RecoveryRequest]:
        # "#" sorts below every character of an id: `<now>~` bounds every key of that instant.
        with translated("DynamoDB"):
            out = self._t.client.query(TableName=self._t.name, IndexName="gsi1", Limit=limit,
                                       KeyConditionExpression="gsi1pk = :p AND gsi1sk <= :k",
                                       ExpressionAttributeValues=to_item({":p": f"RECOVERYREQ#{status}",
                                                                          ":k": f"{self._stamp(now)}~"}))
        found = [self._from(from_item(i)) for i in out["Items"]]
        return [r for r in found if r.due_at is not None and r.due_at <= now]

    def documents_deleted(self, request_id: str, at: datetime) -> None:
        self._t.update(f"RECOVERYREQ#{request_id}", "R", "SET documents_deleted_at = :at REMOVE gsi1pk, gsi1sk, due_at",
                       {":at": codec.iso(at)})

    def record_download(self, request_id: str, document: str, by: str, at: datetime) -> None:
        self._t.update(f"RECOVERYREQ#{request_id}", "R",
                       "SET downloads = list_append(if_not_exists(downloads, :none), :d)",
                       {":none": [], ":d": [{"document": document, "by": by, "at": codec.iso(at)}]},
                       ConditionExpression="attribute_exists(pk)")


class DynamoConfig:
    """Stage-wide values the service keeps in its own table (`CONFIG#<name>`), such as the wrapped
    code pepper: written once by `gatehouse provision`, read once per cold start."""

    def __init__(self, table: Table) -> None:
        self._t = table

    def get(self, name: str) -> dict[str, Any] | None:
        return self._t.get(f"CONFIG#{name}", "K")

    def put_if_absent(self, name: str, values: Mapping[str, Any]) -> bool:
        """Store `values` unless the name already has some (never replaced): True if stored."""
        try:
            self._t.put({**values, "pk": f"CONFIG#{name}", "sk": "K"}, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            if _conditional_failed(exc):  # a concurrent provision won
                return False
            raise
        return True


def create_table(settings: Settings) -> None:
    """Create the table (idempotent): on-demand, TTL on expires_at, the sessions GSI."""
    ddb = client("dynamodb", settings)
    try:
        ddb.create_table(
            TableName=settings.table_name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "gsi1pk", "gsi1sk")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[{
                "IndexName": "gsi1",
                "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"},
                              {"AttributeName": "gsi1sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }],
        )
    except ClientError as exc:
        if error_code(exc) != "ResourceInUseException":
            raise
        return
    ddb.get_waiter("table_exists").wait(TableName=settings.table_name)
    ddb.update_time_to_live(TableName=settings.table_name,
                            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})


class DynamoMfa:
    """Second factors: `ACCOUNT#<id>` / `MFA#<factor id>`, beside the account item; recovery code
    digests in one string set, `ACCOUNT#<id>` / `RECOVERY`."""

    def __init__(self, table: Table) -> None:
        self._t = table

    @staticmethod
    def _key(account_id: str, factor_id: str) -> tuple[str, str]:
        return f"ACCOUNT#{account_id}", f"MFA#{factor_id}"

    @staticmethod
    def _from(values: Mapping[str, Any]) -> Factor:
        return Factor(account_id=values["account_id"], id=values["factor_id"], type=values["type"],
                      created_at=codec.parse_iso(values["created_at"]),  # type: ignore[arg-type]
                      counter=int(values.get("counter") or 0), data=values.get("data") or {})

    def add(self, factor: Factor) -> None:
        pk, sk = self._key(factor.account_id, factor.id)
        item = {"pk": pk, "sk": sk, "account_id": factor.account_id, "factor_id": factor.id,
                "type": factor.type, "created_at": codec.iso(factor.created_at), "counter": factor.counter,
                "data": dict(factor.data)}
        try:
            self._t.put(item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            if _conditional_failed(exc):
                raise ConditionFailedError() from exc
            raise

    def get(self, account_id: str, factor_id: str) -> Factor | None:
        values = self._t.get(*self._key(account_id, factor_id))
        return self._from(values) if values else None

    def list(self, account_id: str) -> list[Factor]:
        values = to_item({":p": f"ACCOUNT#{account_id}", ":m": "MFA#"})
        items = self._t.query(KeyConditionExpression="pk = :p AND begins_with(sk, :m)",
                              ExpressionAttributeValues=values, ConsistentRead=True)
        return sorted((self._from(i) for i in items), key=lambda f: f.created_at)

    def delete(self, account_id: str, factor_id: str) -> None:
        self._t.delete(*self._key(account_id, factor_id))

    def advance(self, account_id: str, factor_id: str, counter: int) -> bool:
        try:
            self._t.update(*self._key(account_id, factor_id), "SET #c = :c", {":c": counter},
                           {"#c": "counter"}, ConditionExpression="attribute_exists(pk) AND #c < :c")
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def replace_recovery_codes(self, account_id: str, code_hashes: Iterable[str]) -> None:
        self._t.put({"pk": f"ACCOUNT#{account_id}", "sk": "RECOVERY", "codes": set(code_hashes)})

    def use_recovery_code(self, account_id: str, code_hash: str) -> bool:
        # DELETE from the set under a `contains` condition: two racing uses of one code, one wins.
        try:
            self._t.update(f"ACCOUNT#{account_id}", "RECOVERY", "DELETE #codes :one",
                           {":one": {code_hash}, ":h": code_hash}, {"#codes": "codes"},
                           ConditionExpression="contains(#codes, :h)")
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def recovery_codes_remaining(self, account_id: str) -> int:
        values = self._t.get(f"ACCOUNT#{account_id}", "RECOVERY")
        return len((values or {}).get("codes") or ())

    def delete_recovery_codes(self, account_id: str) -> None:
        self._t.delete(f"ACCOUNT#{account_id}", "RECOVERY")


class DynamoVerifications:
    """Verification processes at `VERIFY#<purpose>#<key>` / `V` (TTL on expires_at), and, for those
    found by a flow id, each subject's latest at `VERIFY_LATEST#<purpose>#<subject>` / `L`."""

    def __init__(self, table: Table) -> None:
        self._t = table

    @staticmethod
    def _key(purpose: str, key: str) -> tuple[str, str]:
        return f"VERIFY#{purpose}#{key}", "V"

    @staticmethod
    def _latest(purpose: str, subject: str) -> tuple[str, str]:
        return f"VERIFY_LATEST#{purpose}#{subject}", "L"

    def _item(self, v: Verification) -> dict[str, Any]:
        pk, sk = self._key(v.purpose, v.key)
        return {"pk": pk, "sk": sk, "purpose": v.purpose, "subject": v.subject, "id": v.id, "digest": v.digest,
                "expires_at": codec.epoch(v.expires_at), "max_failures": v.max_failures, "failures": v.failures,
                "data": dict(v.data)}

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
        try:
            old = self._t.update(
                item["pk"], item["sk"],
                "SET " + ", ".join(f"{n} = :{n[1:]}" for n in names) + ", failures = if_not_exists(failures, :f)",
                {**values, ":f": v.failures, ":now": codec.epoch(now)}, names,
                # `max_failures` missing: an item written before the one process (its code died with it).
                ConditionExpression="attribute_not_exists(pk) OR attribute_not_exists(max_failures)"
                                    " OR expires_at <= :now OR failures < max_failures",
                ReturnValues="ALL_OLD")
        except ClientError as exc:
            if _conditional_failed(exc):
                return None  # the live one is exhausted: it stays, and ends when it expires
            raise
        if not old:
            return v.failures
        if old["expires_at"] > codec.epoch(now) and "max_failures" in old:
            return int(old.get("failures") or 0)
        # An expired process (TTL deletes late) hands down nothing.
        self._t.update(item["pk"], item["sk"], "SET failures = :f", {":f": v.failures, ":d": v.digest},
                       ConditionExpression="#digest = :d", names={"#digest": "digest"})
        return v.failures

    def _start_by_id(self, v: Verification, now: datetime) -> int | None:
        pk, sk = self._latest(v.purpose, v.subject)
        pointer = self._t.get(pk, sk)
        previous_id = pointer.get("id") if pointer else None
        if previous_id:
            previous = self._t.get(*self._key(v.purpose, previous_id))
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
        try:
            self._t.update(pk, sk, "SET #id = :new, expires_at = :e", values, {"#id": "id"},
                           ConditionExpression=condition)
        except ClientError as exc:
            if _conditional_failed(exc):
                return None
            raise
        carried = 0
        if previous_id:
            # Deleting returns the final count, failures recorded up to this very write included.
            old = self._t.delete(*self._key(v.purpose, previous_id), ReturnValues="ALL_OLD")
            if old and old["expires_at"] > codec.epoch(now):
                carried = int(old.get("failures") or 0)
        self._t.put({**self._item(v), "failures": max(v.failures, carried)})
        return carried

    def create(self, verification: Verification) -> None:
        self._t.put(self._item(verification), ConditionExpression="attribute_not_exists(pk)")

    def get(self, purpose: str, key: str, now: datetime) -> Verification | None:
        values = self._t.get(*self._key(purpose, key))
        if not values or values["expires_at"] <= codec.epoch(now) or "max_failures" not in values:
            return None
        return self._from(values)

    def fail(self, purpose: str, key: str, now: datetime) -> Verification | None:
        try:
            out = self._t.update(*self._key(purpose, key), "ADD failures :one", {":one": 1, ":now": codec.epoch(now)},
                                 ConditionExpression="attribute_exists(pk) AND expires_at > :now"
                                                     " AND failures < max_failures",
                                 ReturnValues="ALL_NEW")
        except ClientError as exc:
            if _conditional_failed(exc):
                return None
            raise
        return self._from(out)

    def complete(self, purpose: str, key: str, digest: str, now: datetime) -> Verification | None:
        try:
            old = self._t.delete(*self._key(purpose, key),
                                 ConditionExpression="attribute_exists(pk) AND expires_at > :now"
                                                     " AND #digest = :d AND failures < max_failures",
                                 ExpressionAttributeNames={"#digest": "digest"},
                                 ExpressionAttributeValues=to_item({":now": codec.epoch(now), ":d": digest}),
                                 ReturnValues="ALL_OLD")
        except ClientError as exc:
            if _conditional_failed(exc):
                return None
            raise
        return self._from(old) if old else None


class DynamoResources:
    """A context's resources: `RESOURCES#<account>#<context>` / `RESOURCE#<id>`, one item each
    (the check is one GetItem for the resource asked, however many there are), and their count
    at `COUNT` beside them, moved in the same transaction as each new or deleted resource. The
    account is in the key because context ids are unique per account, not across accounts."""

    def __init__(self, table: Table) -> None:
        self._t = table

    @staticmethod
    def _pk(account_id: str, context: str) -> str:
        return f"RESOURCES#{account_id}#{context}"

    def _item(self, account_id: str, context: str, r: Resource) -> dict[str, Any]:
        return {"pk": self._pk(account_id, context), "sk": f"RESOURCE#{r.id}", "resource_id": r.id,
                "kind": r.kind, "name": r.name}

    def _count_key(self, account_id: str, context: str) -> dict[str, Any]:
        return to_item({"pk": self._pk(account_id, context), "sk": "COUNT"})

    def put(self, account_id: str, context: str, resource: Resource, limit: int) -> bool:
        item = to_item(self._item(account_id, context, resource))
        for _ in range(3):  # a resource created or deleted by a racing request: decide again
            try:
                self._t.transact([
                    {"Put": {"Item": item, "ConditionExpression": "attribute_not_exists(pk)"}},
                    {"Update": {"Key": self._count_key(account_id, context), "UpdateExpression": "ADD n :one",
                                "ConditionExpression": "attribute_not_exists(n) OR n < :limit",
                                "ExpressionAttributeValues": to_item({":one": 1, ":limit": limit})}},
                ])
                return True
            except ClientError as exc:
                reasons = exc.response.get("CancellationReasons") or []
                if error_code(exc) != "TransactionCanceledException" or len(reasons) != 2:
                    raise
                if reasons[0].get("Code") in (None, "None"):
                    raise ConditionFailedError() from exc  # the context is full
            try:  # it exists: an update, which the count does not see
                self._t.put(self._item(account_id, context, resource), ConditionExpression="attribute_exists(pk)")
                return False
            except ClientError as exc:
                if not _conditional_failed(exc):
                    raise
        raise ConflictError("This resource was created and deleted meanwhile: try again.")

    def add_imported(self, entries: Sequence[tuple[str, str, Sequence[Resource]]]) -> None:
        entries = [e for e in entries if e[2]]
        # Counted first and only if never counted: a rerun (same resources) leaves the count as it is.
        _transact_each(self._t, [
            {"Put": {"Item": {**self._count_key(a, c), **to_item({"n": len({r.id for r in rs})})},
                     "ConditionExpression": "attribute_not_exists(pk)"}} for a, c, rs in entries])
        _batch_put(self._t, list({(a, c, r.id): self._item(a, c, r) for a, c, rs in entries for r in rs}.values()))

    def holds(self, account_id: str, contexts: Sequence[str], resource_id: str) -> bool:
        keys = [(self._pk(account_id, c), f"RESOURCE#{resource_id}") for c in contexts]
        if len(keys) == 1:
            return self._t.get(*keys[0]) is not None
        return bool(keys) and bool(_batch_get(self._t, keys))

    def delete(self, account_id: str, context: str, resource_id: str) -> bool:
        try:
            self._t.transact([
                {"Delete": {"Key": to_item({"pk": self._pk(account_id, context), "sk": f"RESOURCE#{resource_id}"}),
                            "ConditionExpression": "attribute_exists(pk)"}},
                {"Update": {"Key": self._count_key(account_id, context), "UpdateExpression": "ADD n :minus",
                            "ExpressionAttributeValues": to_item({":minus": -1})}},
            ])
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def list(self, account_id: str, context: str) -> list[Resource]:
        items = self._t.query(KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                              ExpressionAttributeValues=to_item({":p": self._pk(account_id, context),
                                                                 ":s": "RESOURCE#"}), ConsistentRead=True)
        return sorted((Resource(i["resource_id"], i["kind"], i.get("name") or "") for i in items), key=lambda r: r.id)


class DynamoIdentities:
    """An identity is two items written and deleted together: `IDENTITY#<provider>#<key>` / `I`,
    what a sign-in reads (one GetItem; its condition makes one identity one account's), and
    `ACCOUNT#<id>` / `IDENTITY#<provider>#<key>`, beside the account, what settings list."""

    def __init__(self, table: Table) -> None:
        self._t = table

    @staticmethod
    def _name(provider: str, key: str) -> str:
        return f"IDENTITY#{provider}#{key}"

    def _items(self, i: LinkedIdentity) -> tuple[dict[str, Any], dict[str, Any]]:
        values = {"id": i.id, "provider": i.provider, "key": i.key, "account_id": i.account_id, "email": i.email,
                  "linked_at": codec.iso(i.linked_at), "last_used_at": codec.iso(i.last_used_at)}
        name = self._name(i.provider, i.key)
        return {**values, "pk": name, "sk": "I"}, {**values, "pk": f"ACCOUNT#{i.account_id}", "sk": name}

    @staticmethod
    def _from(v: Mapping[str, Any]) -> LinkedIdentity:
        return LinkedIdentity(id=v["id"], provider=v["provider"], key=v["key"], account_id=v["account_id"],
                              email=v.get("email"), linked_at=codec.parse_iso(v["linked_at"]),  # type: ignore[arg-type]
                              last_used_at=codec.parse_iso(v.get("last_used_at")))

    def get(self, provider: str, key: str) -> LinkedIdentity | None:
        values = self._t.get(self._name(provider, key), "I")
        return self._from(values) if values else None

    def link(self, identity: LinkedIdentity) -> None:
        lookup, listed = self._items(identity)
        try:
            self._t.transact([{"Put": {"Item": to_item(lookup), "ConditionExpression": "attribute_not_exists(pk)"}},
                              {"Put": {"Item": to_item(listed)}}])
        except ClientError as exc:
            if _conditional_failed(exc):
                raise ConditionFailedError() from exc
            raise

    def list(self, account_id: str) -> list[LinkedIdentity]:
        items = self._t.query(KeyConditionExpression="pk = :p AND begins_with(sk, :k)",
                              ExpressionAttributeValues=to_item({":p": f"ACCOUNT#{account_id}", ":k": "IDENTITY#"}),
                              ConsistentRead=True)
        return sorted((self._from(i) for i in items), key=lambda i: (i.linked_at, i.id))

    def touch(self, identity: LinkedIdentity, at: datetime) -> None:
        name = self._name(identity.provider, identity.key)
        values = to_item({":t": codec.iso(at), ":a": identity.account_id})
        try:
            # Both items, and only while the identity is still this account's (not unlinked meanwhile).
            self._t.transact([
                {"Update": {"Key": to_item({"pk": name, "sk": "I"}), "UpdateExpression": "SET last_used_at = :t",
                            "ConditionExpression": "account_id = :a", "ExpressionAttributeValues": values}},
                {"Update": {"Key": to_item({"pk": f"ACCOUNT#{identity.account_id}", "sk": name}),
                            "UpdateExpression": "SET last_used_at = :t", "ConditionExpression": "account_id = :a",
                            "ExpressionAttributeValues": values}},
            ])
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise

    def unlink(self, account_id: str, identity_id: str) -> LinkedIdentity | None:
        found = next((i for i in self.list(account_id) if i.id == identity_id), None)
        if found is None:
            return None
        name = self._name(found.provider, found.key)
        try:
            self._t.transact([
                {"Delete": {"Key": to_item({"pk": f"ACCOUNT#{account_id}", "sk": name}),
                            "ConditionExpression": "attribute_exists(pk)"}},
                {"Delete": {"Key": to_item({"pk": name, "sk": "I"}), "ConditionExpression": "account_id = :a",
                            "ExpressionAttributeValues": to_item({":a": account_id})}},
            ])
        except ClientError as exc:
            if _conditional_failed(exc):
                return None
            raise
        return found
