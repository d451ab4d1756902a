"""WebAuthn over HTTP with the software authenticator: registration, second factor, passkey login,
and the attacks the server must refuse (replay, wrong origin, a falling sign counter)."""

from __future__ import annotations

import copy

from tests.e2e.conftest import STRONG_PASSWORD, Browserish, Stack
from tests.support.soft_authenticator import SoftAuthenticator


def authenticator(stack: Stack) -> SoftAuthenticator:
    return SoftAuthenticator(origin=stack.base, rp_id="localhost")


def register(client: Browserish, key: SoftAuthenticator, name: str = "Laptop") -> str:
    r = client.post("/mfa/webauthn/register")
    assert r.status_code == 200, r.text
    options = r.json()["options"]
    assert options["rp"]["id"] == "localhost" and len(options["challenge"]) >= 43  # 32 bytes
    r = client.post("/mfa/webauthn/register/verify", json={"credential": key.create(options), "name": name})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def pending_login(stack: Stack, email: str) -> Browserish:
    client = stack.client()
    r = client.post("/login", json={"email": email, "password": STRONG_PASSWORD})
    assert r.json()["status"] == "mfa_required"
    return client


def second_factor(client: Browserish, key: SoftAuthenticator, **get_kwargs) -> tuple[int, dict]:
    options = client.post("/mfa/webauthn/challenge").json()["options"]
    credential = key.get(options, **get_kwargs)
    r = client.post("/mfa/verify", json={"method": "webauthn", "credential": credential})
    return r.status_code, credential


def test_a_registered_passkey_is_a_second_factor(stack: Stack, signed_up) -> None:
    client, email = signed_up
    key = authenticator(stack)
    factor_id = register(client, key)
    r = client.post("/mfa/webauthn/register/verify", json={"credential": {"id": "x"}})
    assert r.status_code == 400  # the registration challenge was used once already
    methods = client.get("/mfa").json()["methods"]
    assert [(m["id"], m["type"], m["name"]) for m in methods] == [(factor_id, "webauthn", "Laptop")]
    assert stack.last_message(email)["subject"] == "A second factor was added to your account"

    pending = pending_login(stack, email)
    status, _ = second_factor(pending, key)
    assert status == 200
    assert pending.get("/session").json()["aal"] == 2


def test_passkey_login_without_a_password(stack: Stack, signed_up) -> None:
    client, email = signed_up
    key = authenticator(stack)
    register(client, key)
    browser = stack.client()
    r = browser.post("/login/passkey/options")
    assert r.status_code == 200
    options = r.json()["options"]
    assert options["userVerification"] == "required" and options.get("allowCredentials", []) == []
    assert "HttpOnly" in r.headers["Set-Cookie"]
    r = browser.post("/login/passkey", json={"credential": key.get(options)})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "authenticated"
    session = browser.get("/session").json()
    assert session["email"] == email and session["aal"] == 2


def test_passkey_login_refuses_a_replayed_assertion(stack: Stack, signed_up) -> None:
    client, _ = signed_up
    key = authenticator(stack)
    register(client, key)
    browser = stack.client()
    options = browser.post("/login/passkey/options").json()["options"]
    credential = key.get(options)
    assert browser.post("/login/passkey", json={"credential": credential}).status_code == 200
    attacker = stack.client()
    attacker.cookies = copy.deepcopy(browser.cookies)
    r = attacker.post("/login/passkey", json={"credential": credential})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_credentials"
    # Even with a fresh challenge cookie, the old assertion signs the old challenge.
    attacker = stack.client()
    attacker.post("/login/passkey/options")
    assert attacker.post("/login/passkey", json={"credential": credential}).status_code == 401


def test_a_replayed_second_factor_assertion_is_refused(stack: Stack, signed_up) -> None:
    client, email = signed_up
    key = authenticator(stack)
    register(client, key)
    pending = pending_login(stack, email)
    status, credential = second_factor(pending, key)
    assert status == 200
    other = pending_login(stack, email)
    other.post("/mfa/webauthn/challenge")
    r = other.post("/mfa/verify", json={"method": "webauthn", "credential": credential})
    assert r.status_code == 400 and other.get("/session").json()["status"] == "mfa_required"


def test_an_assertion_for_another_origin_is_refused(stack: Stack, signed_up) -> None:
    client, email = signed_up
    key = authenticator(stack)
    register(client, key)
    pending = pending_login(stack, email)
    status, _ = second_factor(pending, key, origin="https://gatehouse.evil.example")
    assert status == 400
    browser = stack.client()
    options = browser.post("/login/passkey/options").json()["options"]
    r = browser.post("/login/passkey", json={"credential": key.get(options, origin="http://localhost:1")})
    assert r.status_code == 401


def test_a_registration_from_another_origin_is_refused(stack: Stack, signed_up) -> None:
    client, _ = signed_up
    options = client.post("/mfa/webauthn/register").json()["options"]
    credential = authenticator(stack).create(options, origin="https://gatehouse.evil.example")
    r = client.post("/mfa/webauthn/register/verify", json={"credential": credential})
    assert r.status_code == 400 and r.json()["error"]["code"] == "webauthn_rejected"
    assert client.get("/mfa").json()["methods"] == []


def test_a_falling_sign_counter_is_refused(stack: Stack, signed_up) -> None:
    client, email = signed_up
    key = authenticator(stack)
    key.initial_sign_count = 10
    register(client, key)
    assert second_factor(pending_login(stack, email), key)[0] == 200  # signs 11
    credential_id = next(iter(key.credentials))
    key.set_sign_count(credential_id, 4)  # a clone that lags behind: signs 5
    assert second_factor(pending_login(stack, email), key)[0] == 400
    assert second_factor(pending_login(stack, email), key, sign_count=12)[0] == 200


def test_passkey_login_needs_user_verification(stack: Stack, signed_up) -> None:
    client, _ = signed_up
    key = authenticator(stack)
    register(client, key)
    key.user_verification = False
    browser = stack.client()
    options = browser.post("/login/passkey/options").json()["options"]
    assert browser.post("/login/passkey", json={"credential": key.get(options)}).status_code == 401


def test_passkey_login_without_the_challenge_cookie_is_refused(stack: Stack, signed_up) -> None:
    client, _ = signed_up
    key = authenticator(stack)
    register(client, key)
    browser = stack.client()
    options = browser.post("/login/passkey/options").json()["options"]
    browser.cookies.clear()
    assert browser.post("/login/passkey", json={"credential": key.get(options)}).status_code == 401
