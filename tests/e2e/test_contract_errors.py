"""Bad input gets the contract's error shape, never a 500 or a stack trace."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.conftest import STRONG_PASSWORD, Stack


def _error(r: requests.Response) -> dict:
    body = r.json()
    assert set(body) == {"error"} and {"code", "message", "details"} <= set(body["error"])
    assert "Traceback" not in r.text
    return body["error"]


def test_missing_and_invalid_fields_are_named(stack: Stack) -> None:
    r = stack.client().post("/signup", json={"email": "not-an-email"})
    assert r.status_code == 400
    fields = _error(r)["details"]["fields"]
    assert set(fields) == {"email", "password"}


def test_unknown_fields_are_refused(stack: Stack) -> None:
    r = stack.client().post("/login", json={"email": "a@example.com", "password": "x", "admin": True})
    assert r.status_code == 400 and "admin" in _error(r)["details"]["fields"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe", b'"a string"'])
def test_malformed_bodies_are_400(stack: Stack, body: bytes) -> None:
    r = stack.client().post("/login", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and _error(r)["code"] == "malformed_body"


def test_a_body_over_64_kib_is_413(stack: Stack) -> None:
    r = stack.client().post("/signup", json={"email": "a@example.com", "password": "x" * (65 * 1024)})
    assert r.status_code == 413 and _error(r)["code"] == "body_too_large"


def test_a_body_that_is_not_json_is_415(stack: Stack) -> None:
    r = stack.client().post("/login", data="email=a", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415 and _error(r)["code"] == "unsupported_media_type"


def test_a_wrong_method_is_405_in_the_contract_shape(stack: Stack) -> None:
    r = requests.delete(f"{stack.base}/health", timeout=10)
    assert r.status_code == 405 and _error(r)["code"] == "method_not_allowed"


@pytest.mark.parametrize(("method", "path"), [("GET", "/nowhere"), ("POST", "/no/such/route"),
                                             ("GET", "/ui/assets/nested/app.js")])
def test_a_path_no_route_has_is_404_in_the_contract_shape(stack: Stack, method: str, path: str) -> None:
    # chalice local alone answers API Gateway's 403 {"message": "Missing Authentication Token"}.
    r = requests.request(method, f"{stack.base}{path}", timeout=10, headers={"Authorization": "Bearer x"}
                         if path.startswith("/no/") else {})
    assert r.status_code == 404 and r.headers["Content-Type"] == "application/json"
    assert r.json() == {"error": {"code": "not_found", "message": "There is nothing at this address.", "details": {}}}


def test_reset_link_check_tells_a_live_link_from_a_used_one_and_uses_nothing(
        stack: Stack, signed_up) -> None:
    _, email = signed_up
    assert stack.client().post("/password/reset/email", json={"email": email}).status_code == 202
    token = stack.link_token(email)
    for _ in range(2):  # checking twice: the check itself never uses the link
        r = stack.client().post("/password/reset/email/check", json={"token": token})
        assert r.status_code == 200 and r.json() == {"status": "valid"}
    r = stack.client().post("/password/reset/email/complete",
                            json={"token": token, "new_password": "an orchard of tall pear trees"})
    assert r.status_code == 204, r.text
    r = stack.client().post("/password/reset/email/check", json={"token": token})
    assert r.status_code == 400 and _error(r)["code"] == "invalid_token"
    doc = requests.get(f"{stack.base}/openapi.json", timeout=10).json()
    assert "/password/reset/email/check" in doc["paths"]


def test_a_weak_password_at_sign_up_gives_reasons(stack: Stack, unique_email: str) -> None:
    r = stack.client().post("/signup", json={"email": unique_email, "password": "password1"})
    assert r.status_code == 400
    error = _error(r)
    assert error["code"] == "weak_password" and error["details"]["reasons"]
    r = stack.client().post("/signup", json={"email": unique_email, "password": "short"})
    assert any("at least 8" in reason for reason in _error(r)["details"]["reasons"])


def test_an_invalid_phone_is_refused_where_it_is_set(stack: Stack, signed_up) -> None:
    client, _ = signed_up
    r = client.post("/account/phone", json={"phone": "0612345678", "password": STRONG_PASSWORD})
    assert r.status_code == 400 and "E.164" in _error(r)["details"]["fields"]["phone"]
    r = client.patch("/account", json={"locale": "fr", "name": "Jeanne"})
    assert r.status_code == 200 and r.json()["name"] == "Jeanne" and r.json()["locale"] == "fr"


def test_session_routes_without_a_session_are_401(stack: Stack) -> None:
    for path in ("/session", "/account", "/consoles", "/sessions"):
        r = requests.get(f"{stack.base}{path}", timeout=10)
        assert r.status_code == 401 and _error(r)["code"] == "not_authenticated"


def test_openapi_document_lists_the_routes_with_their_request_models(stack: Stack) -> None:
    doc = requests.get(f"{stack.base}/openapi.json", timeout=10).json()
    assert doc["openapi"].startswith("3.1")
    assert {"/signup", "/login", "/consoles/select", "/consoles/exchange", "/account"} <= set(doc["paths"])
    login = doc["components"]["schemas"]["LoginRequest"]
    assert set(login["required"]) == {"email", "password"}


def test_sign_up_with_a_taken_email_answers_the_same_and_mails_the_owner(stack: Stack, signed_up) -> None:
    _, email = signed_up
    r = stack.client().post("/signup", json={"email": email.upper(), "password": "yet another passphrase"})
    assert r.status_code == 202 and r.json() == {"status": "verification_sent"}
    assert stack.last_message(email)["subject"] == "You already have an account"


def test_a_sign_up_link_works_once(stack: Stack, unique_email: str) -> None:
    client = stack.client()
    client.post("/signup", json={"email": unique_email, "password": "a quiet harbour at dawn"})
    token = stack.link_token(unique_email)
    assert client.post("/signup/verify", json={"token": token}).status_code == 200
    r = client.post("/signup/verify", json={"token": token})
    assert r.status_code == 400 and _error(r)["code"] == "invalid_token"


def test_sign_up_email_is_in_french_for_a_french_locale(stack: Stack, unique_email: str) -> None:
    stack.client().post("/signup", json={"email": unique_email, "password": "un port calme à l'aube", "locale": "fr"})
    message = stack.last_message(unique_email)
    assert message["subject"] == "Confirmez votre adresse e-mail"
    assert "<a href=" in message["html"]


# --- issue 10, points 8 to 10: addresses, nesting, the error map ---------------------------------
BAD_ADDRESSES = ["<script>@x.com", "a,b@x.com", "jane doe@x.com", '"jane"@x.com', "Jane <jane@x.com>", "jane@x"]


@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_an_address_ses_would_refuse_is_named_as_invalid_input_on_every_anonymous_route(
        stack: Stack, address: str) -> None:
    client = stack.client()
    for path, body, name in [
        ("/signup", {"email": address, "password": "a quiet harbour at dawn"}, "email"),
        ("/login", {"email": address, "password": "a quiet harbour at dawn"}, "email"),
        ("/login/code", {"email": address}, "email"),
        ("/login/code/verify", {"email": address, "code": "12345678"}, "email"),
        ("/password/reset/email", {"email": address}, "email"),
        ("/password/reset/sms", {"email": address}, "email"),
        ("/recovery-requests", {"domain": "example.com", "new_email": address, "postal_address": "1 rue X",
                                "phone": "+33612345678"}, "new_email"),
    ]:
        r = client.post(path, json=body)
        assert r.status_code == 400, (path, r.text)
        error = _error(r)
        assert error["code"] == "invalid_input" and name in error["details"]["fields"], (path, error)
    assert stack.outbox(address.strip()) == []


def test_an_address_ses_would_refuse_is_refused_as_a_new_account_address(stack: Stack, signed_up) -> None:
    client, email = signed_up
    for address in ("<script>@x.com", "a,b@x.com"):
        r = client.post("/account/email", json={"new_email": address, "password": "a quiet harbour at dawn"})
        assert r.status_code == 400 and "new_email" in _error(r)["details"]["fields"]
    assert client.get("/account").json()["email"] == email


def test_a_body_nested_deeper_than_32_levels_is_malformed(stack: Stack) -> None:
    client = stack.client()
    for depth in (33, 1000, 10_000):
        body = '{"email": "a@example.com", "password": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"
        r = client.post("/login", data=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, (depth, r.status_code)
        assert _error(r)["code"] == "malformed_body"
    # 32 levels parse: the password is then merely not a string.
    body = '{"email": "a@example.com", "password": ' + "[" * 31 + "]" * 31 + "}"
    r = stack.client().post("/login", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and _error(r)["code"] == "invalid_input"


def test_an_empty_account_patch_is_invalid_input(stack: Stack, signed_up) -> None:
    client, _ = signed_up
    r = client.patch("/account", json={})
    assert r.status_code == 400
    error = _error(r)
    assert error["code"] == "invalid_input" and "body" in error["details"]["fields"]


def test_a_wrong_current_password_is_invalid_password_and_in_the_openapi_enum(stack: Stack, signed_up) -> None:
    client, _ = signed_up
    r = client.post("/password/change", json={"current_password": "not my password at all",
                                              "new_password": "the lighthouse keeper sleeps late"})
    assert r.status_code == 400 and _error(r)["code"] == "invalid_password"
    doc = requests.get(f"{stack.base}/openapi.json", timeout=10).json()
    codes = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
    assert {"invalid_password", "invalid_email", "malformed_body", "invalid_input"} <= set(codes)
