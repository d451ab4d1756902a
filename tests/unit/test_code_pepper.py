"""One-time codes are stored as an HMAC under a KMS-wrapped server secret (the code pepper), against
moto: a dump of the table, every item and every field of it, does not give back a 6- or 8-digit
code offline, while the codes still verify, across cold starts; the pepper is made once by
`provision`, unwrapped once per cold start and only under its encryption context."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from gatehouse.adapters import aws, dynamodb, memory
from gatehouse.adapters.code_pepper import (
    CODE_PEPPER,
    CODE_PEPPER_CONTEXT,
    CodePepperMissingError,
    KmsCodePepper,
    create_code_pepper,
)
from gatehouse.bootstrap import Container
from gatehouse.domain.accounts import Account
from gatehouse.flows.recovery import Lookup
from moto import mock_aws

from tests.unit.conftest import FAST

PASSWORD = "a quiet harbour at dawn"
SETTINGS = FAST.with_overrides(stage="test", aws_endpoint_url=None, table_name="pepper", reset_response_floor_ms=0)


@pytest.fixture(scope="module")
def aws_mock() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                           "AWS_DEFAULT_REGION": "eu-west-3"}.items():
            mp.setenv(key, value)
        with mock_aws():
            aws._client.cache_clear()  # clients are cached per cold start; a fresh mock needs fresh ones
            dynamodb.create_table(SETTINGS)
            kms = aws.client("kms", SETTINGS)
            kms.create_alias(AliasName=SETTINGS.kms_key_id, TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
            assert create_code_pepper(SETTINGS) is True
            yield
            aws._client.cache_clear()


def cold_start() -> Container:
    """A new Lambda container: real DynamoDB and KMS adapters (on moto), fake delivery."""
    return Container(SETTINGS, mailer=memory.FakeMailer(), sms=memory.FakeSms(), clock=memory.FakeClock())


@pytest.fixture
def c(aws_mock: None) -> Container:
    return cold_start()


def new_account(c: Container, email: str) -> Account:
    account = Account(id=f"acc_{abs(hash(email)) % 10**12}", email=email, created_at=c.clock.now(),
                      password_hash=c.hasher.hash(PASSWORD), email_verified=True, phone="+33612345678")
    c.accounts.add(account)
    return account


def table_dump() -> list[dict[str, Any]]:
    client = aws.client("dynamodb", SETTINGS)
    return [dynamodb.from_item(i) for i in client.scan(TableName=SETTINGS.table_name)["Items"]]


def public_keys(items: list[dict[str, Any]]) -> set[bytes]:
    """Every value a table dump holds, as a candidate HMAC key: ids, subjects, the wrapped pepper."""
    found: set[bytes] = {b""}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                found.add(str(k).encode())
                walk(v)
        elif isinstance(value, list | tuple | set):
            for v in value:
                walk(v)
        elif value is not None:
            found.add(bytes(value) if not isinstance(value, str | int | float | bool) else str(value).encode())

    walk(items)
    found |= {pk.split("#", 1)[-1].encode() for pk in (str(i["pk"]) for i in items)}
    return found


def recomputable(digest: str, code: str, items: list[dict[str, Any]]) -> bool:
    """Whether any key taken from the dump, with the right code, gives the stored digest back (if
    the right code does not, no code of the 10^6 or 10^8 does: the dump is useless offline)."""
    for key in public_keys(items):
        text = key.decode(errors="replace")
        for message in (code, f"{text}|{code}", f"{text}:{code}", f"{text}{code}"):
            if hmac.new(key, message.encode(), hashlib.sha256).hexdigest() == digest:
                return True
            if hashlib.sha256(message.encode()).hexdigest() == digest:
                return True
    return False


def stored(items: list[dict[str, Any]], field: str, pk_prefix: str) -> str:
    [value] = [i[field] for i in items if str(i["pk"]).startswith(pk_prefix) and i.get(field)]
    return str(value)


def test_an_sms_reset_code_cannot_be_recomputed_from_the_table_and_still_resets(c: Container) -> None:
    new_account(c, "sms@example.com")
    flow_id = c.recovery.request("sms", Lookup("email", "sms@example.com"), ip="10.0.0.1")
    code = re.findall(r"\b(\d{6})\b", c.sms.sent[-1].text)[-1]
    items = table_dump()
    digest = stored(items, "digest", f"VERIFY#reset_sms#{flow_id}")
    assert not recomputable(digest, code, items)
    # The old scheme, HMAC keyed by the flow id, is the first thing the check above tries:
    assert hmac.new(flow_id.encode(), code.encode(), hashlib.sha256).hexdigest() != digest
    c.recovery.complete("sms", {"flow_id": flow_id, "code": code}, "seven lanterns over the bay")
    assert c.login.login("sms@example.com", "seven lanterns over the bay", ip="10.0.0.1").token


def test_an_email_login_code_cannot_be_recomputed_from_the_table_and_still_signs_in(c: Container) -> None:
    new_account(c, "code@example.com")
    c.code_login.request("code@example.com")
    code = re.findall(r"\b(\d{8})\b", c.mailer.sent[-1].text)[-1]
    items = table_dump()
    assert not recomputable(stored(items, "digest", "VERIFY#login_code#"), code, items)
    # another cold start checks it
    assert cold_start().login.sign_in("email_code", {"email": "code@example.com", "code": code}, ip="10.0.0.1").token


def test_a_phone_change_code_cannot_be_recomputed_from_the_table_and_still_confirms(c: Container) -> None:
    new_account(c, "phone@example.com")
    auth = c.sessions.authenticate(c.login.login("phone@example.com", PASSWORD, ip="10.0.0.1").token)
    c.phone_change.request(auth, "+33698765432", PASSWORD, ip="10.0.0.1")
    code = re.findall(r"\b(\d{6})\b", c.sms.sent[-1].text)[-1]
    items = table_dump()
    assert not recomputable(stored(items, "digest", "VERIFY#phone_change#"), code, items)
    assert c.phone_change.confirm(auth, code)["phone"] == "+33698765432"


def test_provisioning_again_keeps_the_pepper_so_live_codes_stay_valid(c: Container) -> None:
    before = c.code_pepper.hmac("flow|123456")
    wrapped = next(i for i in table_dump() if i["pk"] == f"CONFIG#{CODE_PEPPER}")["wrapped_key"]
    assert create_code_pepper(SETTINGS) is False
    assert next(i for i in table_dump() if i["pk"] == f"CONFIG#{CODE_PEPPER}")["wrapped_key"] == wrapped
    assert cold_start().code_pepper.hmac("flow|123456") == before


def test_the_table_holds_the_pepper_only_wrapped_and_kms_opens_it_only_under_its_context(c: Container) -> None:
    wrapped = bytes(next(i for i in table_dump() if i["pk"] == f"CONFIG#{CODE_PEPPER}")["wrapped_key"])
    kms = aws.client("kms", SETTINGS)
    plaintext = kms.decrypt(CiphertextBlob=wrapped, EncryptionContext=CODE_PEPPER_CONTEXT)["Plaintext"]
    assert len(plaintext) == 32 and plaintext not in wrapped
    assert c.code_pepper.hmac("m") == hmac.new(plaintext, b"m", hashlib.sha256).hexdigest()
    for context in ({}, {"purpose": "totp"}):
        with pytest.raises(ClientError):
            kms.decrypt(CiphertextBlob=wrapped, EncryptionContext=context)


class CountingKms:
    def __init__(self) -> None:
        self.inner, self.decrypts = aws.client("kms", SETTINGS), 0

    def decrypt(self, **kwargs: Any) -> Any:
        self.decrypts += 1
        return self.inner.decrypt(**kwargs)


def test_the_pepper_is_unwrapped_once_per_cold_start(aws_mock: None) -> None:
    kms = CountingKms()
    pepper = KmsCodePepper(SETTINGS, dynamodb.DynamoConfig(dynamodb.Table(SETTINGS)), kms=kms)
    assert kms.decrypts == 0  # nothing at construction: flows that never check a code never call KMS
    digests = {pepper.hmac("flow|000000") for _ in range(5)}
    assert kms.decrypts == 1 and len(digests) == 1


def test_a_stage_never_provisioned_says_to_run_provision(aws_mock: None) -> None:
    bare = SETTINGS.with_overrides(table_name="pepper-bare")
    dynamodb.create_table(bare)
    with pytest.raises(CodePepperMissingError, match="gatehouse provision") as raised:
        KmsCodePepper(bare, dynamodb.DynamoConfig(dynamodb.Table(bare))).hmac("flow|123456")
    # The API answers it as a dependency that is not there yet: 503 with Retry-After, never a 500.
    from gatehouse.api.errors import STATUS

    assert STATUS[raised.value.code] == 503 and raised.value.retry_after > 0
