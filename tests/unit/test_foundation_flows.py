"""Sign-up, login, sessions and consoles over fakes: the rules without the network."""

from __future__ import annotations

import re

import pytest
from gatehouse.bootstrap import Container
from gatehouse.domain.accounts import MfaMethod
from gatehouse.errors import (
    ActionRequiredError,
    ConflictError,
    InvalidCodeError,
    InvalidCredentialsError,
    InvalidTokenError,
    NotAuthenticatedError,
    RateLimitedError,
    WeakPasswordError,
)

from tests.unit.conftest import FAST

PASSWORD = "a quiet harbour at dawn"


def _signed_up(c: Container, email: str = "jane@example.com"):
    c.signup.request(email, PASSWORD, "en")
    token = re.search(r"token=(\S+)", c.mailer.sent[-1].text).group(1)
    return c.signup.verify(token)


def test_sign_up_creates_the_account_in_every_console(c: Container) -> None:
    result = _signed_up(c)
    account = c.accounts.get(result["account_id"])
    assert result["consoles"] == ["scaleway", "dedibox"]
    assert {x.console for x in account.contexts} == {"scaleway", "dedibox"}
    assert account.email_verified and account.password_hash.startswith("$argon2id$")


def test_a_newer_sign_up_link_kills_the_older_one(c: Container) -> None:
    c.signup.request("jane@example.com", PASSWORD, "en")
    old = re.search(r"token=(\S+)", c.mailer.sent[-1].text).group(1)
    c.signup.request("jane@example.com", PASSWORD, "en")
    with pytest.raises(InvalidTokenError):
        c.signup.verify(old)


def test_a_sign_up_link_expires_after_thirty_minutes(c: Container) -> None:
    c.signup.request("jane@example.com", PASSWORD, "en")
    token = re.search(r"token=(\S+)", c.mailer.sent[-1].text).group(1)
    c.clock.advance(30 * 60 + 1)
    with pytest.raises(InvalidTokenError):
        c.signup.verify(token)


def test_two_verified_sign_ups_for_one_email_make_one_account(c: Container) -> None:
    c.signup.request("jane@example.com", PASSWORD, "en")
    first = re.search(r"token=(\S+)", c.mailer.sent[-1].text).group(1)
    c2 = Container.in_memory(FAST, accounts=c.accounts)
    c2.signup.request("JANE@example.com", PASSWORD, "en")
    second = re.search(r"token=(\S+)", c2.mailer.sent[-1].text).group(1)
    c.signup.verify(first)
    with pytest.raises(ConflictError):
        c2.signup.verify(second)


def test_racing_uses_of_one_sign_up_link_make_one_account(c: Container) -> None:
    from tests.support.race import race

    c.signup.request("jane@example.com", PASSWORD, "en")
    token = re.search(r"token=(\S+)", c.mailer.sent[-1].text).group(1)
    results = race(lambda _: c.signup.verify(token), expected=(InvalidTokenError, ConflictError))
    assert sum(isinstance(r, dict) for r in results) == 1


def test_a_sign_up_link_names_a_digest_of_the_address_never_the_address_and_a_wrong_secret_is_not_found(
        c: Container) -> None:
    from gatehouse.domain.secrets import digest

    c.signup.request("Jane@Example.com", PASSWORD, "en")
    token = re.search(r"token=(\S+)", c.mailer.sent[-1].text).group(1)
    handle, _, secret = token.rpartition("-")
    assert handle == digest("jane@example.com") and len(secret) == 64 and "example" not in token
    for wrong in (f"{handle}-{'0' * 64}", f"{digest('other@example.com')}-{secret}", "made-up") * 3:
        with pytest.raises(InvalidTokenError):
            c.signup.verify(wrong)
    assert c.signup.verify(token)["account_id"]


def test_a_sign_up_link_issued_before_links_were_processes_still_works_once(c: Container) -> None:
    from datetime import timedelta

    from gatehouse.domain.one_time import OneTimeItem
    from gatehouse.domain.secrets import digest, new_token

    token = new_token()
    c.once.replace_latest(OneTimeItem(kind="signup", key=digest(token), subject="jane@example.com",
                                      expires_at=c.clock.now() + timedelta(minutes=30),
                                      data={"email": "jane@example.com", "password_hash": c.hasher.hash(PASSWORD),
                                            "locale": "fr"}))
    account = c.accounts.get(c.signup.verify(token)["account_id"])
    assert account.email == "jane@example.com" and account.locale == "fr"
    with pytest.raises(InvalidTokenError):
        c.signup.verify(token)


def test_sign_up_refuses_a_password_made_of_the_email(c: Container) -> None:
    with pytest.raises(WeakPasswordError) as raised:
        c.signup.request("marguerite@example.com", "marguerite2024", "en")
    assert raised.value.details["reasons"]


def test_login_succeeds_then_rotates_away_the_previous_token(c: Container) -> None:
    _signed_up(c)
    first = c.login.login("jane@example.com", PASSWORD, ip="1.2.3.4")
    second = c.login.login("jane@example.com", PASSWORD, ip="1.2.3.4", previous_token=first.token)
    with pytest.raises(NotAuthenticatedError):
        c.sessions.authenticate(first.token)
    assert c.sessions.authenticate(second.token).session.account_id == second.account.id


