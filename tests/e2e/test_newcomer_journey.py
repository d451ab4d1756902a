"""The newcomer's path of the README, over HTTP: sign up, follow the link, log in, pick a console,
switch to the other."""

from __future__ import annotations

import requests

from tests.e2e.conftest import STRONG_PASSWORD, Stack

SCALEWAY = ("scaleway", "local-scaleway-secret")
DEDIBOX = ("dedibox", "local-dedibox-secret")


def test_sign_up_verify_login_select_and_switch_console(stack: Stack, unique_email: str) -> None:
    client = stack.client()
    r = client.post("/signup", json={"email": unique_email, "password": STRONG_PASSWORD})
    assert r.status_code == 202 and r.json() == {"status": "verification_sent"}

    r = client.post("/signup/verify", json={"token": stack.link_token(unique_email)})
    assert r.status_code == 200
    assert sorted(r.json()["consoles"]) == ["dedibox", "scaleway"]

    r = client.post("/login", json={"email": unique_email, "password": STRONG_PASSWORD})
    assert r.status_code == 200
    assert r.json() == {"status": "authenticated", "mfa_methods": [], "required_actions": []}
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie

    consoles = client.get("/consoles").json()
    assert {c["id"] for c in consoles["consoles"]} == {"scaleway", "dedibox"}
    assert all(len(c["contexts"]) == 1 for c in consoles["consoles"])

    r = client.post("/consoles/select", json={"console": "scaleway"})
    assert r.status_code == 200
    code = r.json()["redirect_url"].split("code=")[1]
    r = requests.post(f"{stack.base}/consoles/exchange", json={"code": code}, auth=SCALEWAY, timeout=10)
    assert r.status_code == 200
    assert r.json()["email"] == unique_email and r.json()["console"] == "scaleway"

    r = client.post("/consoles/select", json={"console": "dedibox"})
    assert r.status_code == 200 and r.json()["console"] == "dedibox"
    assert client.get("/session").json()["console"] == "dedibox"
    code = r.json()["redirect_url"].split("code=")[1]
    r = requests.post(f"{stack.base}/consoles/exchange", json={"code": code}, auth=DEDIBOX, timeout=10)
    assert r.status_code == 200 and r.json()["console"] == "dedibox"


def test_hand_off_code_is_single_use_and_bound_to_its_console(stack: Stack, signed_up) -> None:
    client, _ = signed_up
    code = client.post("/consoles/select", json={"console": "scaleway"}).json()["redirect_url"].split("code=")[1]
    r = requests.post(f"{stack.base}/consoles/exchange", json={"code": code}, auth=DEDIBOX, timeout=10)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_code"
    assert requests.post(f"{stack.base}/consoles/exchange", json={"code": code}, auth=SCALEWAY,
                         timeout=10).status_code == 200
    r = requests.post(f"{stack.base}/consoles/exchange", json={"code": code}, auth=SCALEWAY, timeout=10)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_code"


def test_exchange_refuses_a_console_with_the_wrong_secret(stack: Stack, signed_up) -> None:
    client, _ = signed_up
    code = client.post("/consoles/select", json={"console": "scaleway"}).json()["redirect_url"].split("code=")[1]
    r = requests.post(f"{stack.base}/consoles/exchange", json={"code": code}, auth=("scaleway", "nope"), timeout=10)
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_console_credentials"


def test_hand_off_code_expires_after_sixty_seconds(stack: Stack, signed_up) -> None:
    client, _ = signed_up
    code = client.post("/consoles/select", json={"console": "scaleway"}).json()["redirect_url"].split("code=")[1]
    stack.advance_clock(61)
    r = requests.post(f"{stack.base}/consoles/exchange", json={"code": code}, auth=SCALEWAY, timeout=10)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_code"
