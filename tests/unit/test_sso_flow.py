"""The sso flow over fakes: the single-use transaction bound to the browser, and SSO.md's linking
rules, with ID tokens signed in the test by a scripted provider that checks PKCE as a real one does."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from gatehouse.bootstrap import Container
from gatehouse.domain.accounts import Account, MfaMethod
from gatehouse.domain.identities import LinkedIdentity
from gatehouse.errors import ConflictError, NotFoundError, SsoRejectedError
from gatehouse.flows.sso import safe_return_to
from gatehouse.settings import MICROSOFT_ISSUER_TEMPLATE, Settings, SsoProvider
from gatehouse.strategies.oidc import OidcStrategy, code_challenge

from tests.unit.conftest import FAST
from tests.unit.sso_support import TENANT_ONE, TENANT_TWO, Call, FakeHttp, SigningKey, json_response

GOOGLE = SsoProvider("google", "gh-client", "https://g.example/auth", "https://g.example/token",
                     issuers=("https://accounts.google.com",), jwks_uri="https://g.example/jwks", client_secret="x")
MICROSOFT = SsoProvider("microsoft", "gh-client", "https://m.example/authorize", "https://m.example/token",
                        issuers=(MICROSOFT_ISSUER_TEMPLATE,), jwks_uri="https://m.example/keys", client_secret="y")
KEY = SigningKey("k1")


@dataclass
class ScriptedIdp:
    """What a provider does with our authorization URL and, later, our token request."""

    provider: SsoProvider
    http: FakeHttp
    codes: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.http.routes[("GET", self.provider.jwks_uri)] = json_response({"keys": [KEY.jwk()]})
        self.http.routes[("POST", self.provider.token_endpoint)] = self._token

    def authorize(self, url: str, claims: dict[str, Any], now: Any) -> dict[str, str]:
        q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        t = int(now.timestamp())
        code = f"code-{len(self.codes)}"
        self.codes[code] = ({"aud": self.provider.client_id, "iat": t, "exp": t + 600, "nonce": q["nonce"],
                             **claims}, q["code_challenge"])
        return {"code": code, "state": q["state"]}

    def _token(self, call: Call) -> Any:
        found = self.codes.pop(call.form["code"], None)  # a code works once
        if found is None or code_challenge(call.form["code_verifier"]) != found[1]:
            return json_response({"error": "invalid_grant"}, 400)
        return json_response({"id_token": KEY.sign(found[0]), "token_type": "Bearer"})


@pytest.fixture
def c() -> Container:
    http = FakeHttp()
    container = Container.in_memory(FAST.with_overrides(sso_providers=(GOOGLE, MICROSOFT)))
    container.sso_strategies = {"google": OidcStrategy(GOOGLE, http), "microsoft": OidcStrategy(MICROSOFT, http)}
    container.idps = {"google": ScriptedIdp(GOOGLE, http), "microsoft": ScriptedIdp(MICROSOFT, http)}
    return container


def account(c: Container, email: str, *, verified: bool = True, mfa: bool = False) -> Account:
    acc = Account(id=f"acc_{abs(hash(email)) % 10**12}", email=email, created_at=c.clock.now(), password_hash="$x",
                  email_verified=verified,
                  mfa_methods=(MfaMethod("m1", "totp", "phone", c.clock.now()),) if mfa else ())
    c.accounts.add(acc)
    return acc


def google(sub: str = "g-1", email: str | None = "ada@example.com", verified: bool = True) -> dict[str, Any]:
    return {"iss": "https://accounts.google.com", "sub": sub, "email": email, "email_verified": verified}


def microsoft(tid: str, oid: str, email: str, edov: bool | None) -> dict[str, Any]:
    claims = {"iss": f"https://login.microsoftonline.com/{tid}/v2.0", "sub": f"pairwise-{oid}", "tid": tid,
              "oid": oid, "email": email}
    return {**claims, **({"xms_edov": edov} if edov is not None else {})}


def sign_in(c: Container, claims: dict[str, Any], provider: str = "google", **start: Any):
    started = c.sso.start(provider, **start)
    answer = c.idps[provider].authorize(started.location, claims, c.clock.now())
    return c.sso.callback(provider, answer, browser_secret=started.browser_secret)


def refused(c: Container, claims: dict[str, Any], provider: str = "google", **start: Any) -> str:
    with pytest.raises(SsoRejectedError) as err:
        sign_in(c, claims, provider, **start)
    return err.value.reason


# --- the linking rules ------------------------------------------------------------------------------

def test_a_verified_email_equal_to_an_accounts_links_signs_in_and_sends_a_notice(c):
    ada = account(c, "Ada@Example.com")
    done = sign_in(c, google(email="ada@example.com"))
    assert done.token and done.result["status"] == "authenticated" and done.location == "/ui/"
    assert c.sessions.authenticate(done.token).account.id == ada.id
    [linked] = c.identity_store.list(ada.id)
    assert (linked.provider, linked.key, linked.email) == ("google", "g-1", "ada@example.com")
    assert c.mailer.sent[-1].to == "Ada@Example.com" and "Google" in c.mailer.sent[-1].subject


def test_a_known_identity_signs_in_to_its_account_whatever_its_email_is_now(c):
    ada = account(c, "ada@example.com")
    sign_in(c, google(email="ada@example.com"))
    c.clock.advance(3600)
    done = sign_in(c, google(email="ada.lovelace@elsewhere.example", verified=False))
    assert c.sessions.authenticate(done.token).account.id == ada.id
    assert c.identity_store.get("google", "g-1").last_used_at == c.clock.now()


def test_a_verified_email_with_no_account_signs_up_in_both_consoles_without_a_password(c):
    done = sign_in(c, google(sub="g-new", email="newcomer@example.com"))
    acc = c.accounts.get_by_email("newcomer@example.com")
    assert acc is not None and acc.email_verified and acc.password_hash is None
    assert {ctx.console for ctx in acc.contexts} == {"scaleway", "dedibox"}
    assert c.sessions.authenticate(done.token).account.id == acc.id
    assert c.identity_store.get("google", "g-new").account_id == acc.id
    assert done.result["required_actions"] == []  # no password to set: it signs in with Google


def test_an_unverified_email_never_links_nor_signs_up(c):
    ada = account(c, "ada@example.com")
    assert refused(c, google(sub="g-2", email="ada@example.com", verified=False)) == "unverified_email"
    assert refused(c, google(sub="g-3", email="nobody@example.com", verified=False)) == "unverified_email"
    assert refused(c, google(sub="g-4", email=None)) == "unverified_email"
    assert c.identity_store.list(ada.id) == [] and c.accounts.get_by_email("nobody@example.com") is None


def test_an_account_whose_own_email_is_unverified_is_not_linked_by_email(c):
    account(c, "pending@example.com", verified=False)
    assert refused(c, google(email="pending@example.com")) == "account_email_unverified"
    assert c.identity_store.get("google", "g-1") is None


def test_a_tenant_two_user_claiming_a_tenant_one_email_without_xms_edov_is_refused(c):
    grace = account(c, "grace@contoso.example")
    impostor = microsoft(TENANT_TWO, "o-2", "grace@contoso.example", None)
    assert refused(c, impostor, "microsoft") == "unverified_email"
    assert refused(c, {**impostor, "xms_edov": False}, "microsoft") == "unverified_email"
    done = sign_in(c, microsoft(TENANT_ONE, "o-1", "grace@contoso.example", True), "microsoft")
    assert c.sessions.authenticate(done.token).account.id == grace.id
    assert [i.key for i in c.identity_store.list(grace.id)] == [f"{TENANT_ONE}:o-1"]


def test_sso_is_one_factor_an_account_with_totp_gets_mfa_required(c):
    account(c, "ada@example.com", mfa=True)
    done = sign_in(c, google())
    assert done.result["status"] == "mfa_required" and done.result["mfa_methods"] == ["totp"]
    assert not c.sessions.authenticate(done.token).session.fully_authenticated


def test_an_sso_sign_in_with_the_accounts_own_address_clears_verify_email(c):
    ada = account(c, "ada@example.com", verified=False)
    c.identity_store.link(LinkedIdentity("idn_1", "google", "g-1", ada.id, "ada@example.com", c.clock.now()))
    done = sign_in(c, google())
    assert c.accounts.get(ada.id).email_verified
    assert "verify_email" not in done.result["required_actions"]


# --- linking from settings ----------------------------------------------------------------------------

def signed_in(c: Container, email: str):
    acc = account(c, email)
    token, _ = c.sessions.start(acc, methods=("password",))
    return acc, c.sessions.authenticate(token)


def test_a_signed_in_account_connects_a_provider_whose_verified_email_is_its_own(c):
    ada, auth = signed_in(c, "ada@example.com")
    done = sign_in(c, google(), intent="link", auth=auth, return_to="/ui/account")
    assert done.token is None and done.location == "/ui/account"
    assert [i.provider for i in c.identity_store.list(ada.id)] == ["google"]


def test_connecting_needs_the_same_verified_email_and_a_signed_in_session(c):
    _, auth = signed_in(c, "ada@example.com")
    assert refused(c, google(email="someone@else.example"), intent="link", auth=auth) == "email_mismatch"
    assert refused(c, google(verified=False), intent="link", auth=auth) == "unverified_email"
    with pytest.raises(SsoRejectedError) as err:
        c.sso.start("google", intent="link", auth=None)
    assert err.value.reason == "not_signed_in"


def test_an_identity_linked_to_another_account_is_a_conflict(c):
    account(c, "ada@example.com")
    sign_in(c, google())
    _, auth = signed_in(c, "bob@example.com")
    with pytest.raises(ConflictError) as err:
        sign_in(c, google(), intent="link", auth=auth)
    assert err.value.details["reason"] == "identity_linked_elsewhere"


# --- the transaction ----------------------------------------------------------------------------------

def test_a_replayed_state_finds_no_transaction(c):
    account(c, "ada@example.com")
    started = c.sso.start("google")
    answer = c.idps["google"].authorize(started.location, google(), c.clock.now())
    c.sso.callback("google", answer, browser_secret=started.browser_secret)
    with pytest.raises(SsoRejectedError) as err:
        c.sso.callback("google", answer, browser_secret=started.browser_secret)
    assert err.value.reason == "transaction_not_found"


def test_a_missing_cookie_or_another_browsers_cookie_does_not_consume_the_transaction(c):
    account(c, "ada@example.com")
    started = c.sso.start("google")
    answer = c.idps["google"].authorize(started.location, google(), c.clock.now())
    with pytest.raises(SsoRejectedError) as err:
        c.sso.callback("google", answer, browser_secret=None)
    assert err.value.reason == "missing_cookie"
    attacker = c.sso.start("google")
    with pytest.raises(SsoRejectedError) as err:
        c.sso.callback("google", answer, browser_secret=attacker.browser_secret)
    assert err.value.reason == "transaction_not_found"
    assert c.sso.callback("google", answer, browser_secret=started.browser_secret).token


def test_a_transaction_lasts_ten_minutes(c):
    started = c.sso.start("google")
    answer = c.idps["google"].authorize(started.location, google(), c.clock.now())
    c.clock.advance(10 * 60 + 1)
    with pytest.raises(SsoRejectedError) as err:
        c.sso.callback("google", answer, browser_secret=started.browser_secret)
    assert err.value.reason == "transaction_not_found"


def test_access_denied_at_the_provider_ends_the_transaction_with_its_own_reason(c):
    started = c.sso.start("google")
    state = parse_qs(urlsplit(started.location).query)["state"][0]
    query = {"error": "access_denied", "state": state}
    with pytest.raises(SsoRejectedError) as err:
        c.sso.callback("google", query, browser_secret=started.browser_secret)
    assert err.value.reason == "access_denied"
    with pytest.raises(SsoRejectedError) as err:
        c.sso.callback("google", query, browser_secret=started.browser_secret)
    assert err.value.reason == "transaction_not_found"


def test_a_state_started_for_one_provider_is_not_accepted_by_another(c):
    started = c.sso.start("google")
    answer = c.idps["google"].authorize(started.location, google(), c.clock.now())
    with pytest.raises(SsoRejectedError) as err:
        c.sso.callback("microsoft", answer, browser_secret=started.browser_secret)
    assert err.value.reason == "transaction_not_found"


def test_the_transaction_stores_digests_and_the_verifier_never_leaves_in_the_url(c):
    started = c.sso.start("google")
    q = {k: v[0] for k, v in parse_qs(urlsplit(started.location).query).items()}
    stored = next(iter(c.once._items.values()))
    assert stored.key != q["state"] and started.browser_secret not in json.dumps(stored.data)
    assert stored.data["verifier"] not in started.location and q["code_challenge"] == code_challenge(
        stored.data["verifier"])
    assert stored.expires_at == c.clock.now() + timedelta(minutes=10)


def test_an_unknown_provider_is_not_found():
    c = Container.in_memory(Settings(sso_providers=()))
    c.sso_strategies = {}
    with pytest.raises(NotFoundError):
        c.sso.start("facebook")


@pytest.mark.parametrize("value", ["//evil.example/", "/\\evil.example", "https://evil.example/", "ui", "",
                                   "/ui/\r\nSet-Cookie: x=1"])
def test_return_to_is_a_path_on_this_site(value):
    assert safe_return_to(value) == "/ui/"


def test_return_to_keeps_a_local_path():
    assert safe_return_to("/ui/account?tab=identities") == "/ui/account?tab=identities"


# --- settings: the linked identities ------------------------------------------------------------------

def test_settings_list_the_identities_with_provider_email_and_when_linked_and_used(c):
    _, auth = signed_in(c, "ada@example.com")
    sign_in(c, google(), intent="link", auth=auth)
    [listed] = c.linked_identities.list(auth)["identities"]
    assert listed["provider"] == "google" and listed["email"] == "ada@example.com"
    assert listed["linked_at"] and listed["last_used_at"] and listed["id"].startswith("idn_")


def test_disconnecting_an_identity_sends_a_notice_and_it_no_longer_signs_in(c):
    ada, auth = signed_in(c, "ada@example.com")
    sign_in(c, google(), intent="link", auth=auth)
    [listed] = c.linked_identities.list(auth)["identities"]
    c.linked_identities.unlink(auth, listed["id"])
    assert c.identity_store.list(ada.id) == []
    assert "disconnected" in c.mailer.sent[-1].subject
    with pytest.raises(NotFoundError):
        c.linked_identities.unlink(auth, listed["id"])


def test_the_last_way_to_sign_in_is_never_disconnected(c):
    done = sign_in(c, google(sub="g-only", email="only@example.com"))  # signed up: no password
    auth = c.sessions.authenticate(done.token)
    [listed] = c.linked_identities.list(auth)["identities"]
    from gatehouse.errors import LastSignInMethodError

    with pytest.raises(LastSignInMethodError):
        c.linked_identities.unlink(auth, listed["id"])
    assert c.identity_store.get("google", "g-only") is not None


def test_disconnecting_needs_a_recent_sign_in_and_only_touches_the_accounts_own(c):
    from gatehouse.errors import ReauthenticationRequiredError

    _, auth = signed_in(c, "ada@example.com")
    sign_in(c, google(), intent="link", auth=auth)
    _, bob = signed_in(c, "bob@example.com")
    [listed] = c.linked_identities.list(auth)["identities"]
    with pytest.raises(NotFoundError):
        c.linked_identities.unlink(bob, listed["id"])
    c.clock.advance(11 * 60)
    with pytest.raises(ReauthenticationRequiredError):
        c.linked_identities.unlink(auth, listed["id"])


def test_a_callback_naming_another_issuer_is_refused_before_any_code_exchange(c):
    account(c, "ada@example.com")
    started = c.sso.start("google")
    answer = c.idps["google"].authorize(started.location, google(), c.clock.now())
    calls = len(c.idps["google"].http.calls)
    with pytest.raises(SsoRejectedError) as err:
        c.sso.callback("google", {**answer, "iss": "https://evil.example"}, browser_secret=started.browser_secret)
    assert err.value.reason == "bad_issuer" and len(c.idps["google"].http.calls) == calls
