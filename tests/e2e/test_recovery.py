"""Password recovery over HTTP against the running stack: by email link and by SMS code.

Every reset test makes its own accounts. Accounts with a linked domain or a legacy Dedibox
identifier cannot be made over HTTP (they come from the legacy import), so `aliased_account`
writes one straight into the stack's table, as the importer will.
"""

from __future__ import annotations

import re
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import requests

from tests.e2e.conftest import STRONG_PASSWORD, Browserish, Stack, set_phone, sign_up

NEW_PASSWORD = "seven lanterns over the bay"
FLOW_ID = re.compile(r"^rec_[0-9a-f]{24}$")


@pytest.fixture(scope="module", autouse=True)
def fresh_reset_windows(stack: Stack) -> Iterator[None]:
    """The per-source-IP reset cap counts every test's requests (all come from 127.0.0.1) in a
    fixed hourly window: start and leave this module in a fresh window."""
    stack.advance_clock(3600)
    yield
    stack.advance_clock(3600)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def aliased_account(stack: Stack, email: str, *, phone: str | None = None, locale: str = "en",
                    domains: tuple[str, ...] = (), legacy: tuple[str, ...] = ()) -> str:
    """An account with a linked domain / legacy identifier, written into the stack's table."""
    from gatehouse import settings
    from gatehouse.adapters.dynamodb import DynamoAccounts, Table
    from gatehouse.clock import SystemClock
    from gatehouse.domain.accounts import Account, new_account_contexts
    from gatehouse.domain.secrets import new_id
    from gatehouse.strategies.password import PasswordHasher

    config = settings.load(stack.env())
    now = SystemClock().now()
    account_id = new_id("acc")
    account = Account(id=account_id, email=email, created_at=now, password_hash=PasswordHasher(config.argon2)
                      .hash(STRONG_PASSWORD), email_verified=True, locale=locale, phone=phone,
                      password_changed_at=now,
                      contexts=new_account_contexts(account_id, "", [c.id for c in config.consoles]))
    DynamoAccounts(Table(config)).add(account, aliases={"domain": list(domains), "legacy": list(legacy)})
    return account_id


def with_phone(stack: Stack, email: str, locale: str = "en") -> tuple[Browserish, str]:
    client = sign_up(stack, email, locale=locale)
    phone = f"+3361{uuid.uuid4().int % 10**7:07d}"
    assert set_phone(stack, client, phone)["phone"] == phone
    return client, phone


def request_reset(stack: Stack, strategy: str, **key: str) -> requests.Response:
    return requests.post(f"{stack.base}/password/reset/{strategy}", json=key, timeout=10)


def complete_email(stack: Stack, token: str, password: str = NEW_PASSWORD) -> requests.Response:
    return requests.post(f"{stack.base}/password/reset/email/complete",
                         json={"token": token, "new_password": password}, timeout=30)


def complete_sms(stack: Stack, flow_id: str, code: str, password: str = NEW_PASSWORD) -> requests.Response:
    return requests.post(f"{stack.base}/password/reset/sms/complete",
                         json={"flow_id": flow_id, "code": code, "new_password": password}, timeout=30)


def sms_code(stack: Stack, phone: str) -> str:
    match = re.search(r"\b(\d{6})\b", stack.last_message(phone, "sms")["text"])
    assert match
    return match.group(1)


def count(stack: Stack, channel: str, to: str | None = None) -> int:
    return sum(1 for m in stack.outbox(to) if m["channel"] == channel)


def login(stack: Stack, email: str, password: str) -> requests.Response:
    return stack.client().post("/login", json={"email": email, "password": password})


# --- the request -------------------------------------------------------------------------------

@pytest.mark.parametrize("strategy", ["email", "sms"])
@pytest.mark.parametrize("body", [{}, {"email": "a@example.com", "domain": "example.com"},
                                  {"identifier": "x", "email": "a@example.com", "domain": "example.com"}])
def test_a_reset_needs_exactly_one_key(stack: Stack, strategy: str, body: dict[str, str]) -> None:
    r = requests.post(f"{stack.base}/password/reset/{strategy}", json=body, timeout=10)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "invalid_input" and set(error["details"]["fields"]) == {"identifier", "email", "domain"}


