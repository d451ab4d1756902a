"""SSO over HTTP, as a browser does it, against the stack `make run` starts: Gatehouse's /sso routes,
panva's oidc-provider as Google and a two-tenant Microsoft, and the GitHub fake, with the users of
gatehouse/local/sso_users.json (the demo accounts they match are seeded by gatehouse.local.demo)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pyotp
import requests

from tests.e2e.conftest import Browserish, Stack
from tests.e2e.test_mfa_totp import totp_code

DEMO_PASSWORD = "correct horse battery staple"


@dataclass
class Trip:
    final: requests.Response
    urls: list[str]

    @property
    def error(self) -> str | None:
        found = re.search(r'data-sso-error="([^"]+)"', self.final.text)
        return found.group(1) if found else None

    @property
    def callback(self) -> str:
        return next(u for u in self.urls if "/sso/" in u and "/callback" in u)


def browse(stack: Stack, client: requests.Session, url: str, *, stop_at_callback: bool = False) -> Trip:
    """Follow redirects (and oidc-provider's self-submitting form) until a page that is not one."""
    urls: list[str] = []
    url = urljoin(stack.base, url)
    for _ in range(15):
        urls.append(url)
        if stop_at_callback and "/callback" in url and url.startswith(stack.base):
            return Trip(requests.Response(), urls)
        r = client.get(url, allow_redirects=False, timeout=30)
        if r.status_code == 200 and "document.forms[0].submit()" in r.text:
            action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', r.text).group(1))
            fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', r.text))
            r = client.post(urljoin(url, action), data=fields, allow_redirects=False, timeout=30)
        location = r.headers.get("location")
        if r.status_code not in (302, 303) or not location:
            return Trip(r, urls)
        url = urljoin(url, location)
        if url.startswith(stack.base + "/ui"):
            urls.append(url)
            return Trip(r, urls)
    raise AssertionError(f"too many redirects: {urls}")


def sso(stack: Stack, provider: str, hint: str, client: requests.Session | None = None, **params: str):
    client = client or stack.client()
    trip = browse(stack, client, f"/sso/{provider}?{urlencode({'login_hint': hint, **params})}")
    return client, trip


def session_of(client: requests.Session, stack: Stack) -> dict:
    r = client.get(f"{stack.base}/session", timeout=30)
    return r.json() if r.status_code == 200 else {"status": r.status_code}


# --- the linking rules ------------------------------------------------------------------------------

def test_a_verified_google_email_signs_in_to_the_matching_account_and_links_it(stack: Stack) -> None:
    client, trip = sso(stack, "google", "google-demo")
    assert trip.urls[-1] == f"{stack.base}/ui/" and trip.error is None
    session = session_of(client, stack)
    assert session["email"] == "demo@gatehouse.local" and session["status"] == "authenticated"
    assert client.cookies.get("gh_sso") is None  # the transaction's cookie is cleared
    notice = stack.last_message("demo@gatehouse.local")
    assert "Google" in notice["subject"]
    # The second time, the identity itself signs in (no new notice).
    again, _ = sso(stack, "google", "google-demo")
    assert session_of(again, stack)["email"] == "demo@gatehouse.local"
    assert stack.last_message("demo@gatehouse.local") == notice


def test_an_unverified_google_email_is_refused_with_a_page_that_says_why(stack: Stack) -> None:
    client, trip = sso(stack, "google", "google-unverified")
    assert trip.final.status_code == 400 and trip.error == "unverified_email", trip.final.text
    assert "does not vouch for this email" in trip.final.text
    assert session_of(client, stack)["status"] == 401


def test_a_verified_email_with_no_account_signs_up_in_both_consoles(stack: Stack) -> None:
    client, trip = sso(stack, "google", "google-newcomer")
    assert trip.error is None
    assert session_of(client, stack)["email"] == "newcomer@gatehouse.local"
    consoles = client.get(f"{stack.base}/consoles", timeout=30).json()
    assert {c["id"] for c in consoles["consoles"]} >= {"scaleway", "dedibox"}


def test_microsoft_tenant_one_with_xms_edov_links_and_tenant_two_claiming_that_email_is_refused(stack: Stack) -> None:
    impostor, trip = sso(stack, "microsoft", "microsoft-impostor")
    assert trip.final.status_code == 400 and trip.error == "unverified_email", trip.final.text
    assert session_of(impostor, stack)["status"] == 401
    grace, trip = sso(stack, "microsoft", "microsoft-grace")
    assert trip.error is None and session_of(grace, stack)["email"] == "grace@contoso.gatehouse.local"


def test_github_links_by_the_primary_verified_email_only(stack: Stack) -> None:
    client, trip = sso(stack, "github", "octo-unverified")
    assert trip.error == "unverified_email" and session_of(client, stack)["status"] == 401
    client, trip = sso(stack, "github", "octo")
    assert trip.error is None and session_of(client, stack)["email"] == "octo@gatehouse.local"


def test_sso_is_one_factor_an_account_with_totp_is_asked_for_it(stack: Stack, sso_totp_secret: str) -> None:
    secret = sso_totp_secret
    client, trip = sso(stack, "google", "google-totp")
    assert trip.error is None
    assert session_of(client, stack)["status"] == "mfa_required"
    assert client.get(f"{stack.base}/account", timeout=30).status_code == 403
    browser = Browserish(stack.base)
    browser.cookies.update(client.cookies)
    r = browser.post("/mfa/verify", json={"method": "totp", "code": totp_code(stack, secret, 30)})
    assert r.status_code == 200 and r.json()["status"] == "authenticated"
    assert pyotp.TOTP(secret)  # the secret was real


def test_connecting_github_from_settings_links_it_to_the_signed_in_account(stack: Stack) -> None:
    client = stack.client()
    assert client.post("/login", json={"email": "octo@gatehouse.local", "password": DEMO_PASSWORD}).ok
    before = client.cookies.get("gh_session")
    trip = browse(stack, client, "/sso/github?intent=link&return_to=/ui/account&login_hint=octo")
    assert trip.urls[-1] == f"{stack.base}/ui/account" and trip.error is None
    assert client.cookies.get("gh_session") == before  # linking keeps the session


def test_connecting_without_a_session_is_refused(stack: Stack) -> None:
    _, trip = sso(stack, "github", "octo", intent="link")
    assert trip.final.status_code == 400 and trip.error == "not_signed_in"


def test_an_identity_linked_to_another_account_is_a_409(stack: Stack) -> None:
    sso(stack, "github", "octo")  # linked to octo@ (if not already)
    client = stack.client()
    assert client.post("/login", json={"email": "demo@gatehouse.local", "password": DEMO_PASSWORD}).ok
    trip = browse(stack, client, "/sso/github?intent=link&login_hint=octo")
    assert trip.final.status_code == 409 and trip.error == "identity_linked_elsewhere"
    assert "already connected to another" in trip.final.text


# --- every failure of the transaction ends on a page ----------------------------------------------------

def callback_url(stack: Stack, client: requests.Session, provider: str = "google", hint: str = "google-demo") -> str:
    trip = browse(stack, client, f"/sso/{provider}?login_hint={hint}", stop_at_callback=True)
    return trip.urls[-1]


def test_a_replayed_state_is_refused(stack: Stack) -> None:
    client = stack.client()
    url = callback_url(stack, client)
    cookie = client.cookies.get("gh_sso")
    assert browse(stack, client, url).error is None
    client.cookies.set("gh_sso", cookie, path="/sso")  # as a replaying browser would keep it
    replay = browse(stack, client, url)
    assert replay.final.status_code == 400 and replay.error == "transaction_not_found"


def test_a_replayed_code_is_refused_by_the_provider(stack: Stack) -> None:
    client = stack.client()
    used = callback_url(stack, client)
    browse(stack, client, used)
    fresh = callback_url(stack, client)
    state = parse_qs(urlsplit(fresh).query)["state"][0]
    code = parse_qs(urlsplit(used).query)["code"][0]
    trip = browse(stack, client, f"{stack.base}/sso/google/callback?{urlencode({'code': code, 'state': state})}")
    assert trip.final.status_code == 400 and trip.error == "token_invalid_grant"


def test_a_code_with_another_transactions_verifier_is_refused(stack: Stack) -> None:
    client = stack.client()
    first = callback_url(stack, client)
    second = callback_url(stack, client)  # the browser's cookie now holds the second transaction
    code = parse_qs(urlsplit(first).query)["code"][0]
    state = parse_qs(urlsplit(second).query)["state"][0]
    trip = browse(stack, client, f"{stack.base}/sso/google/callback?{urlencode({'code': code, 'state': state})}")
    assert trip.final.status_code == 400 and trip.error == "token_invalid_grant"


def test_a_missing_cookie_is_refused_with_a_page_about_cookies(stack: Stack) -> None:
    url = callback_url(stack, stack.client())
    trip = browse(stack, stack.client(), url)  # another browser: no transaction cookie
    assert trip.final.status_code == 400 and trip.error == "missing_cookie" and "cookie" in trip.final.text


def test_an_expired_transaction_is_refused(stack: Stack) -> None:
    client = stack.client()
    url = callback_url(stack, client)
    stack.advance_clock(10 * 60 + 5)
    trip = browse(stack, client, url)
    assert trip.final.status_code == 400 and trip.error == "transaction_not_found"


def test_cancelling_at_the_provider_says_so(stack: Stack) -> None:
    client = stack.client()
    start = client.get(f"{stack.base}/sso/github", allow_redirects=False, timeout=30)
    trip = browse(stack, client, start.headers["location"] + "&deny=1")
    assert trip.final.status_code == 400 and trip.error == "access_denied" and "cancelled" in trip.final.text


def test_an_unknown_provider_is_a_404_page(stack: Stack) -> None:
    r = stack.client().get("/sso/facebook", allow_redirects=False)
    assert r.status_code == 404 and "did not complete" in r.text


def test_the_transaction_cookie_is_httponly_lax_and_scoped_to_sso(stack: Stack) -> None:
    r = stack.client().get("/sso/google", allow_redirects=False)
    cookie = r.headers["set-cookie"]
    assert r.status_code == 302 and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/sso" in cookie
    q = parse_qs(urlsplit(r.headers["location"]).query)
    assert q["code_challenge_method"] == ["S256"] and q["state"] and q["nonce"]


# --- settings: GET /account/identities, DELETE /account/identities/{id} ----------------------------------

def test_settings_list_a_connected_identity_and_disconnect_it_with_a_notice(stack: Stack) -> None:
    sso(stack, "github", "octo")  # linked to octo@ (if not already)
    client = Browserish(stack.base)
    assert client.post("/login", json={"email": "octo@gatehouse.local", "password": DEMO_PASSWORD}).ok
    listed = client.get("/account/identities").json()["identities"]
    github = next(i for i in listed if i["provider"] == "github")
    assert github["email"] == "octo@gatehouse.local" and github["linked_at"] and github["last_used_at"]
    assert client.delete(f"/account/identities/{github['id']}").status_code == 204
    assert all(i["provider"] != "github" for i in client.get("/account/identities").json()["identities"])
    assert "disconnected" in stack.last_message("octo@gatehouse.local")["subject"]
    r = client.delete(f"/account/identities/{github['id']}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_the_only_way_to_sign_in_cannot_be_disconnected(stack: Stack) -> None:
    client, _ = sso(stack, "google", "google-newcomer")  # signed up by Google: no password
    browser = Browserish(stack.base)
    browser.cookies.update(client.cookies)
    [google] = browser.get("/account/identities").json()["identities"]
    r = browser.delete(f"/account/identities/{google['id']}")
    assert r.status_code == 409 and r.json()["error"]["code"] == "last_sign_in_method"


def test_the_identity_routes_need_a_session(stack: Stack) -> None:
    r = stack.client().get("/account/identities")
    assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated"


def test_no_code_state_or_session_of_an_sso_sign_in_reaches_the_log(stack: Stack) -> None:
    import time

    client = stack.client()
    url = callback_url(stack, client)
    query = parse_qs(urlsplit(url).query)
    secret = client.cookies.get("gh_sso")
    browse(stack, client, url)
    time.sleep(0.5)  # let the relay flush the servers' last lines
    log = stack.log.read_text(errors="replace")
    assert "/sso/google/callback" in log  # the log is really the stack's
    for value in (query["code"][0], query["state"][0], secret, client.cookies.get("gh_session")):
        assert value and value not in log, "a secret reached the log"
