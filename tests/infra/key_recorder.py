"""A pytest plugin that records the partition keys each DynamoDB adapter sends, by adapter class.

Loaded by tests/infra/test_permissions.py into a run of the DynamoDB conformance suite
(`-p tests.infra.key_recorder`): every DynamoDB request is read as DynamoDB's IAM would read it
(`dynamodb:LeadingKeys` is the table's partition key of each item, or the index's on a Query of an
index), and attributed to the adapter method on the call stack. The result goes, as JSON, to the
file named by GATEHOUSE_KEY_RECORD.
"""

from __future__ import annotations

import inspect
import json
import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

ADAPTERS = "gatehouse.adapters.dynamodb"
# (class, method) -> partition key values; (class, method) -> index names queried
_keys: dict[tuple[str, str], set[str]] = {}
_HASH_CONDITION = re.compile(r"\b(pk|gsi1pk)\s*=\s*(:\w+)")


def _values(attribute: Mapping[str, Any] | None) -> Iterator[str]:
    if attribute and "S" in attribute:
        yield attribute["S"]


def partition_keys(operation: str, body: Mapping[str, Any]) -> list[str]:
    """The partition key values of one DynamoDB request (the wire form: {"S": ...} values)."""
    found: list[str] = []
    if operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem"):
        found += _values((body.get("Key") or body.get("Item") or {}).get("pk"))
    elif operation == "Query":
        for match in _HASH_CONDITION.finditer(body.get("KeyConditionExpression", "")):
            found += _values(body.get("ExpressionAttributeValues", {}).get(match.group(2)))
    elif operation in ("TransactWriteItems", "TransactGetItems"):
        for op in body.get("TransactItems", []):
            inner = next(iter(op.values()))
            found += _values((inner.get("Key") or inner.get("Item") or {}).get("pk"))
    elif operation == "BatchWriteItem":
        for requests in body.get("RequestItems", {}).values():
            for r in requests:
                inner = r.get("PutRequest", {}).get("Item") or r.get("DeleteRequest", {}).get("Key") or {}
                found += _values(inner.get("pk"))
    elif operation == "BatchGetItem":
        for request in body.get("RequestItems", {}).values():
            for key in request.get("Keys", []):
                found += _values(key.get("pk"))
    else:
        found.append(f"<unrecorded operation {operation}>")
    # A request whose partition key this reading missed (an aliased `#pk`, say) must not pass unseen.
    return found or [f"<no partition key read from {operation}>"]


def _caller() -> tuple[str, str] | None:
    """The outermost adapter method (of a `Dynamo...` class of the DynamoDB package) on the stack: the
    one the flow called, whichever private helpers it went through."""
    found, frame = None, inspect.currentframe()
    while frame is not None:
        cls = type(frame.f_locals.get("self"))
        if cls.__module__.startswith(ADAPTERS + ".") and cls.__name__.startswith("Dynamo"):
            found = cls.__name__, frame.f_code.co_name
        frame = frame.f_back
    return found


def _outside_an_adapter() -> tuple[str, str] | None:
    """Layer code that calls DynamoDB without a `Dynamo...` adapter: its keys would escape the check."""
    frame = inspect.currentframe()
    while frame is not None:
        path = frame.f_code.co_filename.replace(os.sep, "/")
        if "/gatehouse/" in path and not path.endswith("/gatehouse/adapters/aws.py") \
                and frame.f_code.co_name != "create_table":
            return "<outside an adapter>", f"{path.rpartition('/gatehouse/')[2]}:{frame.f_code.co_name}"
        frame = frame.f_back
    return None


def _record(**kwargs: Any) -> None:
    model, params = kwargs["model"], kwargs["params"]
    if model.service_model.service_name != "dynamodb":
        return
    caller = _caller() or _outside_an_adapter()
    if caller is None:  # the suite's own set-up and checks
        return
    body = params.get("body") or b"{}"
    keys = partition_keys(model.name, json.loads(body))
    _keys.setdefault(caller, set()).update(keys)


def pytest_configure(config: pytest.Config) -> None:
    from gatehouse.adapters import aws

    aws.on_api_call(_record)


def pytest_unconfigure(config: pytest.Config) -> None:
    out = os.environ.get("GATEHOUSE_KEY_RECORD")
    if out:
        with open(out, "w") as fh:
            json.dump([{"adapter": c, "method": m, "keys": sorted(k)} for (c, m), k in sorted(_keys.items())], fh,
                      indent=1)