def test_an_account_is_found_by_id_legacy_identifier_and_domain(stack: Stack, unique_email: str) -> None:
    domain, legacy = f"{unique('dom')}.example", unique("jdoe")
    account_id = aliased_account(stack, unique_email, domains=(domain,), legacy=(legacy,))
    for key in ({"identifier": account_id}, {"identifier": legacy}, {"domain": domain.upper()}):
        assert request_reset(stack, "email", **key).status_code == 202
    assert count(stack, "email", unique_email) == 3
    r = complete_email(stack, stack.link_token(unique_email))
    assert r.status_code == 204
    assert login(stack, unique_email, NEW_PASSWORD).status_code == 200


def test_the_seeded_demo_account_is_reachable_by_its_domain_and_legacy_identifier(stack: Stack) -> None:
    """`make run` seeds it (gatehouse.local.demo); its password is shared, so only the requests run."""
    emails, texts = count(stack, "email", "recovery@gatehouse.local"), count(stack, "sms", "+33600000001")
    assert request_reset(stack, "email", domain="demo-domain.example").status_code == 202
    assert request_reset(stack, "sms", identifier="demo-legacy").status_code == 202
    assert count(stack, "email", "recovery@gatehouse.local") == emails + 1
    assert count(stack, "sms", "+33600000001") == texts + 1


def test_unknown_and_known_accounts_get_the_same_answer(stack: Stack, unique_email: str) -> None:
    _, phone = with_phone(stack, unique_email)
    domain = f"{unique('dom')}.example"
    aliased_account(stack, f"aliased-{unique_email}", domains=(domain,))
    sms_before = count(stack, "sms")
    answers = []
    for strategy in ("email", "sms"):
        for key in ({"email": unique_email}, {"email": f"nobody-{unique_email}"}, {"domain": domain},
                    {"domain": f"nobody-{domain}"}, {"identifier": "acc_000000000000000000000001"},
                    {"identifier": unique("nobody")}):
            r = request_reset(stack, strategy, **key)
            body = r.json()
            answers.append((r.status_code, tuple(sorted(body)), body["status"], bool(FLOW_ID.match(body["flow_id"])),
                            r.headers.get("Content-Type")))
    assert set(answers) == {(202, ("flow_id", "status"), "reset_requested", True, "application/json")}
    # One SMS (the known account's), none for the five unknown keys; its phone also got its verification code.
    assert count(stack, "sms") == sms_before + 1 and count(stack, "sms", phone) == 2


def test_an_unknown_account_answers_in_about_the_same_time(stack: Stack, unique_email: str) -> None:
    sign_up(stack, unique_email)

    def median_ms(email: str) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            assert request_reset(stack, "sms", email=email).status_code == 202
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    known, unknown = median_ms(unique_email), median_ms(f"nobody-{unique_email}")
    # The exact claim (the same DynamoDB calls) is tests/unit/test_recovery_calls.py; over HTTP we
    # check that no path is skipped wholesale: an early return would answer several times faster.
    assert unknown > known * 0.5 and known > unknown * 0.5, (known, unknown)


# --- email link --------------------------------------------------------------------------------

def test_reset_by_email_link_ends_every_session_and_does_not_log_in(stack: Stack, signed_up) -> None:
    client, email = signed_up
    other = stack.client()
    assert other.post("/login", json={"email": email, "password": STRONG_PASSWORD}).status_code == 200
    assert request_reset(stack, "email", email=email).status_code == 202
    r = complete_email(stack, stack.link_token(email))
    assert r.status_code == 204 and "Set-Cookie" not in r.headers
    assert client.get("/session").status_code == 401 and other.get("/session").status_code == 401
    assert stack.last_message(email)["subject"] == "Your password was changed"
    assert login(stack, email, STRONG_PASSWORD).status_code == 401
    assert login(stack, email, NEW_PASSWORD).json()["status"] == "authenticated"


def test_after_a_reset_the_next_login_still_asks_for_the_second_factor(stack: Stack, signed_up) -> None:
    import pyotp

    client, email = signed_up
    r = client.post("/mfa/totp")
    assert r.status_code == 200, r.text
    now = requests.post(f"{stack.base}/dev/clock", json={"seconds": 0}, timeout=10).json()["now"]
    code = pyotp.TOTP(r.json()["secret"]).at(datetime.fromisoformat(now.replace("Z", "+00:00")))
    assert client.post("/mfa/totp/confirm", json={"code": code}).status_code == 201
    request_reset(stack, "email", email=email)
    assert complete_email(stack, stack.link_token(email)).status_code == 204
    r = login(stack, email, NEW_PASSWORD)
    assert r.status_code == 200 and r.json()["status"] == "mfa_required"


