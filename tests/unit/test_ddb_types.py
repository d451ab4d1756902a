"""gatehouse.adapters.ddb_types writes and reads DynamoDB's attribute values exactly as boto3 does."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import Binary
from boto3.dynamodb.types import TypeDeserializer as Boto3Deserializer
from boto3.dynamodb.types import TypeSerializer as Boto3Serializer
from gatehouse.adapters.ddb_types import TypeDeserializer, TypeSerializer

VALUES: list[Any] = [
    None, True, False, 0, -7, 2**40, Decimal("1.5"), Decimal("-0.001"), "", "text", "é", b"\x00\x01",
    bytearray(b"ab"), {"a", "b"}, {1, 2, Decimal("3.25")}, {b"x", b"y"}, set(),
    {"nested": {"list": [1, "two", None, {"three": Decimal(3)}], "flag": True}}, [], (1, 2), {"k": set()},
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_a_value_is_written_as_boto3_writes_it(value: Any) -> None:
    ours, theirs = TypeSerializer().serialize(value), Boto3Serializer().serialize(value)
    if isinstance(value, set):  # a set's order is arbitrary: compare the members
        ((kind, members),), ((their_kind, their_members),) = ours.items(), theirs.items()
        assert (kind, sorted(members)) == (their_kind, sorted(their_members))
    else:
        assert ours == theirs


@pytest.mark.parametrize("value", [v for v in VALUES if not isinstance(v, bytes | bytearray)], ids=repr)
def test_a_value_reads_back_as_boto3_reads_it(value: Any) -> None:
    wire = Boto3Serializer().serialize(value)
    assert TypeDeserializer().deserialize(wire) == Boto3Deserializer().deserialize(wire)


def test_binaries_read_back_as_bytes() -> None:
    assert TypeDeserializer().deserialize({"B": b"\x00"}) == b"\x00" == Binary(b"\x00")
    assert TypeDeserializer().deserialize({"BS": [b"a"]}) == {b"a"}


@pytest.mark.parametrize("bad", [1.5, Decimal("1" * 39), object(), {1, "a"}])
def test_what_boto3_refuses_is_refused(bad: Any) -> None:
    with pytest.raises(Exception) as theirs:
        Boto3Serializer().serialize(bad)
    with pytest.raises(type(theirs.value)):
        TypeSerializer().serialize(bad)


def test_the_dynamodb_adapter_imports_no_boto3() -> None:
    code = "import sys, gatehouse.adapters.dynamodb; print('boto3' in sys.modules, 's3transfer' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]
