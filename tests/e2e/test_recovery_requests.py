"""A recovery request over HTTP against the running stack: four documents go straight to S3 (moto,
which here enforces the forms' policies) with the presigned forms; a support agent (the demo one)
sees them beside the account, downloads them through Gatehouse (recorded, saved as attachments),
cannot approve while one is missing, and approves; the hold changes nothing until it ends (the
movable clock and the local run of the schedule), the owner can cancel it from the announcement,
and after it the new address resets the password and signs in."""

from __future__ import annotations

import re

import requests
from gatehouse.local.demo import DEMO_PASSWORD, SUPPORT_EMAIL

from tests.e2e.conftest import STRONG_PASSWORD, Browserish, Stack

NEW_PASSWORD = "tidal pools under copper skies"
HOLD = 72 * 3600
DOCUMENTS = {"identity_1": ("id.jpg", b"\xff\xd8\xff jpeg id"), "identity_2": ("passport.pdf", b"%PDF-1.4 pass"),
             "last_bill": ("bill.pdf", b"%PDF-1.4 bill"), "card_statement": ("statement.pdf", b"%PDF-1.4 card")}


def support(stack: Stack) -> Browserish:
    client = stack.client()
    r = client.post("/login", json={"email": SUPPORT_EMAIL, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    return client


def _request(stack: Stack, account_id: str, new_email: str) -> dict:
    r = stack.client().post("/recovery-requests", json={
        "identifier": account_id, "new_email": new_email, "postal_address": "1 rue de la Paix, Paris",
        "phone": "+33612345678", "content_types": {"identity_1": "image/jpeg"}})
    assert r.status_code == 202, r.text
    return r.json()


def _upload(form: dict, content: bytes, name: str = "doc", **changes: str) -> requests.Response:
    return requests.post(form["url"], data={**form["fields"], **changes}, files={"file": (name, content)},
                         timeout=10)


def _upload_all(made: dict, skip: tuple[str, ...] = ()) -> None:
    for form in made["uploads"]:
        if form["document"] not in skip:
            name, content = DOCUMENTS[form["document"]]
            sent = _upload(form, content, name)
            assert sent.status_code in (200, 204), sent.text


def _listed(agent: Browserish, request_id: str) -> dict:
    r = agent.get("/support/recovery-requests")
    assert r.status_code == 200, r.text
    [listed] = [x for x in r.json()["requests"] if x["id"] == request_id]
    return listed


def _run_holds(stack: Stack) -> dict:
    r = requests.post(f"{stack.base}/dev/run/recovery-holds", timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_upload_forms_take_one_type_and_a_size_range_and_support_cannot_approve_with_a_document_missing(
        stack: Stack, signed_up: tuple[Browserish, str]) -> None:
    owner, email = signed_up
    account_id = owner.get("/session").json()["account_id"]
    made = _request(stack, account_id, "moved-" + email)
    forms = {f["document"]: f for f in made["uploads"]}
    assert [f["content_type"] for f in made["uploads"]] == ["image/jpeg"] + ["application/pdf"] * 3
    # The PDF form refuses another type, an empty file, and a field the policy does not name.
    refused = _upload(forms["last_bill"], b"\x89PNG", **{"Content-Type": "image/png"})
    assert refused.status_code == 403 and "Policy Condition failed" in refused.text
    assert _upload(forms["last_bill"], b"").status_code == 400
    assert _upload(forms["last_bill"], b"%PDF", acl="public-read").status_code == 403
    _upload_all(made, skip=("card_statement",))

    agent = support(stack)
    listed = _listed(agent, made["request_id"])
    assert listed["account"]["id"] == account_id and listed["account"]["email"] == email
    assert listed["account"]["age_days"] == 0 and listed["account"]["second_factors"] == []
    documents = {d["document"]: d for d in listed["documents"]}
    assert (documents["identity_1"]["uploaded"], documents["identity_1"]["content_type"],
            documents["identity_1"]["size"]) == (True, "image/jpeg", len(DOCUMENTS["identity_1"][1]))
    assert documents["last_bill"]["content_type"] == "application/pdf"
    assert documents["card_statement"] == {"document": "card_statement", "uploaded": False, "content_type": None,
                                           "size": None, "url": None}
    r = agent.post(f"/support/recovery-requests/{made['request_id']}/decision", json={"approve": True, "note": ""})
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "documents_missing"
    assert r.json()["error"]["details"]["missing"] == ["card_statement"]

    # A download goes through Gatehouse: recorded, then a short-lived link that saves the file.
    r = agent.get(documents["identity_1"]["url"], allow_redirects=False)
    assert r.status_code == 302, r.text
    got = requests.get(r.headers["Location"], timeout=10)
    assert got.content == DOCUMENTS["identity_1"][1]
    assert got.headers["Content-Disposition"].startswith("attachment")
    [download] = _listed(agent, made["request_id"])["downloads"]
    assert download["document"] == "identity_1" and download["by"] == "acc_support_demo"
    assert owner.get(documents["identity_1"]["url"], allow_redirects=False).status_code == 403


def test_an_approval_waits_out_its_hold_then_the_new_address_takes_the_account_over(
        stack: Stack, signed_up: tuple[Browserish, str]) -> None:
    owner, email = signed_up
    account_id = owner.get("/session").json()["account_id"]
    new_email = "moved-" + email
    made = _request(stack, account_id, new_email)
    _upload_all(made)
    assert "contact support now" in stack.last_message(email)["text"]

    agent = support(stack)
    r = agent.post(f"/support/recovery-requests/{made['request_id']}/decision", json={"approve": True, "note": "ok"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.json()["effective_at"]
    assert "/ui/recovery/cancel?request=" in stack.last_message(email)["text"]
    again = agent.post(f"/support/recovery-requests/{made['request_id']}/decision", json={"approve": False})
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"

    # During the hold nothing changes.
    stack.advance_clock(HOLD - 600)
    owner = stack.client()
    assert owner.post("/login", json={"email": email, "password": STRONG_PASSWORD}).status_code == 200
    _run_holds(stack)
    assert owner.get("/session").status_code == 200
    assert stack.outbox(new_email) == []

    stack.advance_clock(600)
    assert _run_holds(stack)["applied"] >= 1
    assert owner.get("/session").status_code == 401  # every session ended
    client = stack.client()
    r = client.post("/password/reset/email/complete", json={"token": stack.link_token(new_email),
                                                             "new_password": NEW_PASSWORD})
    assert r.status_code == 204, r.text
    assert client.post("/login", json={"email": new_email, "password": NEW_PASSWORD}).status_code == 200
    assert client.post("/login", json={"email": email, "password": STRONG_PASSWORD}).status_code == 401


def test_the_owner_cancels_the_hold_from_the_announcement_and_nothing_changes(
        stack: Stack, signed_up: tuple[Browserish, str]) -> None:
    owner, email = signed_up
    account_id = owner.get("/session").json()["account_id"]
    made = _request(stack, account_id, "moved-" + email)
    _upload_all(made)
    r = support(stack).post(f"/support/recovery-requests/{made['request_id']}/decision", json={"approve": True})
    assert r.status_code == 200, r.text
    link = re.search(r"/ui/recovery/cancel\?request=(\S+)&token=([A-Za-z0-9_\-]+)", stack.last_message(email)["text"])
    assert link and link.group(1) == made["request_id"]
    path = f"/recovery-requests/{made['request_id']}/cancel"
    wrong = stack.client().post(path, json={"token": "nope"})
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid_token"
    assert stack.client().post(path, json={"token": link.group(2)}).status_code == 204
    used = stack.client().post(path, json={"token": link.group(2)})
    assert used.status_code == 400 and used.json()["error"]["code"] == "invalid_token"
    stack.advance_clock(HOLD + 60)
    _run_holds(stack)
    assert stack.outbox("moved-" + email) == []
    client = stack.client()
    assert client.post("/login", json={"email": email, "password": STRONG_PASSWORD}).status_code == 200


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
                          ({"postal_address": "  "}, "postal_address"),
                          ({"content_types": {"identity_1": "text/html"}}, "content_types"),
                          ({"content_types": {"selfie": "image/png"}}, "content_types")]:
        r = stack.client().post("/recovery-requests", json={**good, **change})
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input", (change, r.text)
        assert any(f.startswith(field) for f in r.json()["error"]["details"]["fields"]), (change, r.text)
    r = support(stack).post("/support/recovery-requests/rrq_nope/decision", json={"approve": True})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = support(stack).get("/support/recovery-requests/rrq_nope/documents/identity_1", allow_redirects=False)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    paths = stack.client().get("/openapi.json").json()["paths"]
    assert {"/recovery-requests/{id}/cancel", "/support/recovery-requests/{id}/documents/{document}",
            "/dev/run/recovery-holds"} <= set(paths)
    assert "documents_missing" in stack.client().get("/openapi.json").text


def test_only_the_recovery_page_may_post_to_the_documents_bucket_and_the_bucket_takes_our_origin_only(
        stack: Stack) -> None:
    made = _request(stack, "nobody-has-this-login", "x@example.com")
    upload = made["uploads"][0]["url"]
    bucket_origin = "/".join(upload.split("/")[:3])
    policy = requests.get(f"{stack.base}/ui/recovery", timeout=10).headers["Content-Security-Policy"]
    assert f"connect-src 'self' {bucket_origin};" in policy
    for page in ("/ui/", "/ui/support", "/ui/recovery/cancel", "/ui/reset"):
        other = requests.get(f"{stack.base}{page}", timeout=10)
        assert other.status_code == 200 and "connect-src 'self';" in other.headers["Content-Security-Policy"], page
    # The browser asks the bucket first (an upload with progress events is preflighted): ours, yes; another, no.
    ask = {"Access-Control-Request-Method": "POST"}
    ours = requests.options(upload, headers={**ask, "Origin": stack.base}, timeout=10)
    assert ours.status_code == 200 and ours.headers["Access-Control-Allow-Origin"] == stack.base
    theirs = requests.options(upload, headers={**ask, "Origin": "https://evil.example"}, timeout=10)
    assert theirs.status_code == 403  # a browser goes no further than a refused preflight
    assert made["hold_seconds"] == HOLD
