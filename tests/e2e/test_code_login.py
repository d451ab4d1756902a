"""Email one-time code login over HTTP: with and without an enrolled second factor, single use,
five tries, expiry, and the same answer for unknown addresses."""

from __future__ import annotations

import re
import threading

from tests.e2e.conftest import Browserish, Stack
from tests.e2e.test_mfa_totp import enrol_totp, totp_code


def mailed_code(stack: Stack, email: str) -> str:
    match = re.search(r"\b(\d{8})\b", stack.last_message(email)["text"])
    assert match, "no 8-digit code in the last email"
    return match.group(1)


def ask(stack: Stack, email: str) -> Browserish:
    client = stack.client()
    r = client.post("/login/code", json={"email": email})
    assert r.status_code == 202 and r.json() == {"status": "code_sent"}
    return client


def test_an_emailed_code_signs_in_an_account_without_a_second_factor(stack: Stack, signed_up) -> None:
    _, email = signed_up
    client = ask(stack, email)
    r = client.post("/login/code/verify", json={"email": email.upper(), "code": mailed_code(stack, email)})
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "authenticated", "mfa_methods": [], "required_actions": []}
    assert client.get("/session").json()["email"] == email


def test_an_emailed_code_never_bypasses_an_enrolled_second_factor(stack: Stack, signed_up) -> None:
    browser, email = signed_up
    secret, _ = enrol_totp(stack, browser)
    client = ask(stack, email)
    r = client.post("/login/code/verify", json={"email": email, "code": mailed_code(stack, email)})
    assert r.status_code == 200 and r.json()["status"] == "mfa_required"
    assert client.get("/account").json()["error"]["code"] == "mfa_required"
    r = client.post("/mfa/verify", json={"method": "totp", "code": totp_code(stack, secret, 30)})
    assert r.status_code == 200 and client.get("/account").status_code == 200


def test_a_code_works_once_even_for_two_racing_requests(stack: Stack, signed_up) -> None:
    _, email = signed_up
    ask(stack, email)
    code = mailed_code(stack, email)
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def attempt() -> None:
        client = stack.client()
        barrier.wait()
        statuses.append(client.post("/login/code/verify", json={"email": email, "code": code}).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 400]


def test_five_wrong_codes_kill_the_code(stack: Stack, signed_up) -> None:
    _, email = signed_up
    client = ask(stack, email)
    code = mailed_code(stack, email)
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    for _ in range(5):
        r = client.post("/login/code/verify", json={"email": email, "code": wrong})
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_code"
    assert client.post("/login/code/verify", json={"email": email, "code": code}).status_code == 400


def test_a_code_expires_after_ten_minutes(stack: Stack, signed_up) -> None:
    _, email = signed_up
    client = ask(stack, email)
    code = mailed_code(stack, email)
    stack.advance_clock(601)
    assert client.post("/login/code/verify", json={"email": email, "code": code}).status_code == 400


def test_an_unknown_address_gets_the_same_answer_and_no_code(stack: Stack, unique_email: str) -> None:
    client = ask(stack, unique_email)
    mail = stack.last_message(unique_email)
    assert not re.search(r"\b\d{8}\b", mail["text"])
    r = client.post("/login/code/verify", json={"email": unique_email, "code": "12345678"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_code"
