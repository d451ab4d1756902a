"""DynamoDB's attribute-value form, as `boto3.dynamodb.types` writes and reads it, without importing boto3.

Importing `boto3.dynamodb.types` runs `boto3/__init__`, which imports boto3's session, its
resource factory and s3transfer: a quarter of a login's cold start, for two small functions. These
follow boto3's rules exactly (tests/unit/test_ddb_types.py compares them with boto3's on the same
values): numbers are ints or Decimals within DynamoDB's 38 digits (a float is refused), sets become
SS, NS or BS, mappings M and sequences L; numbers read back as Decimals and binaries as bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import Any

# boto3's DYNAMODB_CONTEXT: a number DynamoDB would store inexactly is an error, not a rounding.
DYNAMODB_CONTEXT = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])


def _is_number(value: Any) -> bool:
    if isinstance(value, float):
        raise TypeError("Float types are not supported. Use Decimal types instead.")
    return isinstance(value, int | Decimal)


def _is_binary(value: Any) -> bool:
    return isinstance(value, bytes | bytearray)


def _number(value: int | Decimal) -> str:
    return str(DYNAMODB_CONTEXT.create_decimal(value))


class TypeSerializer:
    def serialize(self, value: Any) -> dict[str, Any]:
        if value is None:
            return {"NULL": True}
        if isinstance(value, bool):  # before numbers: a bool is an int
            return {"BOOL": value}
        if _is_number(value):
            return {"N": _number(value)}
        if isinstance(value, str):
            return {"S": value}
        if _is_binary(value):
            return {"B": bytes(value)}
        if isinstance(value, Set):
            if all(map(_is_number, value)):
                return {"NS": [_number(v) for v in value]}
            if all(isinstance(v, str) for v in value):
                return {"SS": list(value)}
            if all(map(_is_binary, value)):
                return {"BS": [bytes(v) for v in value]}
        if isinstance(value, Mapping):
            return {"M": {k: self.serialize(v) for k, v in value.items()}}
        if isinstance(value, list | tuple):
            return {"L": [self.serialize(v) for v in value]}
        raise TypeError(f"Unsupported type {type(value)} for value {value!r}")


class TypeDeserializer:
    def deserialize(self, value: Mapping[str, Any]) -> Any:
        if not value:
            raise TypeError("Value must be a nonempty dictionary whose key is a valid dynamodb type.")
        (kind, data), = value.items()
        if kind == "NULL":
            return None
        if kind == "BOOL":
            return data
        if kind == "N":
            return DYNAMODB_CONTEXT.create_decimal(data)
        if kind == "S":
            return data
        if kind == "B":
            return bytes(data)
        if kind == "NS":
            return {DYNAMODB_CONTEXT.create_decimal(v) for v in data}
        if kind == "SS":
            return set(data)
        if kind == "BS":
            return {bytes(v) for v in data}
        if kind == "L":
            return [self.deserialize(v) for v in data]
        if kind == "M":
            return {k: self.deserialize(v) for k, v in data.items()}
        raise TypeError(f"Dynamodb type {kind} is not supported")
