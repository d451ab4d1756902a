"""The local stack's AWS: moto's server, with a few changes that let it hold a unification of 100,000s.

1. moto's DynamoDB `TransactWriteItems` keeps a deep copy of the whole table, per operation of
   every transaction, to roll back a cancelled one. Gatehouse writes an account with its aliases in
   one transaction, so on a table of 500,000 items each sign-up or unified account cost seconds.
   Here the rollback keeps, instead, a copy of the items the transaction touches and puts them back
   if it is cancelled: the same all-or-nothing outcome, at the cost of the transaction's own items.
2. moto serialises every response by walking botocore's output model, a few milliseconds per
   item read. The item reads (GetItem, BatchGetItem, Query, Scan) answer here with the JSON
   DynamoDB itself sends, written directly.
3. moto's Query sorts every item of the table before looking at any (seconds on 500,000 items,
   per page). A Query here starts from the unsorted items, or from its partition's alone on the
   table itself; it still sorts what matches, as before, so pages come in the same order.
4. Transactions run one at a time and honour `ClientRequestToken` as DynamoDB does: botocore
   retries a transaction whose answer was late with the same token, and DynamoDB answers the
   retry of one that succeeded with success, writing nothing. moto ran the retry, concurrently
   with the original, and reported the original's own writes as conflicts.
5. A conditional PutItem, UpdateItem or DeleteItem is atomic, as DynamoDB makes it: moto checks
   the condition, then writes, and two threads could both pass the check. Each single-item
   write here takes the lock transactions take, for the whole request: moto's handler reads the
   old item before the write and serialises the new one after, so two racing ADDs could both
   answer the later count.
6. moto stores whatever a browser POSTs to S3 with a presigned form: it ignores the form's policy.
   Here the policy is enforced as S3 enforces it: not expired, every condition met (exact values,
   `starts-with`, the size range) and every form field named by a condition; otherwise 403 (400
   for a size outside the range), and nothing is stored.
The same outcomes, checked by the conformance and end-to-end suites, which run on this moto.
Nothing else of moto changes, and nothing of this runs on AWS.

    python -m gatehouse.local.moto_server -H 127.0.0.1 -p 5555
"""

from __future__ import annotations

import copy
import sys
import threading
from typing import Any

_installed = False
_lock = threading.Lock()


def install() -> None:
    """Patch moto (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        from moto.dynamodb import models
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.models.dynamo_type import DynamoType
        from moto.dynamodb.models.table import Table

        class _CopyButTables:
            """`copy` as moto's backend module sees it: tables are no longer deep-copied."""

            copy = staticmethod(copy.copy)

            @staticmethod
            def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
                return value if isinstance(value, Table) else copy.deepcopy(value, memo)

        original = DynamoDBBackend.transact_write_items

        def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
            undo: list[tuple[Table, DynamoType, DynamoType | None, Any]] = []
            for entry in transact_items:
                for op_type, op in entry.items():
                    table = self.tables.get(op.get("TableName"))
                    key = op.get("Item") if op_type == "Put" else op.get("Key")
                    if table is None or not isinstance(key, dict) or table.hash_key_attr not in key:
                        continue
                    hash_key = DynamoType(key[table.hash_key_attr])
                    range_key = (DynamoType(key[table.range_key_attr])
                                 if table.range_key_attr and table.range_key_attr in key else None)
                    if table.range_key_attr and range_key is None:
                        continue
                    undo.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
            try:
                original(self, transact_items)
            except BaseException:
                for table, hash_key, range_key, before in reversed(undo):
                    _restore(table, hash_key, range_key, before)
                raise

        models.copy = _CopyButTables  # type: ignore[assignment]
        DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
        _install_json_reads()
        _install_unsorted_queries(Table)
        _install_idempotent_transactions()
        _install_atomic_writes(DynamoDBBackend)
        _install_post_policies()
        _installed = True


_transactions = threading.RLock()  # reentrant: a transaction's own item writes take it again
_succeeded: dict[str, float] = {}  # ClientRequestToken -> when its transaction succeeded
IDEMPOTENCY_WINDOW = 600.0  # DynamoDB's: 10 minutes


