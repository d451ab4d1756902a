"""API keys over HTTP against the running stack: made in a session, shown once, listed, verified
by both consoles with their Basic auth, deleted, and bad input refused in the contract's shape."""

from __future__ import annotations

import base64

from tests.e2e.conftest import CONSOLE_AUTH, Browserish, Stack


def verify(stack: Stack, console: str, key_id: str, secret: str) -> dict:
    r = stack.client().post("/api-keys/verify", json={"key_id": key_id, "secret": secret},
                            headers={"Authorization": CONSOLE_AUTH[console]})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_key_made_in_a_session_verifies_in_both_consoles_until_it_is_deleted(
        stack: Stack, signed_up: tuple[Browserish, str]) -> None:
    client, email = signed_up
    r = client.post("/api-keys", json={"name": "deploy bot"})
    assert r.status_code == 201, r.text
    made = r.json()
    account_id = client.get("/session").json()["account_id"]
    for console in ("scaleway", "dedibox"):
        assert verify(stack, console, made["key_id"], made["secret"]) == {
            "valid": True, "account_id": account_id, "console": console, "context": None}
    listed = client.get("/api-keys").json()["api_keys"]
    assert [(k["key_id"], k["name"]) for k in listed] == [(made["key_id"], "deploy bot")]
    assert made["secret"] not in client.get("/api-keys").text
    assert made["key_id"] in stack.last_message(email)["text"]  # the notice

    assert client.delete(f"/api-keys/{made['key_id']}").status_code == 204
    assert verify(stack, "scaleway", made["key_id"], made["secret"])["valid"] is False
    assert client.get("/api-keys").json() == {"api_keys": []}
    again = client.delete(f"/api-keys/{made['key_id']}")
    assert again.status_code == 404 and again.json()["error"]["code"] == "not_found"


def test_another_account_can_neither_see_nor_delete_a_key(stack: Stack, signed_up: tuple[Browserish, str]) -> None:
    from tests.e2e.conftest import sign_up

    owner, _ = signed_up
    made = owner.post("/api-keys", json={"name": "mine"}).json()
    other = sign_up(stack, f"other-{made['key_id']}@example.com")
    assert other.get("/api-keys").json() == {"api_keys": []}
    r = other.delete(f"/api-keys/{made['key_id']}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert verify(stack, "dedibox", made["key_id"], made["secret"])["valid"] is True


def test_bad_requests_get_the_contracts_errors(stack: Stack, signed_up: tuple[Browserish, str]) -> None:
    client, _ = signed_up
    for body in ({}, {"name": ""}, {"name": "   "}, {"name": "x" * 101}, {"name": 7}):
        r = client.post("/api-keys", json=body)
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input", (body, r.text)
        assert "name" in r.json()["error"]["details"]["fields"]
    for key_id in ("x" * 3000, "%E2%82%AC" * 400, "no-such-key"):
        r = client.delete(f"/api-keys/{key_id}")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", (key_id[:20], r.text)
    anonymous = stack.client()
    assert anonymous.get("/api-keys").status_code == 401
    assert anonymous.post("/api-keys", json={"name": "x"}).status_code == 401
    r = stack.client().post("/api-keys/verify", json={"key_id": "k", "secret": "s"},
                            headers={"Authorization": "Basic " + base64.b64encode(b"scaleway:wrong").decode()})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_console_credentials"


def test_a_key_name_that_looks_like_a_link_is_never_a_link_in_the_notice(
        stack: Stack, signed_up: tuple[Browserish, str]) -> None:
    client, email = signed_up
    name = '<a href="https://evil.example/reset">Reset</a> https://evil.example/reset'
    assert client.post("/api-keys", json={"name": name}).status_code == 201
    notice = stack.last_message(email)
    assert name in notice["text"]
    assert "&lt;a href=&quot;https://evil.example/reset&quot;&gt;" in notice["html"]
    assert 'href="https://evil.example' not in notice["html"] and '<a href="http' in notice["html"]  # its own link
