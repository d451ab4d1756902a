"""One verification process behind every one-time code: the email sign-in code, the SMS reset code
and the phone code keep their failures across a resend alike, and an exhausted one sends nothing
new until it expires."""

from __future__ import annotations

import re

import pytest
from gatehouse.bootstrap import Container
from gatehouse.domain.accounts import Account, new_account_contexts
from gatehouse.errors import InvalidCodeError, RateLimitedError
from gatehouse.flows.recovery import Lookup

PASSWORD = "a quiet harbour at dawn"
EMAIL = "jane@example.com"
PHONE, NEW = "+33611111111", "+33622222222"


@pytest.fixture
def c() -> Container:
    c = Container.in_memory()
    c.accounts.add(Account(id="acc_jane1", email=EMAIL, created_at=c.clock.now(), phone=PHONE,
                           password_hash=c.hasher.hash(PASSWORD),
                           contexts=new_account_contexts("acc_jane1", "Jane", ["scaleway", "dedibox"])))
    return c


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


def _email_code(c: Container) -> str:
    return re.findall(r"\b(\d{8})\b", c.mailer.to(EMAIL)[-1].text)[-1]


def _sms_code(c: Container, to: str) -> str:
    return re.findall(r"\b(\d{6})\b", [s for s in c.sms.sent if s.to == to][-1].text)[-1]


def test_a_resent_email_sign_in_code_keeps_the_failures_of_the_one_it_replaces(c: Container) -> None:
    c.code_login.request(EMAIL)
    for _ in range(4):
        with pytest.raises(InvalidCodeError):
            c.login.sign_in("email_code", {"email": EMAIL, "code": _wrong(_email_code(c))}, ip="10.0.0.1")
    c.code_login.request(EMAIL)
    right = _email_code(c)
    with pytest.raises(InvalidCodeError):
        c.login.sign_in("email_code", {"email": EMAIL, "code": _wrong(right)}, ip="10.0.0.1")
    # The fifth failure, across the resend, exhausted it: the right code no longer signs in.
    with pytest.raises(InvalidCodeError):
        c.login.sign_in("email_code", {"email": EMAIL, "code": right}, ip="10.0.0.1")


def test_an_exhausted_email_sign_in_code_sends_nothing_new_until_it_expires(c: Container) -> None:
    c.code_login.request(EMAIL)
    for _ in range(5):
        with pytest.raises(InvalidCodeError):
            c.login.sign_in("email_code", {"email": EMAIL, "code": _wrong(_email_code(c))}, ip="10.0.0.1")
    sent = len(c.mailer.to(EMAIL))
    assert c.code_login.request(EMAIL) == {"status": "code_sent"}
    assert len(c.mailer.to(EMAIL)) == sent
    c.clock.advance(c.settings.login_code_seconds + 1)
    c.code_login.request(EMAIL)
    assert c.login.sign_in("email_code", {"email": EMAIL, "code": _email_code(c)}, ip="10.0.0.1").token


def test_a_resent_sms_reset_code_keeps_the_failures_of_the_one_it_replaces(c: Container) -> None:
    first = c.recovery.request("sms", Lookup("email", EMAIL), ip="10.0.0.1")
    for _ in range(4):
        with pytest.raises(InvalidCodeError):
            c.recovery.complete("sms", {"flow_id": first, "code": _wrong(_sms_code(c, PHONE))}, "x" * 12)
    second = c.recovery.request("sms", Lookup("email", EMAIL), ip="10.0.0.1")
    with pytest.raises(InvalidCodeError) as raised:
        c.recovery.complete("sms", {"flow_id": second, "code": _wrong(_sms_code(c, PHONE))}, "x" * 12)
    assert raised.value.details["attempts_remaining"] == 0


def test_a_phone_code_resent_after_wrong_ones_keeps_them_and_an_exhausted_one_is_not_resent(c: Container) -> None:
    auth = c.sessions.authenticate(c.login.login(EMAIL, PASSWORD, ip="10.0.0.1").token)
    c.phone_change.request(auth, NEW, PASSWORD, ip="10.0.0.1")
    for _ in range(4):
        with pytest.raises(InvalidCodeError):
            c.phone_change.confirm(auth, _wrong(_sms_code(c, NEW)))
    c.phone_change.request(auth, NEW, PASSWORD, ip="10.0.0.1")
    with pytest.raises(InvalidCodeError):
        c.phone_change.confirm(auth, _wrong(_sms_code(c, NEW)))
    with pytest.raises(RateLimitedError):
        c.phone_change.request(auth, NEW, PASSWORD, ip="10.0.0.1")
    assert c.accounts.get("acc_jane1").phone == PHONE
