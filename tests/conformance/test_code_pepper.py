"""The code pepper behaves the same as a fake and on KMS + DynamoDB: a keyed digest that a new cold
start over the same stored secret reproduces, and that no public value reproduces."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

import pytest
from gatehouse.adapters import memory
from gatehouse.ports import CodePepper
from gatehouse.settings import Settings


def _provisioned(table) -> Settings:
    from gatehouse.adapters import aws
    from gatehouse.adapters.code_pepper import create_code_pepper
    from gatehouse.adapters.dynamodb import DynamoConfig

    settings = Settings(aws_endpoint_url=None, table_name="conformance")
    kms = aws.client("kms", settings)
    if all(a["AliasName"] != settings.kms_key_id for a in kms.list_aliases()["Aliases"]):
        kms.create_alias(AliasName=settings.kms_key_id, TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    create_code_pepper(settings, DynamoConfig(table))
    return settings


@pytest.fixture
def cold_start(impl, request) -> Callable[[], CodePepper]:
    """Makes the pepper as a new cold start would: over the secret stored once."""
    if impl == "fake":
        secret = memory.FakeCodePepper().secret
        return lambda: memory.FakeCodePepper(secret)
    from gatehouse.adapters.code_pepper import KmsCodePepper
    from gatehouse.adapters.dynamodb import DynamoConfig

    table = request.getfixturevalue("moto_table")
    settings = _provisioned(table)
    return lambda: KmsCodePepper(settings, DynamoConfig(table))


def test_a_digest_is_stable_across_cold_starts_and_differs_per_message(cold_start) -> None:
    first, second = cold_start(), cold_start()
    digest = first.hmac("flow_1|123456")
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert second.hmac("flow_1|123456") == digest == first.hmac("flow_1|123456")
    assert len({first.hmac(m) for m in ("flow_1|123456", "flow_1|123457", "flow_2|123456", "")}) == 4


def test_the_digest_is_no_digest_of_the_message_alone(cold_start) -> None:
    message = "login_code:subject|12345678"
    binding, code = message.rsplit("|", 1)
    public = {hashlib.sha256(message.encode()).hexdigest(),
              hmac.new(binding.encode(), code.encode(), hashlib.sha256).hexdigest(),
              hmac.new(b"", message.encode(), hashlib.sha256).hexdigest(),
              hmac.new(message.encode(), message.encode(), hashlib.sha256).hexdigest()}
    assert cold_start().hmac(message) not in public
