"""The local identity providers, for real over HTTP: panva's oidc-provider as Google and as a
two-tenant Microsoft, and the GitHub fake. Each test runs an authorization-code flow with PKCE as a
browser would (following the redirects up to our callback) and hands the code to the strategies,
which exchange it and validate what comes back."""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from gatehouse.adapters.http import UrllibHttp
from gatehouse.errors import SsoRejectedError
from gatehouse.local.sso_servers import start_github, start_oidc
from gatehouse.settings import SsoProvider, local_sso_providers
from gatehouse.strategies.github import GithubStrategy
from gatehouse.strategies.oidc import OidcStrategy

from tests.e2e.conftest import free_port

GATEHOUSE = "http://localhost:18000"  # only ever a redirect target here: nothing needs to listen
TENANT_ONE = "3f2a1c7e-5b8d-4e6f-9a0b-1c2d3e4f5a6b"
TENANT_TWO = "8c9d0e1f-2a3b-4c5d-8e6f-7a8b9c0d1e2f"


@pytest.fixture(scope="module")
def providers() -> Iterator[dict[str, SsoProvider]]:
    oidc_port, github_port = free_port(), free_port()
    children = [start_oidc(oidc_port, [GATEHOUSE]), start_github(github_port, [GATEHOUSE])]
    try:
        yield {p.name: p for p in local_sso_providers(f"http://127.0.0.1:{oidc_port}",
                                                       f"http://127.0.0.1:{github_port}")}
    finally:
        for child in children:
            child.terminate()
            child.wait(timeout=10)


def strategy(provider: SsoProvider) -> OidcStrategy | GithubStrategy:
    http = UrllibHttp(allow_http=True)
    return GithubStrategy(provider, http) if provider.name == "github" else OidcStrategy(provider, http)


