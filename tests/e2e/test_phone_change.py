"""Changing the phone over HTTP: the phone is a recovery channel, so a new number gets a code and
becomes the account's (and its reset channel) only once the code comes back, after the password
and, with a second factor, a recent sign-in; PATCH /account no longer changes it."""

from __future__ import annotations

import re
import threading
import uuid

import requests

from tests.e2e.conftest import STRONG_PASSWORD, Browserish, Stack, set_phone, sign_up
from tests.e2e.test_mfa_totp import enrol_totp


def new_phone() -> str:
    return f"+3362{uuid.uuid4().int % 10**7:07d}"


def code_in(stack: Stack, phone: str) -> str:
    match = re.search(r"\b(\d{6})\b", stack.last_message(phone, "sms")["text"])
    assert match
    return match.group(1)


def sms_to(stack: Stack, phone: str) -> list[str]:
    return [m["text"] for m in stack.outbox(phone) if m["channel"] == "sms"]


def ask(client: Browserish, phone: str, password: str = STRONG_PASSWORD) -> requests.Response:
    return client.post("/account/phone", json={"phone": phone, "password": password})


def test_a_new_phone_gets_a_code_and_is_the_accounts_once_the_code_comes_back(stack: Stack, signed_up) -> None:
    client, email = signed_up
    phone = new_phone()
    r = ask(client, phone)
    assert r.status_code == 202 and r.json() == {"status": "code_sent"}
    assert client.get("/account").json()["phone"] is None  # pending: nothing changed yet
    r = client.post("/account/phone/verify", json={"code": code_in(stack, phone)})
    assert r.status_code == 200 and r.json()["phone"] == phone and r.json()["email"] == email
    assert client.get("/account").json()["phone"] == phone
    notice = stack.last_message(email)
    assert notice["subject"] == "Your phone number was changed" and f"ending in {phone[-2:]}" in notice["text"]
    # The code was used: it does not work twice.
    r = client.post("/account/phone/verify", json={"code": code_in(stack, phone)})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_code"


def test_a_pending_number_does_not_get_the_reset_sms_the_verified_one_does(stack: Stack, unique_email: str) -> None:
    client = sign_up(stack, unique_email)
    old, pending = new_phone(), new_phone()
    set_phone(stack, client, old)
    assert ask(client, pending).status_code == 202
    r = requests.post(f"{stack.base}/password/reset/sms", json={"email": unique_email}, timeout=10)
    assert r.status_code == 202
    assert len(sms_to(stack, pending)) == 1  # only its verification code
    assert "password reset code" in sms_to(stack, old)[-1]
    flow_id = r.json()["flow_id"]
    r = requests.post(f"{stack.base}/password/reset/sms/complete", timeout=30, json={
        "flow_id": flow_id, "code": code_in(stack, old), "new_password": "seven lanterns over the bay"})
    assert r.status_code == 204


def test_patch_account_refuses_the_phone_and_names_the_new_route(stack: Stack, signed_up) -> None:
    client, _ = signed_up
    for body in ({"phone": "+33612345678"}, {"phone": "+33612345678", "name": "Jeanne"}, {"phone": None},
                 {"phone": "+33" + "6" * 40}, {"phone": 33612345678}):
        r = client.patch("/account", json=body)
        assert r.status_code == 400, body
        error = r.json()["error"]
        assert error["code"] == "invalid_input" and "/account/phone" in error["details"]["fields"]["phone"]
    account = client.get("/account").json()
    assert (account["phone"], account["name"]) == (None, "")


def test_a_wrong_password_is_invalid_password_and_texts_nothing(stack: Stack, signed_up) -> None:
    client, _ = signed_up
    phone = new_phone()
    r = ask(client, phone, "not my password at all")
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "invalid_password" and "password" in error["details"]["fields"]
    assert sms_to(stack, phone) == []


def test_a_wrong_code_is_refused_and_five_kill_the_change(stack: Stack, signed_up) -> None:
    client, _ = signed_up
    phone = new_phone()
    ask(client, phone)
    right = code_in(stack, phone)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for _ in range(5):
        r = client.post("/account/phone/verify", json={"code": wrong})
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_code"
    assert client.post("/account/phone/verify", json={"code": right}).status_code == 400
    assert client.get("/account").json()["phone"] is None


def test_changing_the_phone_needs_a_session_and_a_recent_sign_in_once_a_factor_is_enrolled(
        stack: Stack, signed_up) -> None:
    client, _ = signed_up
    anonymous = stack.client()
    assert ask(anonymous, new_phone()).status_code == 401
    assert anonymous.post("/account/phone/verify", json={"code": "123456"}).status_code == 401
    enrol_totp(stack, client)
    stack.advance_clock(11 * 60)
    phone = new_phone()
    r = ask(client, phone)
    assert r.status_code == 403 and r.json()["error"]["code"] == "reauthentication_required"
    assert sms_to(stack, phone) == []


def test_bad_bodies_are_400_with_the_field_named(stack: Stack, signed_up) -> None:
    client, _ = signed_up
    for body, fields in (({"phone": "0612345678", "password": STRONG_PASSWORD}, {"phone"}),
                         ({"password": STRONG_PASSWORD}, {"phone"}), ({"phone": new_phone()}, {"password"})):
        r = client.post("/account/phone", json=body)
        assert r.status_code == 400 and set(r.json()["error"]["details"]["fields"]) >= fields, (body, r.text)
    r = client.post("/account/phone/verify", json={})
    assert r.status_code == 400 and "code" in r.json()["error"]["details"]["fields"]


def test_of_racing_right_codes_one_wins(stack: Stack, signed_up) -> None:
    client, _ = signed_up
    phone = new_phone()
    ask(client, phone)
    code = code_in(stack, phone)
    statuses: list[int] = []
    gate = threading.Barrier(6)

    def confirm() -> None:
        gate.wait()
        statuses.append(client.post("/account/phone/verify", json={"code": code}).status_code)

    threads = [threading.Thread(target=confirm) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [400] * 5
