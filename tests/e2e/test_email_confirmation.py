"""POST /account/email/confirm over HTTP: the resend of the link that confirms an account's address."""

from __future__ import annotations

import requests

from tests.e2e.conftest import Browserish, Stack


def test_the_confirmation_resend_needs_a_session_and_sends_nothing_for_a_confirmed_address(
        stack: Stack, signed_up: tuple[Browserish, str]) -> None:
    client, email = signed_up
    anonymous = stack.client().post("/account/email/confirm")
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "not_authenticated"
    before = len(stack.outbox(email))
    r = client.post("/account/email/confirm")
    assert r.status_code == 202 and r.json() == {"status": "verification_sent"}, r.text
    assert len(stack.outbox(email)) == before  # signing up already proved the address


def test_the_confirmation_resend_is_in_the_openapi_document(stack: Stack) -> None:
    paths = requests.get(f"{stack.base}/openapi.json", timeout=10).json()["paths"]
    assert "202" in paths["/account/email/confirm"]["post"]["responses"]


def test_the_code_and_confirmation_pages_are_served(stack: Stack) -> None:
    for page in ("code", "confirm-email"):
        assert requests.get(f"{stack.base}/ui/{page}", timeout=10).status_code == 200
