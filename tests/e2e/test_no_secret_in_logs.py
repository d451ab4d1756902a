"""A full run of the stack, then its whole log is searched for every secret the run used."""

from __future__ import annotations

import time

import requests

from tests.e2e.conftest import Stack


def test_no_password_token_or_code_reaches_the_log(stack: Stack, unique_email: str) -> None:
    password = "zebra crossing at midnight 42"
    client = stack.client()
    client.post("/signup", json={"email": unique_email, "password": password})
    link_token = stack.link_token(unique_email)
    client.post("/signup/verify", json={"token": link_token})
    client.post("/login", json={"email": unique_email, "password": "wrong " + password})
    client.post("/login", json={"email": unique_email, "password": password})
    session_token = client.cookies.get("gh_session")
    redirect = client.post("/consoles/select", json={"console": "scaleway"}).json()["redirect_url"]
    code = redirect.split("code=")[1]
    # The demo console follows the redirect with the code in its query string, as a browser would.
    requests.get(redirect, timeout=10)
    client.post("/password/change", json={"current_password": password, "new_password": password + " v2"})
    time.sleep(0.5)  # let the relay flush the servers' last lines

    log = stack.log.read_text(errors="replace")
    assert unique_email.split("@")[0] in log or "POST /signup" in log  # the log is really the stack's
    for secret in (password, password + " v2", link_token, session_token, code):
        assert secret and secret not in log, "a secret reached the log"
