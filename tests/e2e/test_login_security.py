"""Login and sessions as an attacker and a careful user see them, over HTTP."""

from __future__ import annotations

import requests

from tests.e2e.conftest import STRONG_PASSWORD, Stack, sign_up


def test_unknown_email_and_wrong_password_get_the_same_answer(stack: Stack, signed_up) -> None:
    _, email = signed_up
    wrong = stack.client().post("/login", json={"email": email, "password": "not the password at all"})
    unknown = stack.client().post("/login", json={"email": "nobody-" + email, "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "invalid_credentials"


def test_repeated_failures_are_throttled_with_retry_after(stack: Stack, signed_up) -> None:
    _, email = signed_up
    client = stack.client()
    statuses = [client.post("/login", json={"email": email, "password": f"wrong guess {i}"}).status_code
                for i in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    r = client.post("/login", json={"email": email, "password": STRONG_PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1
    assert r.json()["error"]["code"] == "rate_limited"
    stack.advance_clock(int(r.headers["Retry-After"]) + 1)
    assert client.post("/login", json={"email": email, "password": STRONG_PASSWORD}).status_code == 200


def test_an_unknown_email_is_throttled_like_a_known_one(stack: Stack, unique_email: str) -> None:
    client = stack.client()
    statuses = [client.post("/login", json={"email": unique_email, "password": f"guess {i}"}).status_code
                for i in range(6)]
    assert statuses == [401] * 5 + [429]


def test_login_rotates_the_session_token(stack: Stack, signed_up) -> None:
    client, email = signed_up
    before = client.cookies.get("gh_session")
    r = client.post("/login", json={"email": email, "password": STRONG_PASSWORD})
    assert r.status_code == 200
    after = client.cookies.get("gh_session")
    assert before and after and before != after
    stale = requests.get(f"{stack.base}/session", cookies={"gh_session": before}, timeout=10)
    assert stale.status_code == 401


def test_session_cookie_is_http_only_same_site_lax_and_not_secure_on_local(stack: Stack, unique_email: str) -> None:
    client = sign_up(stack, unique_email)
    r = client.post("/login", json={"email": unique_email, "password": STRONG_PASSWORD})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # local stage only; every other stage adds it


def test_logout_ends_the_session(stack: Stack, signed_up) -> None:
    client, _ = signed_up
    assert client.get("/session").status_code == 200
    assert client.post("/logout").status_code == 204
    r = client.get("/session")
    assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated"


def test_an_idle_session_expires_after_an_hour(stack: Stack, signed_up) -> None:
    client, _ = signed_up
    stack.advance_clock(61 * 60)
    assert client.get("/session").status_code == 401


def test_sessions_are_listed_and_one_can_be_revoked(stack: Stack, unique_email: str) -> None:
    laptop = sign_up(stack, unique_email)
    phone = stack.client()
    assert phone.post("/login", json={"email": unique_email, "password": STRONG_PASSWORD}).status_code == 200
    listed = laptop.get("/sessions").json()["sessions"]
    assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
    other = next(s for s in listed if not s["current"])
    assert laptop.delete(f"/sessions/{other['id']}").status_code == 204
    assert phone.get("/session").status_code == 401
    assert laptop.get("/session").status_code == 200
    assert laptop.delete(f"/sessions/{other['id']}").status_code == 404


def test_cookie_authenticated_change_from_a_foreign_origin_is_refused(stack: Stack, signed_up) -> None:
    client, _ = signed_up
    r = client.patch("/account", json={"name": "Mallory"}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "origin_not_allowed"
    del client.headers["Origin"]
    assert client.patch("/account", json={"name": "Mallory"}).status_code == 403
    assert client.get("/account").json()["name"] == ""


def test_login_from_a_foreign_page_is_refused(stack: Stack, signed_up) -> None:
    _, email = signed_up
    r = requests.post(f"{stack.base}/login", json={"email": email, "password": STRONG_PASSWORD},
                      headers={"Origin": "https://evil.example"}, timeout=10)
    assert r.status_code == 403 and r.json()["error"]["code"] == "origin_not_allowed"


def test_password_change_signs_out_other_sessions_and_sends_a_notice(stack: Stack, unique_email: str) -> None:
    laptop = sign_up(stack, unique_email)
    phone = stack.client()
    phone.post("/login", json={"email": unique_email, "password": STRONG_PASSWORD})
    new_password = "another long passphrase here"
    r = laptop.post("/password/change", json={"current_password": "wrong one!", "new_password": new_password})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_password"
    r = laptop.post("/password/change", json={"current_password": STRONG_PASSWORD, "new_password": new_password})
    assert r.status_code == 204
    assert phone.get("/session").status_code == 401
    assert laptop.get("/session").status_code == 200
    assert stack.last_message(unique_email)["subject"] == "Your password was changed"
    assert stack.client().post("/login", json={"email": unique_email, "password": new_password}).status_code == 200


def test_a_day_after_failures_the_count_starts_again(stack: Stack, signed_up) -> None:
    _, email = signed_up
    client = stack.client()
    statuses = [client.post("/login", json={"email": email, "password": f"wrong guess {i}"}).status_code
                for i in range(6)]
    assert statuses == [401] * 5 + [429]
    stack.advance_clock(24 * 60 * 60 + 60)
    # The counter is still in the table (TTL deletes late, moto never does) but it has expired: a
    # new count, so five more mistakes are plain 401s before the back-off starts again.
    statuses = [client.post("/login", json={"email": email, "password": f"new guess {i}"}).status_code
                for i in range(6)]
    assert statuses == [401] * 5 + [429]
