"""`verify_email` never keeps a unified account from its consoles, and every way a person proves
their mailbox (an email code, a Gatehouse link) marks the address confirmed."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from gatehouse.bootstrap import Container
from gatehouse.domain.accounts import Account, RequiredAction, new_account_contexts
from gatehouse.domain.legacy import parse_record
from gatehouse.domain.unification import plan
from gatehouse.errors import ActionRequiredError, InvalidTokenError
from gatehouse.flows.recovery import Lookup
from gatehouse.flows.unifier import build_account

D_HASH = "$2b$12$" + "a" * 53
PASSWORD = "a quiet harbour at dawn"
EMAIL = "jane@example.com"


def _unverified(c: Container, **kw: object) -> Account:
    account = Account(id="acc_unverified1", email=EMAIL, created_at=c.clock.now(),
                      password_hash=c.hasher.hash(PASSWORD), email_verified=False,
                      contexts=new_account_contexts("acc_unverified1", "Jane", ["scaleway", "dedibox"]), **kw)
    c.accounts.add(account)
    return account


def _auth(c: Container):
    return c.sessions.authenticate(c.login.login(EMAIL, PASSWORD, ip="10.0.0.1").token)


def _link_token(c: Container, to: str = EMAIL) -> str:
    return re.search(r"[?&]token=([A-Za-z0-9_\-]+)", c.mailer.to(to)[-1].text).group(1)


def test_a_lone_dedibox_account_once_unified_is_asked_nothing_and_its_address_stays_unverified() -> None:
    record = parse_record({"console": "dedibox", "legacy_id": "dbx-1", "identifier": "jdoe", "email": EMAIL,
                           "password_hash": D_HASH, "mfa": None, "phone": None, "domains": [],
                           "linked_scaleway_id": None, "linked_at": None, "resources": [], "api_keys": []})
    p = next(iter(plan([record], cutoff=datetime(2025, 10, 28, tzinfo=UTC))))
    account, _ = build_account(p, None, datetime(2026, 1, 1, tzinfo=UTC))
    assert account.email_verified is False
    assert RequiredAction.VERIFY_EMAIL not in account.required_actions


def test_an_unverified_unified_account_opens_its_consoles(c: Container) -> None:
    _unverified(c, extra={"unification": {"unified_key": "new:x", "case": "dedibox_only"}})
    auth = _auth(c)
    assert c.consoles.select(auth, "scaleway", None)["redirect_url"]


def test_an_unverified_account_that_was_not_unified_must_still_confirm_its_address(c: Container) -> None:
    _unverified(c)
    with pytest.raises(ActionRequiredError) as raised:
        c.consoles.select(_auth(c), "scaleway", None)
    assert raised.value.details["required_actions"] == ["verify_email"]


def test_an_email_code_sign_in_proves_the_address(c: Container) -> None:
    _unverified(c)
    c.code_login.request(EMAIL)
    code = re.search(r"\b(\d{8})\b", c.mailer.to(EMAIL)[-1].text).group(1)
    outcome = c.login.sign_in("email_code", {"email": EMAIL, "code": code}, ip="10.0.0.1")
    assert outcome.result["required_actions"] == []
    assert c.accounts.get("acc_unverified1").email_verified


def test_a_followed_reset_link_proves_the_address(c: Container) -> None:
    _unverified(c)
    c.recovery.request("email", Lookup("email", EMAIL), ip="10.0.0.1")
    c.recovery.complete("email", {"token": _link_token(c)}, "another quiet harbour at noon")
    assert c.accounts.get("acc_unverified1").email_verified


def test_the_confirmation_link_can_be_sent_again_and_only_the_newest_proves_the_address(c: Container) -> None:
    _unverified(c)
    auth = _auth(c)
    c.account_settings.send_email_confirmation(auth)
    first = _link_token(c)
    c.account_settings.send_email_confirmation(auth)
    second = _link_token(c)
    assert first != second and "/ui/confirm-email?token=" in c.mailer.to(EMAIL)[-1].text
    with pytest.raises(InvalidTokenError):
        c.account_settings.confirm_email_change(first)
    assert c.account_settings.confirm_email_change(second)["email_verified"] is True
    assert c.accounts.get("acc_unverified1").required_actions == []
    with pytest.raises(InvalidTokenError):
        c.account_settings.confirm_email_change(second)


def test_a_confirmation_link_proves_nothing_once_the_account_left_that_address(c: Container) -> None:
    account = _unverified(c)
    c.account_settings.send_email_confirmation(_auth(c))
    token = _link_token(c)
    c.accounts.save(c.accounts.get(account.id).evolve(email="other@example.com"))
    with pytest.raises(InvalidTokenError):
        c.account_settings.confirm_email_change(token)
    assert not c.accounts.get(account.id).email_verified


def test_a_confirmed_account_is_sent_no_confirmation_link(c: Container) -> None:
    _unverified(c, name="Jane")
    c.accounts.save(c.accounts.get("acc_unverified1").evolve(email_verified=True))
    before = len(c.mailer.to(EMAIL))
    c.account_settings.send_email_confirmation(_auth(c))
    assert len(c.mailer.to(EMAIL)) == before


def test_an_email_change_link_works_once_a_newer_one_kills_it_and_of_racing_uses_one_wins(c: Container) -> None:
    from gatehouse.errors import ConflictError

    from tests.support.race import race

    account = _unverified(c)
    auth = _auth(c)
    c.account_settings.request_email_change(auth, "first@example.net", PASSWORD)
    older = _link_token(c, "first@example.net")
    c.account_settings.request_email_change(auth, "second@example.net", PASSWORD)
    newer = _link_token(c, "second@example.net")
    assert newer.startswith(f"{account.id}-")
    assert "/ui/verify-email?token=" in c.mailer.to("second@example.net")[-1].text
    c.account_settings.send_email_confirmation(auth)  # a confirmation link of the same account is another process
    confirmation = _link_token(c)
    with pytest.raises(InvalidTokenError):
        c.account_settings.confirm_email_change(older)
    results = race(lambda _: c.account_settings.confirm_email_change(newer),
                   expected=(InvalidTokenError, ConflictError))
    assert sum(isinstance(r, dict) for r in results) == 1
    assert c.accounts.get(account.id).email == "second@example.net"
    with pytest.raises(InvalidTokenError):  # live beside the change, but for the address the account has left
        c.account_settings.confirm_email_change(confirmation)


def test_an_email_change_or_confirmation_link_issued_before_links_were_processes_still_works_once(
        c: Container) -> None:
    from datetime import timedelta

    from gatehouse.domain.one_time import OneTimeItem
    from gatehouse.domain.secrets import digest, new_token

    account = _unverified(c)
    change, confirm = new_token(), new_token()
    later = c.clock.now() + timedelta(minutes=30)
    c.once.replace_latest(OneTimeItem(kind="email_confirm", key=digest(confirm), subject=account.id, expires_at=later,
                                      data={"account_id": account.id, "email": EMAIL}))
    assert c.account_settings.confirm_email_change(confirm)["email_verified"] is True
    c.once.replace_latest(OneTimeItem(kind="email_change", key=digest(change), subject=account.id, expires_at=later,
                                      data={"account_id": account.id, "new_email": "new@example.net"}))
    assert c.account_settings.confirm_email_change(change)["email"] == "new@example.net"
    for used in (change, confirm):
        with pytest.raises(InvalidTokenError):
            c.account_settings.confirm_email_change(used)
