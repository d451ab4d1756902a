"""The table wrapper every DynamoDB adapter shares: one client, item (de)serialisation, batch and
transaction helpers, and the one place a lost condition becomes the domain's error.

Every write of the wrapper (`put`, `update`, `delete`, `transact`, and `single_write` and
`transact_each` below) raises `ConditionLost`, a `ConditionFailedError`, when DynamoDB refuses it
on its condition (ConditionalCheckFailedException, or TransactionCanceledException). A port that
answers a lost race with False or None instead writes `with attempt() as write:` and returns
`write.won`; one that needs to know which operation of a transaction failed reads `reasons`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from gatehouse.adapters import codec
from gatehouse.adapters.aws import client, error_code, translated
from gatehouse.adapters.ddb_types import TypeDeserializer, TypeSerializer
from gatehouse.errors import ConditionFailedError
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
        with conditional():
            self.client.put_item(TableName=self.name, Item=to_item(values), **kwargs)

    def delete(self, pk: str, sk: str, **kwargs: Any) -> dict[str, Any] | None:
        with conditional():
            out = self.client.delete_item(TableName=self.name, Key=to_item({"pk": pk, "sk": sk}), **kwargs)
        return from_item(out["Attributes"]) if out.get("Attributes") else None

    def update(self, pk: str, sk: str, expression: str, values: Mapping[str, Any],
               names: Mapping[str, str] | None = None, **kwargs: Any) -> dict[str, Any]:
        extra: dict[str, Any] = {"ExpressionAttributeNames": dict(names)} if names else {}
        with conditional():
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
        with conditional():
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


class ConditionLost(ConditionFailedError):
    """A write DynamoDB refused on its condition, as the domain's `ConditionFailedError`.

    `reasons`: for a cancelled transaction, each operation's code in order ("None" for those that
    would have been applied; empty when DynamoDB gave none). It is not a `ClientError` (that one is
    its `__cause__`): no adapter catches those for a lost condition, so an `except ClientError` is
    left only for what really is DynamoDB's error.
    """

    def __init__(self, exc: ClientError) -> None:
        super().__init__()
        self.reasons = [str(r.get("Code") or "None") for r in exc.response.get("CancellationReasons") or []]


@contextmanager
def conditional() -> Iterator[None]:
    """Around a write: a lost condition raises `ConditionLost`, an unwell DynamoDB a 503 (`translated`)."""
    try:
        with translated("DynamoDB"):
            yield
    except ClientError as exc:
        if _conditional_failed(exc):
            raise ConditionLost(exc) from exc
        raise


class Attempt:
    """What `attempt` saw: whether the writes in its block won their conditions."""

    def __init__(self) -> None:
        self.won = True


@contextmanager
def attempt() -> Iterator[Attempt]:
    """Conditional writes whose loss is an answer (False, None), not an error: read `.won` after the block."""
    outcome = Attempt()
    try:
        yield outcome
    except ConditionFailedError:
        outcome.won = False


def batch_get(t: Table, keys: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
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


def batch_put(t: Table, items: Sequence[Mapping[str, Any]]) -> None:
    pending = [{"PutRequest": {"Item": to_item(i)}} for i in items]
    with translated("DynamoDB"):
        while pending:
            chunk, pending = pending[:25], pending[25:]
            out = t.client.batch_write_item(RequestItems={t.name: chunk})
            pending.extend(out.get("UnprocessedItems", {}).get(t.name, []))


def transact_each(t: Table, ops: list[dict[str, Any]], size: int = 100) -> list[bool]:
    """Apply conditional writes 100 to a transaction; per op, whether it won.

    A transaction is all or nothing, so when one condition fails the others are retried alone
    (CancellationReasons says which one failed): one call per 100 in the common case, and a lost
    race never blocks the rest of its batch.
    """
    won = [False] * len(ops)
    if size <= 1:
        return [single_write(t, op) for op in ops]
    for start in range(0, len(ops), size):
        chunk = list(range(start, min(start + size, len(ops))))
        while chunk:
            batch = [dict(ops[i]) for i in chunk]
            try:
                t.transact(batch)
            except ConditionLost as lost:
                if len(lost.reasons) != len(chunk):
                    for i in chunk:  # no reasons to go by: one write each
                        won[i] = single_write(t, ops[i])
                    break
                failed = {i for i, reason in zip(chunk, lost.reasons, strict=True) if reason != "None"}
                chunk = [i for i in chunk if i not in failed]
                continue
            for i in chunk:
                won[i] = True
            break
    return won


def single_write(t: Table, op: dict[str, Any]) -> bool:
    kind, body = next(iter(op.items()))
    body = {**body, "TableName": t.name}
    with attempt() as write, conditional():
        if kind == "Put":
            t.client.put_item(**body)
        else:
            t.client.update_item(**body)
    return write.won


def get_many(t: Table, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Several items in one BatchGetItem (strongly consistent), by key; absent ones are left out."""
    return {(item["pk"], item["sk"]): item for item in batch_get(t, list(keys))}


def transact_put(t: Table, items: Sequence[Mapping[str, Any]]) -> None:
    """Unconditional puts 100 to a TransactWriteItems: a bulk write of 100s (the unifier's API keys
    and resources) in a quarter of BatchWriteItem's calls, at twice its write units, which a
    one-time migration can afford. An item twice is written once (a transaction takes an item
    once); a cancelled transaction (a concurrent write of one item) is written again by BatchWriteItem."""
    unique = list({(i["pk"], i["sk"]): i for i in items}.values())
    for start in range(0, len(unique), 100):
        chunk = unique[start:start + 100]
        try:
            t.transact([{"Put": {"Item": to_item(i)}} for i in chunk])
        except ConditionLost:
            batch_put(t, chunk)