def test_unknown_email_runs_a_dummy_hash_and_fails_like_a_wrong_password(c: Container, monkeypatch) -> None:
    calls: list[str | None] = []
    real = c.hasher.verify
    monkeypatch.setattr(c.hasher, "verify", lambda stored, pw: calls.append(stored) or real(stored, pw))
    with pytest.raises(InvalidCredentialsError):
        c.login.login("ghost@example.com", PASSWORD, ip="1.2.3.4")
    assert calls == [None]  # verify(None) hashes against the dummy


def test_back_off_starts_after_five_failures_and_clears_on_success(c: Container) -> None:
    _signed_up(c)
    for _ in range(5):
        with pytest.raises(InvalidCredentialsError):
            c.login.login("jane@example.com", "wrong", ip="1.2.3.4")
    with pytest.raises(RateLimitedError) as raised:
        c.login.login("jane@example.com", PASSWORD, ip="1.2.3.4")
    assert raised.value.retry_after >= 1
    c.clock.advance(raised.value.retry_after)
    c.login.login("jane@example.com", PASSWORD, ip="1.2.3.4")
    with pytest.raises(InvalidCredentialsError):  # the slate is clean again: a failure, not a 429
        c.login.login("jane@example.com", "wrong", ip="1.2.3.4")


def test_a_day_after_five_failures_the_back_off_counts_from_zero(c: Container) -> None:
    _signed_up(c)
    for _ in range(5):
        with pytest.raises(InvalidCredentialsError):
            c.login.login("jane@example.com", "wrong", ip="1.2.3.4")
    c.clock.advance(24 * 60 * 60 + 1)
    for _ in range(5):  # five fresh mistakes, not the sixth to tenth of the old count
        with pytest.raises(InvalidCredentialsError):
            c.login.login("jane@example.com", "wrong", ip="1.2.3.4")
    with pytest.raises(RateLimitedError):
        c.login.login("jane@example.com", "wrong", ip="1.2.3.4")


def test_a_source_ip_is_limited_loosely_across_accounts(c: Container) -> None:
    c = Container.in_memory(FAST.with_overrides(ip_failures_per_window=10))
    for i in range(10):
        with pytest.raises(InvalidCredentialsError):
            c.login.login(f"user{i}@example.com", "wrong", ip="9.9.9.9")
    with pytest.raises(RateLimitedError):
        c.login.login("someone-else@example.com", "wrong", ip="9.9.9.9")
    with pytest.raises(InvalidCredentialsError):  # another address is not affected
        c.login.login("someone-else@example.com", "wrong", ip="8.8.8.8")


def test_a_hundred_failures_require_a_password_reset(c: Container) -> None:
    _signed_up(c)
    for _ in range(100):
        c.login_throttle.failed("jane@example.com", "1.2.3.4")
    c.clock.advance(3600)
    with pytest.raises(RateLimitedError) as raised:
        c.login.login("jane@example.com", PASSWORD, ip="1.2.3.5")
    assert "reset your password" in raised.value.message


def test_an_account_with_a_second_factor_gets_mfa_required(c: Container) -> None:
    result = _signed_up(c)
    account = c.accounts.get(result["account_id"])
    c.accounts.save(account.evolve(mfa_methods=(MfaMethod("m1", "totp", "phone", c.clock.now()),)))
    outcome = c.login.login("jane@example.com", PASSWORD, ip="1.2.3.4")
    assert outcome.result["status"] == "mfa_required" and outcome.result["mfa_methods"] == ["totp"]


def test_a_session_dies_at_its_absolute_deadline_even_when_used(c: Container) -> None:
    _signed_up(c)
    token = c.login.login("jane@example.com", PASSWORD, ip="1.2.3.4").token
    for _ in range(47):  # used every half hour: never idle, for 23.5 hours
        c.clock.advance(30 * 60)
        c.sessions.authenticate(token)
    c.clock.advance(31 * 60)
    with pytest.raises(NotAuthenticatedError):
        c.sessions.authenticate(token)


def test_a_pending_required_action_closes_the_consoles(c: Container) -> None:
    result = _signed_up(c)
    account = c.accounts.get(result["account_id"])
    c.accounts.save(account.evolve(mfa_enrolment_required=True))
    auth = c.sessions.authenticate(c.login.login("jane@example.com", PASSWORD, ip="1.2.3.4").token)
    with pytest.raises(ActionRequiredError) as raised:
        c.consoles.select(auth, "scaleway", None)
    assert raised.value.details["required_actions"] == ["enroll_mfa"]


def test_a_hand_off_code_cannot_be_exchanged_by_another_console(c: Container) -> None:
    _signed_up(c)
    auth = c.sessions.authenticate(c.login.login("jane@example.com", PASSWORD, ip="1.2.3.4").token)
    code = c.consoles.select(auth, "scaleway", None)["redirect_url"].split("code=")[1]
    with pytest.raises(InvalidCodeError):
        c.consoles.exchange("dedibox", code)
    assert c.consoles.exchange("scaleway", code)["console"] == "scaleway"