def _install_atomic_writes(backend: Any) -> None:
    import functools

    for name in ("put_item", "update_item", "delete_item"):
        original = getattr(backend, name)

        @functools.wraps(original)
        def locked(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with _transactions:
                return _original(self, *args, **kwargs)

        setattr(backend, name, locked)
    # The handler reads the item before the write (ALL_OLD) and serialises it after (ALL_NEW), both
    # outside the backend call: two racing ADDs could both answer the later count. DynamoDB answers
    # each write with its own item, so the lock covers the whole request.
    from moto.dynamodb.responses import DynamoHandler

    for name in ("put_item", "update_item", "delete_item"):
        handler = getattr(DynamoHandler, name)

        @functools.wraps(handler)
        def locked_request(self: Any, _handler: Any = handler) -> Any:
            with _transactions:
                return _handler(self)

        setattr(DynamoHandler, name, locked_request)


def _install_idempotent_transactions() -> None:
    import time

    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.transact_write_items

    def transact_write_items(self: Any) -> Any:
        from moto.core.responses import ActionResult

        token = (getattr(self, "body", None) or {}).get("ClientRequestToken")
        with _transactions:
            now = time.monotonic()
            if token and now - _succeeded.get(token, -IDEMPOTENCY_WINDOW) < IDEMPOTENCY_WINDOW:
                return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
            result = original(self)
            if token:
                if len(_succeeded) > 100_000:
                    for old in [t for t, at in _succeeded.items() if now - at >= IDEMPOTENCY_WINDOW]:
                        del _succeeded[old]
                _succeeded[token] = now
            return result

    DynamoHandler.transact_write_items = transact_write_items  # type: ignore[method-assign]


_query_scope = threading.local()
_ANY_PARTITION = object()  # a query on an index: every partition may hold matches


def _install_unsorted_queries(table_class: Any) -> None:
    sorted_items = table_class.all_items
    query = table_class.query

    def all_items(self: Any) -> list[Any]:
        scope = getattr(_query_scope, "value", None)
        if scope is None:
            return list(sorted_items(self))  # scans and the rest: moto's own sorted order
        if scope is _ANY_PARTITION:
            partitions = list(self.items.values())
        else:
            partition = self.items.get(scope)
            partitions = [partition] if partition is not None else []
        if not self.range_key_attr:
            return partitions
        return [item for partition in partitions for item in partition.values()]

    def scoped_query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        _query_scope.value = _ANY_PARTITION if index_name or hash_key is None else hash_key
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            _query_scope.value = None

    table_class.all_items = all_items
    table_class.query = scoped_query


_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan"})


def _install_json_reads() -> None:
    import base64
    import json
    from datetime import datetime

    from moto.dynamodb.responses import DynamoResult

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, bytes):
            return base64.b64encode(value).decode("ascii")
        if isinstance(value, datetime):
            return value.timestamp()
        return value

    original = DynamoResult.execute_result

    def execute_result(self: Any, context: Any) -> Any:
        if context.operation_model.name not in _READS or not isinstance(self.result, dict):
            return original(self, context)
        body = json.dumps(plain(self.result), separators=(",", ":"))
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    DynamoResult.execute_result = execute_result  # type: ignore[method-assign]


def _restore(table: Any, hash_key: Any, range_key: Any, before: Any) -> None:
    if range_key is None:
        if before is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = before
        return
    partition = table.items[hash_key]
    if before is None:
        partition.pop(range_key, None)
        if not partition:
            table.items.pop(hash_key, None)
    else:
        partition[range_key] = before


def _install_post_policies() -> None:
    from moto.s3.responses import S3Response

    original = S3Response._bucket_response_post

    def bucket_response_post(self: Any, request: Any, bucket_name: str) -> Any:
        form = getattr(self, "form_data", None) or {}
        if "policy" in form:
            refused = post_policy_refusal(dict(form.items()), bucket_name, len(self.body or b""))
            if refused is not None:
                status, code, message = refused
                body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
                        f"<Message>{message}</Message></Error>")
                return status, {"Content-Type": "application/xml"}, body
        return original(self, request, bucket_name)

    S3Response._bucket_response_post = bucket_response_post  # type: ignore[method-assign]


# Form fields a policy need not name (S3's rule), besides `x-ignore-*` ones.
_POLICY_EXEMPT = frozenset({"policy", "x-amz-signature", "signature", "file", "awsaccesskeyid"})


def post_policy_refusal(form: dict[str, str], bucket: str, size: int,
                        now: float | None = None) -> tuple[int, str, str] | None:
    """Why S3 would refuse this browser upload: (status, code, message), or None if it is allowed."""
    import base64
    import json
    import time
    from datetime import datetime

    try:
        policy = json.loads(base64.b64decode(form["policy"]))
        expiration = datetime.fromisoformat(str(policy["expiration"]).replace("Z", "+00:00")).timestamp()
    except (KeyError, ValueError, TypeError):
        return 400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON."
    if expiration < (time.time() if now is None else now):
        return 403, "AccessDenied", "Invalid according to Policy: Policy expired."
    fields = {k.lower(): v for k, v in form.items()}
    fields["bucket"] = bucket
    named: set[str] = set()
    for condition in policy.get("conditions", []):
        if isinstance(condition, dict):
            checks = [("eq", k, v) for k, v in condition.items()]
        elif condition and str(condition[0]).lower() == "content-length-range":
            low, high = int(condition[1]), int(condition[2])
            if size < low:
                return 400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"
            if size > high:
                return 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"
            continue
        else:
            checks = [(str(condition[0]).lower(), str(condition[1]).lstrip("$"), condition[2])]
        for op, name, expected in checks:
            name = name.lower()
            named.add(name)
            value = fields.get(name)
            met = value == expected if op == "eq" else op == "starts-with" and (value or "").startswith(expected)
            if value is None or not met:
                return 403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {condition}"
    extra = [k for k in fields if k not in named and k not in _POLICY_EXEMPT and not k.startswith("x-ignore-")]
    if extra:
        return 403, "AccessDenied", f"Invalid according to Policy: Extra input fields: {extra[0]}"
    return None


def main(argv: list[str] | None = None) -> None:
    install()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()

