"""A full run of the stack, then the part of its log this run wrote is searched for every secret it used.

The part starts where the log ended when the test began and ends at a marker request of the test's
own: the search waits for the servers to have written everything up to it, instead of sleeping and
reading whatever earlier tests left."""

from __future__ import annotations

import time
import uuid

import requests

from tests.e2e.conftest import Stack


def test_no_password_token_or_code_reaches_the_log(stack: Stack, unique_email: str) -> None:
    password = "zebra crossing at midnight 42"
    start = stack.log.stat().st_size
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
    log = _log_until_marker(stack, start)

    assert "POST /signup" in log and "POST /password/change" in log  # this run's own lines
    for secret in (password, password + " v2", link_token, session_token, code):
        assert secret and secret not in log, "a secret reached the log"


def _log_until_marker(stack: Stack, start: int) -> str:
    """The log from `start` up to a request that only this test makes, once the servers wrote it."""
    marker = f"log-marker-{uuid.uuid4().hex}"
    requests.get(f"{stack.base}/health", params={"marker": marker}, timeout=10)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with stack.log.open("rb") as fh:
            fh.seek(start)
            written = fh.read().decode("utf-8", errors="replace")
        if marker in written:
            return written[: written.index(marker)]
        time.sleep(0.05)
    raise AssertionError(f"the stack never logged the marker request {marker}")
