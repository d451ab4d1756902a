"""Changing the phone over fakes: the phone is a recovery channel, so a number becomes the
account's (and gets reset codes) only once a code texted to it comes back, after the password and,
with a second factor, a recent sign-in; the account's address is told."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from gatehouse.bootstrap import Container
from gatehouse.domain.accounts import Account
from gatehouse.errors import (
    InvalidCodeError,
    InvalidInputError,
    RateLimitedError,
    ReauthenticationRequiredError,
)
from gatehouse.flows.account import WrongPasswordError
from gatehouse.flows.recovery import Lookup
from gatehouse.flows.sessions import Authenticated

from tests.unit.conftest import FAST

PASSWORD = "a quiet harbour at dawn"
OLD, NEW = "+33611111111", "+33622222278"


@pytest.fixture
def c() -> Container:
    return Container.in_memory(FAST)


def signed_in(c: Container, email: str = "jane@example.com", phone: str | None = OLD) -> Authenticated:
    c.accounts.add(Account(id=f"acc_{abs(hash(email)) % 10**12}", email=email, created_at=c.clock.now(),
                           password_hash=c.hasher.hash(PASSWORD), email_verified=True, phone=phone))
    return c.sessions.authenticate(c.login.login(email, PASSWORD, ip="10.0.0.1").token)


def code_to(c: Container, phone: str) -> str:
    texts = [s.text for s in c.sms.sent if s.to == phone]
    assert texts, f"no SMS to {phone}"
    match = re.search(r"\b(\d{6})\b", texts[-1])
    assert match
    return match.group(1)


def sms_count(c: Container, phone: str) -> int:
    return sum(1 for s in c.sms.sent if s.to == phone)


def test_a_new_number_gets_a_code_and_becomes_the_phone_only_once_it_is_confirmed(c: Container) -> None:
    auth = signed_in(c)
    assert c.phone_change.request(auth, NEW, PASSWORD, ip="10.0.0.1") == {"status": "code_sent"}
    [sms] = [s for s in c.sms.sent if s.to == NEW]
    assert "never give it to anyone" in sms.text.lower()
    assert c.accounts.get(auth.account.id).phone == OLD  # pending: nothing changed yet
    account = c.phone_change.confirm(auth, code_to(c, NEW))
    assert account["phone"] == NEW and c.accounts.get(auth.account.id).phone == NEW
    [notice] = [m for m in c.mailer.sent if m.tag == "phone_changed"]
    assert notice.to == "jane@example.com" and "ending in 78" in notice.text and "/ui/reset" in notice.text


def test_an_unverified_number_never_receives_a_reset_code_the_verified_one_does(c: Container) -> None:
    auth = signed_in(c)
    c.phone_change.request(auth, NEW, PASSWORD, ip="10.0.0.1")
    pending_code = code_to(c, NEW)
    c.recovery.request("sms", Lookup("email", "jane@example.com"), ip="10.0.0.2")
    assert sms_count(c, NEW) == 1 and sms_count(c, OLD) == 1  # the reset code went to the number on file
    assert "reset" in c.sms.sent[-1].text and c.sms.sent[-1].to == OLD
    c.phone_change.confirm(auth, pending_code)
    c.recovery.request("sms", Lookup("email", "jane@example.com"), ip="10.0.0.2")
    assert c.sms.sent[-1].to == NEW and "reset" in c.sms.sent[-1].text


def test_a_wrong_password_is_invalid_password_and_texts_nothing(c: Container) -> None:
    auth = signed_in(c)
    with pytest.raises(WrongPasswordError) as err:
        c.phone_change.request(auth, NEW, "not my password", ip="10.0.0.1")
    assert err.value.code == "invalid_password" and "password" in err.value.details["fields"]
    assert sms_count(c, NEW) == 0


def test_wrong_passwords_here_count_as_failed_sign_ins(c: Container) -> None:
    auth = signed_in(c)
    for _ in range(c.settings.login_failures_before_backoff):
        with pytest.raises(WrongPasswordError):
            c.phone_change.request(auth, NEW, "guess", ip="10.0.0.1")
    with pytest.raises(RateLimitedError):
        c.phone_change.request(auth, NEW, PASSWORD, ip="10.0.0.1")
    with pytest.raises(RateLimitedError):
        c.login.login("jane@example.com", PASSWORD, ip="10.0.0.9")


@pytest.mark.parametrize("bad", ["0612345678", "+33 6 12 34 56 78", "+33612345678\n", ""])
def test_a_number_not_in_e164_is_refused_before_anything_is_sent(c: Container, bad: str) -> None:
    auth = signed_in(c)
    with pytest.raises(InvalidInputError) as err:
        c.phone_change.request(auth, bad, PASSWORD, ip="10.0.0.1")
    assert "E.164" in err.value.details["fields"]["phone"]
    assert c.sms.sent == []


def test_five_wrong_codes_kill_the_change_and_the_right_one_then_fails(c: Container) -> None:
    auth = signed_in(c)
    c.phone_change.request(auth, NEW, PASSWORD, ip="10.0.0.1")
    right = code_to(c, NEW)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for _ in range(5):
        with pytest.raises(InvalidCodeError):
            c.phone_change.confirm(auth, wrong)
    with pytest.raises(InvalidCodeError):
        c.phone_change.confirm(auth, right)
    assert c.accounts.get(auth.account.id).phone == OLD


def test_a_code_lives_ten_minutes(c: Container) -> None:
    auth = signed_in(c)
    c.phone_change.request(auth, NEW, PASSWORD, ip="10.0.0.1")
    c.clock.advance(10 * 60 + 1)
    auth = c.sessions.authenticate(auth.token)
    with pytest.raises(InvalidCodeError):
        c.phone_change.confirm(auth, code_to(c, NEW))
    assert c.accounts.get(auth.account.id).phone == OLD


def test_a_newer_request_kills_the_older_code(c: Container) -> None:
    auth = signed_in(c)
    c.phone_change.request(auth, NEW, PASSWORD, ip="10.0.0.1")
    first = code_to(c, NEW)
    c.phone_change.request(auth, "+33633333333", PASSWORD, ip="10.0.0.1")
    second = code_to(c, "+33633333333")
    if first != second:
        with pytest.raises(InvalidCodeError):
            c.phone_change.confirm(auth, first)
    assert c.phone_change.confirm(auth, second)["phone"] == "+33633333333"


def test_a_code_works_for_its_own_account_only(c: Container) -> None:
    jane, mallory = signed_in(c), signed_in(c, "mallory@example.com", phone=None)
    c.phone_change.request(jane, NEW, PASSWORD, ip="10.0.0.1")
    with pytest.raises(InvalidCodeError):
        c.phone_change.confirm(mallory, code_to(c, NEW))
    assert c.accounts.get(mallory.account.id).phone is None


def test_codes_are_throttled_per_account_and_per_number(c: Container) -> None:
    jane = signed_in(c)
    for n in range(5):
        c.phone_change.request(jane, f"+3364444444{n}", PASSWORD, ip="10.0.0.1")
    with pytest.raises(RateLimitedError):
        c.phone_change.request(jane, "+33655555555", PASSWORD, ip="10.0.0.1")
    # Many accounts cannot make one stranger's number ring more than the cap either.
    for n in range(5):
        auth = signed_in(c, f"user{n}@example.com", phone=None)
        c.phone_change.request(auth, "+33699999999", PASSWORD, ip="10.0.0.1")
    with pytest.raises(RateLimitedError):
        c.phone_change.request(signed_in(c, "one-more@example.com", phone=None), "+33699999999", PASSWORD,
                               ip="10.0.0.1")
    assert sms_count(c, "+33699999999") == 5 and sms_count(c, "+33655555555") == 0


def test_an_account_with_a_second_factor_changes_its_phone_only_from_a_recent_sign_in(c: Container) -> None:
    import pyotp

    auth = signed_in(c)
    seed = c.mfa.begin(auth, "totp")["secret"]
    c.mfa.finish(auth, "totp", {"code": pyotp.TOTP(seed).at(c.clock.now())})
    c.clock.advance(c.settings.mfa_reauth_seconds + 60)
    auth = c.sessions.authenticate(auth.token)
    with pytest.raises(ReauthenticationRequiredError):
        c.phone_change.request(auth, NEW, PASSWORD, ip="10.0.0.1")
    assert sms_count(c, NEW) == 0


def test_patch_refuses_the_phone_naming_the_route_and_saves_nothing(c: Container) -> None:
    auth = signed_in(c)
    for changes in ({"phone": NEW}, {"phone": None}, {"phone": NEW, "name": "Jeanne"}):
        with pytest.raises(InvalidInputError) as err:
            c.account_settings.update(auth, changes)
        assert "/account/phone" in err.value.details["fields"]["phone"]
    saved = c.accounts.get(auth.account.id)
    assert (saved.phone, saved.name) == (OLD, "")
    assert c.account_settings.update(auth, {"name": "Jeanne"})["name"] == "Jeanne"


def test_an_imported_legacy_phone_is_the_accounts_verified_reset_channel() -> None:
    c = Container.in_memory(FAST)
    record = {"console": "dedibox", "legacy_id": "dbx-p1", "identifier": "p-one", "email": "p1@example.com",
              "password_hash": c.hasher.hash(PASSWORD), "mfa": None, "phone": "+33677777777", "domains": [],
              "linked_scaleway_id": None, "linked_at": None, "resources": [], "api_keys": []}
    assert not c.unification.import_lines([json.dumps(record) + "\n"]).errors
    c.unification.schedule("w1", c.clock.now() - timedelta(minutes=1))
    c.unification_notifier.run()
    c.unifier.run()
    assert c.accounts.get_by_email("p1@example.com").phone == "+33677777777"
    c.recovery.request("sms", Lookup("identifier", "p-one"), ip="10.0.0.2")
    assert c.sms.sent[-1].to == "+33677777777" and "reset" in c.sms.sent[-1].text


def test_a_profile_saved_meanwhile_does_not_cost_the_spent_code(c: Container) -> None:
    auth = signed_in(c)
    c.phone_change.request(auth, NEW, PASSWORD, ip="10.0.0.1")
    stale = auth.account  # loaded before another tab saves the profile
    c.accounts.save(c.accounts.get(stale.id).evolve(name="Jeanne"))
    assert c.phone_change.confirm(auth, code_to(c, NEW))["phone"] == NEW
    saved = c.accounts.get(stale.id)
    assert (saved.phone, saved.name) == (NEW, "Jeanne")
