"""A recovery request over HTTP against the running stack: the documents go straight to S3 (moto)
with the presigned forms, a support agent (the demo one) reads them and approves, and the new
address resets the password and signs in."""

from __future__ import annotations

import requests
from gatehouse.local.demo import DEMO_PASSWORD, SUPPORT_EMAIL

from tests.e2e.conftest import STRONG_PASSWORD, Browserish, Stack

NEW_PASSWORD = "tidal pools under copper skies"


def support(stack: Stack) -> Browserish:
    client = stack.client()
    r = client.post("/login", json={"email": SUPPORT_EMAIL, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    return client


def test_a_request_with_uploaded_documents_is_approved_and_the_new_address_takes_the_account_over(
        stack: Stack, signed_up: tuple[Browserish, str]) -> None:
    owner, email = signed_up
    account_id = owner.get("/session").json()["account_id"]
    new_email = "moved-" + email
    r = stack.client().post("/recovery-requests", json={"identifier": account_id, "new_email": new_email,
                                                        "postal_address": "1 rue de la Paix, Paris",
                                                        "phone": "+33612345678"})
    assert r.status_code == 202, r.text
    made = r.json()
    documents = {"last_bill": b"%PDF-1.4 bill", "card_statement": b"%PDF-1.4 statement"}
    for upload in made["uploads"]:
        sent = requests.post(upload["url"], data=upload["fields"],
                             files={"file": ("doc.pdf", documents[upload["document"]])}, timeout=10)
        assert sent.status_code in (200, 204), sent.text
    assert "contact support now" in stack.last_message(email)["text"]

    agent = support(stack)
    [listed] = [x for x in agent.get("/support/recovery-requests").json()["requests"] if x["id"] == made["request_id"]]
    assert listed["account"] == {"id": account_id, "email": email} and listed["new_email"] == new_email
    for document in listed["documents"]:
        assert requests.get(document["url"], timeout=10).content == documents[document["document"]]

    assert owner.get("/session").status_code == 200
    r = agent.post(f"/support/recovery-requests/{made['request_id']}/decision", json={"approve": True, "note": "ok"})
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    assert owner.get("/session").status_code == 401  # every session ended
    again = agent.post(f"/support/recovery-requests/{made['request_id']}/decision", json={"approve": False})
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"

    client = stack.client()
    r = client.post("/password/reset/email/complete", json={"token": stack.link_token(new_email),
                                                             "new_password": NEW_PASSWORD})
    assert r.status_code == 204, r.text
    assert client.post("/login", json={"email": new_email, "password": NEW_PASSWORD}).status_code == 200
    assert client.post("/login", json={"email": email, "password": STRONG_PASSWORD}).status_code == 401


def test_only_support_sees_requests_and_bad_requests_get_the_contracts_errors(
        stack: Stack, signed_up: tuple[Browserish, str]) -> None:
    owner, _ = signed_up
    r = owner.get("/support/recovery-requests")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert stack.client().get("/support/recovery-requests").status_code == 401
    good = {"domain": "nobody.example", "new_email": "x@example.com", "postal_address": "1 rue",
            "phone": "+33612345678"}
    for change, field in [({"domain": None}, "identifier"), ({"identifier": "jdoe"}, "domain"),
                          ({"new_email": "nope"}, "new_email"), ({"phone": "0612345678"}, "phone"),
                          ({"postal_address": "  "}, "postal_address")]:
        r = stack.client().post("/recovery-requests", json={**good, **change})
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input", (change, r.text)
        assert field in r.json()["error"]["details"]["fields"], (change, r.text)
    r = support(stack).post("/support/recovery-requests/rrq_nope/decision", json={"approve": True})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