@dataclass
class Flow:
    provider: SsoProvider
    state: str
    nonce: str
    verifier: str
    redirect_uri: str
    browser: requests.Session

    def start(self, login_hint: str | None = None) -> str:
        return strategy(self.provider).authorization_url(redirect_uri=self.redirect_uri, state=self.state,
                                                         nonce=self.nonce, verifier=self.verifier,
                                                         login_hint=login_hint)

    def follow(self, url: str) -> dict[str, str]:
        """Follow redirects as a browser does until the provider sends it to our callback."""
        for _ in range(10):
            r = self.browser.get(url, allow_redirects=False, timeout=10)
            if r.status_code == 200 and "document.forms[0].submit()" in r.text:
                # oidc-provider ends the previous user's session with a form a browser submits itself.
                action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', r.text).group(1))
                fields = {html.unescape(k): html.unescape(v)
                          for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', r.text)}
                r = self.browser.post(action, data=fields, allow_redirects=False, timeout=10)
            location = r.headers.get("location")
            assert location, f"stopped at {r.status_code} {url}: {r.text[:300]}"
            url = urljoin(url, location)
            if url.startswith(self.redirect_uri):
                return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        raise AssertionError("too many redirects")

    def identity(self, code: str, *, verifier: str | None = None, nonce: str | None = None):
        return strategy(self.provider).identity(code=code, verifier=verifier or self.verifier,
                                                redirect_uri=self.redirect_uri, nonce=nonce or self.nonce,
                                                now=datetime.now(UTC))


def flow(providers: dict[str, SsoProvider], name: str) -> Flow:
    return Flow(providers[name], secrets.token_urlsafe(16), secrets.token_urlsafe(16), secrets.token_urlsafe(48),
                f"{GATEHOUSE}/sso/{name}/callback", requests.Session())


def sign_in(providers: dict[str, SsoProvider], name: str, hint: str):
    f = flow(providers, name)
    answer = f.follow(f.start(login_hint=hint))
    assert answer["state"] == f.state
    return f.identity(answer["code"])


# --- Google-like -----------------------------------------------------------------------------------

def test_a_verified_google_user_comes_back_with_its_sub_and_email(providers):
    identity = sign_in(providers, "google", "google-demo")
    assert (identity.provider, identity.key, identity.email) == ("google", "104719023400001", "demo@gatehouse.local")


def test_an_unverified_google_email_comes_back_untrusted(providers):
    identity = sign_in(providers, "google", "google-unverified")
    assert identity.key == "104719023400002"
    assert identity.email is None and identity.unverified_email == "demo@gatehouse.local"


def test_the_callback_names_the_issuer_and_the_id_token_is_validated_against_it(providers):
    f = flow(providers, "google")
    answer = f.follow(f.start(login_hint="google-demo"))
    assert answer["iss"] == providers["google"].issuers[0]
    with pytest.raises(SsoRejectedError) as err:
        f.identity(answer["code"], nonce="the nonce of another transaction")
    assert err.value.reason == "bad_nonce"


def test_a_code_works_once(providers):
    f = flow(providers, "google")
    code = f.follow(f.start(login_hint="google-demo"))["code"]
    f.identity(code)
    with pytest.raises(SsoRejectedError) as err:
        f.identity(code)
    assert err.value.reason == "token_invalid_grant"


def test_a_wrong_pkce_verifier_is_refused_by_the_provider(providers):
    f = flow(providers, "google")
    code = f.follow(f.start(login_hint="google-demo"))["code"]
    with pytest.raises(SsoRejectedError) as err:
        f.identity(code, verifier=secrets.token_urlsafe(48))
    assert err.value.reason == "token_invalid_grant"


def test_an_unregistered_redirect_uri_is_not_redirected_to(providers):
    f = flow(providers, "google")
    f.redirect_uri = "http://attacker.example/sso/google/callback"
    r = f.browser.get(f.start(login_hint="google-demo"), allow_redirects=False, timeout=10)
    assert r.status_code == 400 and "redirect_uri" in r.text
    assert "attacker" not in r.headers.get("location", "")


def test_without_a_login_hint_a_person_picks_the_user_on_a_page(providers):
    f = flow(providers, "google")
    r = f.browser.get(f.start(), timeout=10)
    assert r.status_code == 200 and "Demo User" in r.text and "Not Verified" in r.text
    action = urljoin(r.url, r.text.split('action="', 1)[1].split('"', 1)[0])
    chosen = f.browser.post(action, data={"user": "104719023400003"}, allow_redirects=False, timeout=10)
    answer = f.follow(urljoin(action, chosen.headers["location"]))
    assert f.identity(answer["code"]).email == "newcomer@gatehouse.local"


def test_a_second_sign_in_with_another_hint_is_that_other_user(providers):
    f = flow(providers, "google")
    f.identity(f.follow(f.start(login_hint="google-demo"))["code"])
    again = Flow(f.provider, "s2", "n2", secrets.token_urlsafe(48), f.redirect_uri, f.browser)  # same cookies
    assert again.identity(again.follow(again.start(login_hint="google-unverified"))["code"]).key == "104719023400002"


# --- Microsoft-like, multi-tenant ------------------------------------------------------------------

def test_a_tenant_one_user_with_xms_edov_comes_back_keyed_on_tid_and_oid_with_a_trusted_email(providers):
    identity = sign_in(providers, "microsoft", "microsoft-grace")
    assert identity.key == f"{TENANT_ONE}:0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
    assert identity.email == "grace@contoso.gatehouse.local"


def test_a_tenant_two_user_claiming_that_email_without_xms_edov_is_another_identity_with_no_email(providers):
    identity = sign_in(providers, "microsoft", "microsoft-impostor")
    assert identity.key.startswith(f"{TENANT_TWO}:")
    assert identity.email is None and identity.unverified_email == "grace@contoso.gatehouse.local"


def test_microsofts_common_endpoint_lets_a_person_pick_an_account_of_either_tenant(providers):
    f = flow(providers, "microsoft")
    page = f.browser.get(f.start(), timeout=10)
    assert page.status_code == 200
    assert "Contoso (tenant one)" in page.text and "Fabrikam (tenant two)" in page.text


def test_the_common_key_set_names_the_issuer_template(providers):
    keys = requests.get(providers["microsoft"].jwks_uri, timeout=10).json()["keys"]
    assert keys and all(k["issuer"].endswith("/microsoft/{tenantid}/v2.0") for k in keys)


def test_each_tenant_issues_tokens_with_its_own_issuer(providers):
    base = providers["microsoft"].issuers[0]
    for tid in (TENANT_ONE, TENANT_TWO):
        issuer = base.replace("{tenantid}", tid)
        doc = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
        assert doc["issuer"] == issuer and doc["id_token_signing_alg_values_supported"][0] == "RS256"


# --- GitHub fake -----------------------------------------------------------------------------------

def test_a_github_user_comes_back_with_its_numeric_id_and_primary_verified_email(providers):
    identity = sign_in(providers, "github", "octo")
    assert (identity.key, identity.email) == ("9000001", "octo@gatehouse.local")


def test_a_github_primary_email_that_is_not_verified_is_not_trusted(providers):
    identity = sign_in(providers, "github", "octo-unverified")
    assert identity.key == "9000002" and identity.email is None


def test_a_github_code_works_once_and_the_error_comes_with_http_200(providers):
    f = flow(providers, "github")
    code = f.follow(f.start(login_hint="octo"))["code"]
    f.identity(code)
    raw = requests.post(providers["github"].token_endpoint, timeout=10, data={
        "client_id": "gatehouse-local", "client_secret": "local-github-secret", "code": code,
        "redirect_uri": f.redirect_uri, "code_verifier": f.verifier})
    assert raw.status_code == 200 and raw.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert "error=bad_verification_code" in raw.text
    with pytest.raises(SsoRejectedError) as err:
        f.identity(f.follow(f.start(login_hint="octo"))["code"], verifier=secrets.token_urlsafe(48))
    assert err.value.reason == "token_bad_verification_code"


def test_cancelling_on_github_answers_access_denied_with_the_state(providers):
    f = flow(providers, "github")
    answer = f.follow(f.start() + "&deny=1")
    assert answer == {"error": "access_denied", "state": f.state, "error_description": answer["error_description"],
                      "error_uri": answer["error_uri"]}