def test_the_link_host_comes_from_configuration_not_from_the_request(stack: Stack, unique_email: str) -> None:
    sign_up(stack, unique_email)
    r = requests.post(f"{stack.base}/password/reset/email", json={"email": unique_email}, timeout=10,
                      headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
    assert r.status_code == 202
    message = stack.last_message(unique_email)
    assert f"{stack.base}/ui/reset/complete?token=" in message["text"]
    assert f'href="{stack.base}/ui/reset/complete?token=' in message["html"]
    assert "evil.example" not in message["text"] + message["html"]


def test_the_link_works_once_and_a_newer_link_kills_older_ones(stack: Stack, unique_email: str) -> None:
    sign_up(stack, unique_email)
    request_reset(stack, "email", email=unique_email)
    first = stack.link_token(unique_email)
    request_reset(stack, "email", email=unique_email)
    second = stack.link_token(unique_email)
    r = complete_email(stack, first)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_token"
    assert complete_email(stack, second).status_code == 204
    assert complete_email(stack, second, "yet another fine passphrase").json()["error"]["code"] == "invalid_token"


def test_the_link_expires_after_thirty_minutes(stack: Stack, unique_email: str) -> None:
    sign_up(stack, unique_email)
    request_reset(stack, "email", email=unique_email)
    token = stack.link_token(unique_email)
    stack.advance_clock(30 * 60 + 5)
    r = complete_email(stack, token)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_token"


def test_eight_concurrent_completions_with_one_link_give_one_204(stack: Stack, unique_email: str) -> None:
    sign_up(stack, unique_email)
    request_reset(stack, "email", email=unique_email)
    token = stack.link_token(unique_email)
    statuses = race(8, lambda i: complete_email(stack, token, f"{NEW_PASSWORD} {i}").status_code)
    assert sorted(statuses) == [204] + [400] * 7


def test_a_weak_password_is_refused_with_reasons_and_keeps_the_link(stack: Stack, unique_email: str) -> None:
    sign_up(stack, unique_email)
    request_reset(stack, "email", email=unique_email)
    token = stack.link_token(unique_email)
    local_part = unique_email.split("@")[0]
    for weak, reason in (("short", "at least 8"), ("password1", "most common"),
                         (f"{local_part}!!", "email address")):
        r = complete_email(stack, token, weak)
        assert r.status_code == 400 and r.json()["error"]["code"] == "weak_password"
        assert any(reason in text for text in r.json()["error"]["details"]["reasons"]), r.json()
        assert reason in r.json()["error"]["details"]["fields"]["new_password"]  # the form shows it by the field
    assert complete_email(stack, token).status_code == 204


def test_the_reset_email_is_in_french_for_a_french_account(stack: Stack, unique_email: str) -> None:
    sign_up(stack, unique_email, locale="fr")
    request_reset(stack, "email", email=unique_email)
    message = stack.last_message(unique_email)
    assert message["subject"] == "Réinitialisez votre mot de passe"
    assert "Suivez ce lien" in message["text"] and "<a href=" in message["html"]


def test_an_unknown_address_gets_a_no_account_notice_without_a_link(stack: Stack, unique_email: str) -> None:
    assert request_reset(stack, "email", email=unique_email).status_code == 202
    message = stack.last_message(unique_email)
    assert "no Gatehouse account uses it" in message["text"] and "token=" not in message["text"]


# --- SMS code ----------------------------------------------------------------------------------

def test_reset_by_sms_code_ends_sessions_and_mails_a_notice(stack: Stack, unique_email: str) -> None:
    client, phone = with_phone(stack, unique_email)
    flow_id = request_reset(stack, "sms", email=unique_email).json()["flow_id"]
    sms = stack.last_message(phone, "sms")
    assert "not a password" in sms["text"]
    r = complete_sms(stack, flow_id, sms_code(stack, phone))
    assert r.status_code == 204 and "Set-Cookie" not in r.headers
    assert client.get("/session").status_code == 401
    assert stack.last_message(unique_email)["subject"] == "Your password was changed"
    assert login(stack, unique_email, NEW_PASSWORD).status_code == 200


def test_the_sms_is_in_french_for_a_french_account(stack: Stack, unique_email: str) -> None:
    _, phone = with_phone(stack, unique_email, locale="fr")
    request_reset(stack, "sms", email=unique_email)
    assert "n'est pas un mot de passe" in stack.last_message(phone, "sms")["text"]


def test_five_wrong_codes_kill_the_flow_and_a_resend_keeps_the_count(stack: Stack, unique_email: str) -> None:
    _, phone = with_phone(stack, unique_email)
    first = request_reset(stack, "sms", email=unique_email).json()["flow_id"]
    wrong = f"{(int(sms_code(stack, phone)) + 1) % 10**6:06d}"
    for left in (4, 3):
        r = complete_sms(stack, first, wrong)
        assert r.status_code == 400 and r.json()["error"]["details"]["attempts_remaining"] == left
    second = request_reset(stack, "sms", email=unique_email).json()["flow_id"]  # the resend
    code = sms_code(stack, phone)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in (2, 1, 0):
        r = complete_sms(stack, second, wrong)
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_code"
        assert r.json()["error"]["details"]["attempts_remaining"] == left
    r = complete_sms(stack, second, code)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_code"
    sent = count(stack, "sms", phone)
    request_reset(stack, "sms", email=unique_email)  # no new code while the dead flow lives
    assert count(stack, "sms", phone) == sent
    assert login(stack, unique_email, STRONG_PASSWORD).status_code == 200


def test_the_code_expires_after_ten_minutes(stack: Stack, unique_email: str) -> None:
    _, phone = with_phone(stack, unique_email)
    flow_id = request_reset(stack, "sms", email=unique_email).json()["flow_id"]
    stack.advance_clock(10 * 60 + 5)
    r = complete_sms(stack, flow_id, sms_code(stack, phone))
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_code"


def test_eight_concurrent_completions_with_one_code_give_one_204(stack: Stack, unique_email: str) -> None:
    _, phone = with_phone(stack, unique_email)
    flow_id = request_reset(stack, "sms", email=unique_email).json()["flow_id"]
    code = sms_code(stack, phone)
    statuses = race(8, lambda i: complete_sms(stack, flow_id, code, f"{NEW_PASSWORD} {i}").status_code)
    assert sorted(statuses) == [204] + [400] * 7


def test_phone_numbers_must_be_e164(stack: Stack, signed_up) -> None:
    client, _ = signed_up
    for bad in ("0612345678", "+0612345678", "+33 6 12 34 56 78", "+33-612345678", "+1234", "+33612345678\n"):
        r = client.post("/account/phone", json={"phone": bad, "password": STRONG_PASSWORD})
        assert r.status_code == 400 and "phone" in r.json()["error"]["details"]["fields"], bad
    phone = f"+3361{uuid.uuid4().int % 10**7:07d}"
    assert set_phone(stack, client, phone)["phone"] == phone


# --- throttling --------------------------------------------------------------------------------

def test_at_most_five_messages_per_account_per_hour_and_the_answer_stays_the_same(
        stack: Stack, unique_email: str) -> None:
    _, phone = with_phone(stack, unique_email)
    verification_codes = count(stack, "sms", phone)
    answers = set()
    for strategy in ("email", "sms") * 4:
        r = request_reset(stack, strategy, email=unique_email)
        answers.add((r.status_code, tuple(sorted(r.json())), r.json()["status"]))
    assert answers == {(202, ("flow_id", "status"), "reset_requested")}
    resets = [m for m in stack.outbox(unique_email) if m["subject"] == "Reset your password"]
    assert len(resets) + count(stack, "sms", phone) - verification_codes == 5


def test_one_source_ip_is_capped_silently(stack: Stack, unique_email: str) -> None:
    sign_up(stack, unique_email)
    stack.advance_clock(3600)  # a fresh hourly window for the per-IP count
    from gatehouse import settings

    limit = settings.load(stack.env()).reset_messages_per_ip
    for _ in range(limit):
        assert request_reset(stack, "email", identifier=unique("nobody")).status_code == 202
    before = count(stack, "email", unique_email)
    r = request_reset(stack, "email", email=unique_email)
    assert r.status_code == 202 and FLOW_ID.match(r.json()["flow_id"])
    assert count(stack, "email", unique_email) == before
    stack.advance_clock(3600)  # leave a fresh window to the next tests
    request_reset(stack, "email", email=unique_email)
    assert count(stack, "email", unique_email) == before + 1


def race(n: int, call: Any) -> list[int]:
    barrier = threading.Barrier(n)
    results: list[int] = []

    def run(i: int) -> None:
        barrier.wait()
        results.append(call(i))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
