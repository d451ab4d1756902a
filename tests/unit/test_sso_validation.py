"""The ID token rules of SSO.md, each on its own, over tokens signed in the test with a fresh RSA key."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from gatehouse.errors import SsoRejectedError
from gatehouse.settings import MICROSOFT_ISSUER_TEMPLATE, Settings, SsoProvider, public_sso_providers
from gatehouse.strategies.oidc import (
    KeySet,
    OidcStrategy,
    code_challenge,
    identity_from_claims,
    validate_id_token,
)

from tests.unit.sso_support import NOW, TENANT_ONE, TENANT_TWO, FakeHttp, SigningKey, b64, json_response

GOOGLE = SsoProvider("google", "client-123", "https://g.example/auth", "https://g.example/token",
                     issuers=("https://accounts.google.com", "accounts.google.com"),
                     jwks_uri="https://g.example/jwks", client_secret="s3cret")
MICROSOFT = SsoProvider("microsoft", "client-456", "https://m.example/common/authorize",
                        "https://m.example/common/token", issuers=(MICROSOFT_ISSUER_TEMPLATE,),
                        jwks_uri="https://m.example/common/keys")
NONCE = "n-0S6_WzA2Mj"


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey("k1")


def keyset(key: SigningKey, provider: SsoProvider = GOOGLE, **jwk_extra: Any) -> tuple[KeySet, FakeHttp]:
    http = FakeHttp({("GET", provider.jwks_uri): json_response({"keys": [key.jwk(**jwk_extra)]})})
    return KeySet(http, provider.jwks_uri), http


def google_claims(**changes: Any) -> dict[str, Any]:
    t = int(NOW.timestamp())
    claims = {"iss": "https://accounts.google.com", "aud": GOOGLE.client_id, "sub": "110169484474386276334",
              "iat": t - 10, "exp": t + 3600, "nonce": NONCE, "email": "ada@example.com", "email_verified": True}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def microsoft_claims(tenant: str = TENANT_ONE, **changes: Any) -> dict[str, Any]:
    t, tid = int(NOW.timestamp()), tenant
    claims = {"iss": f"https://login.microsoftonline.com/{tid}/v2.0", "aud": MICROSOFT.client_id, "tid": tid,
              "oid": "00000000-0000-0000-66f3-3332eca7ea81", "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
              "iat": t - 10, "exp": t + 3600, "nonce": NONCE, "email": "grace@contoso.example", "xms_edov": True}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def reason(token: str, key: SigningKey, provider: SsoProvider = GOOGLE, nonce: str = NONCE, **jwk: Any) -> str:
    keys, _ = keyset(key, provider, **jwk)
    with pytest.raises(SsoRejectedError) as err:
        validate_id_token(token, provider, keys, nonce=nonce, now=NOW)
    assert err.value.code == "sso_rejected" and err.value.details == {"reason": err.value.reason}
    return err.value.reason


# --- what passes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("iss", ["https://accounts.google.com", "accounts.google.com"])
def test_both_of_googles_issuer_forms_are_accepted(key, iss):
    keys, _ = keyset(key)
    claims = validate_id_token(key.sign(google_claims(iss=iss)), GOOGLE, keys, nonce=NONCE, now=NOW)
    assert claims["sub"] == "110169484474386276334"


def test_a_microsoft_token_is_accepted_for_the_issuer_of_its_own_tenant(key):
    for tid in (TENANT_ONE, TENANT_TWO):
        keys, _ = keyset(key, MICROSOFT, issuer=MICROSOFT_ISSUER_TEMPLATE)
        claims = validate_id_token(key.sign(microsoft_claims(tid)), MICROSOFT, keys, nonce=NONCE, now=NOW)
        assert claims["tid"] == tid


# --- what is refused ------------------------------------------------------------------------------

@pytest.mark.parametrize("iss", ["https://accounts.google.com/", "http://accounts.google.com",
                                 "https://evil.example", "https://accounts.google.com.evil.example"])
def test_any_other_issuer_is_refused(key, iss):
    assert reason(key.sign(google_claims(iss=iss)), key) == "bad_issuer"


def test_a_token_for_another_client_is_refused(key):
    assert reason(key.sign(google_claims(aud="someone-else")), key) == "bad_audience"
    assert reason(key.sign(google_claims(aud=[GOOGLE.client_id, "other"], azp="other")), key) == "bad_audience"


def test_an_expired_token_is_refused_past_the_minute_of_leeway(key):
    t = int(NOW.timestamp())
    assert reason(key.sign(google_claims(iat=t - 7200, exp=t - 61)), key) == "expired"
    keys, _ = keyset(key)
    # Within the leeway, a clock a few seconds apart from Google's is not an error.
    validate_id_token(key.sign(google_claims(iat=t - 7200, exp=t - 30)), GOOGLE, keys, nonce=NONCE, now=NOW)


def test_a_token_issued_in_the_future_is_refused(key):
    assert reason(key.sign(google_claims(iat=int(NOW.timestamp()) + 600)), key) == "issued_in_future"


@pytest.mark.parametrize("missing", ["iss", "aud", "exp", "iat", "sub"])
def test_a_token_without_a_registered_claim_is_refused(key, missing):
    assert reason(key.sign(google_claims(**{missing: None})), key) == f"missing_{missing}"


def test_a_wrong_or_missing_nonce_is_refused(key):
    assert reason(key.sign(google_claims(nonce="another-transaction")), key) == "bad_nonce"
    assert reason(key.sign(google_claims(nonce=None)), key) == "bad_nonce"
    assert reason(key.sign(google_claims(nonce=NONCE + "x")), key) == "bad_nonce"


def test_alg_none_is_refused(key):
    assert reason(key.forge(google_claims(), "none"), key) == "bad_algorithm"


def test_hs256_signed_with_the_public_key_is_refused(key):
    assert reason(key.forge(google_claims(), "HS256"), key) == "bad_algorithm"


def test_an_rs256_header_over_an_hmac_signature_is_refused(key):
    forged = key.forge(google_claims(), "HS256")
    head = b64(json.dumps({"alg": "RS256", "kid": key.kid}).encode())
    assert reason(".".join([head, *forged.split(".")[1:]]), key) == "bad_signature"


def test_a_token_signed_by_another_key_with_our_key_id_is_refused(key):
    impostor = SigningKey(key.kid)
    assert reason(impostor.sign(google_claims()), key) == "bad_signature"


def test_a_tampered_payload_is_refused(key):
    head, _, sig = key.sign(google_claims()).split(".")
    body = b64(json.dumps(google_claims(sub="someone-else")).encode())
    assert reason(f"{head}.{body}.{sig}", key) == "bad_signature"


@pytest.mark.parametrize("tid", ["common", "organizations", "9188040D-6C67-4C5B-B112-36A304B66DAD",
                                 "9188040d-6c67-4c5b-b112-36a304b66dad/../x", "", None, 42])
def test_a_microsoft_token_whose_tid_is_not_a_guid_is_refused(key, tid):
    claims = microsoft_claims(TENANT_ONE, tid=tid, iss=f"https://login.microsoftonline.com/{tid}/v2.0")
    assert reason(key.sign(claims), key, MICROSOFT) == "bad_tid"


def test_a_microsoft_token_whose_iss_names_another_tenant_than_its_tid_is_refused(key):
    claims = microsoft_claims(TENANT_TWO, iss=f"https://login.microsoftonline.com/{TENANT_ONE}/v2.0")
    assert reason(key.sign(claims), key, MICROSOFT) == "bad_issuer"


def test_the_template_itself_is_not_an_issuer(key):
    claims = microsoft_claims(iss=MICROSOFT_ISSUER_TEMPLATE)
    assert reason(key.sign(claims), key, MICROSOFT) == "bad_issuer"


def test_a_signing_key_that_names_another_issuer_is_refused(key):
    token = key.sign(microsoft_claims())
    assert reason(token, key, MICROSOFT, issuer="https://login.microsoftonline.com/{tenantid}/v1.0") == "bad_issuer"


def test_an_unknown_key_id_refetches_the_key_set_once_then_refuses(key):
    keys, http = keyset(key)
    validate_id_token(key.sign(google_claims()), GOOGLE, keys, nonce=NONCE, now=NOW)
    validate_id_token(key.sign(google_claims()), GOOGLE, keys, nonce=NONCE, now=NOW)
    assert http.count("GET", GOOGLE.jwks_uri) == 1  # cached
    with pytest.raises(SsoRejectedError) as err:
        validate_id_token(key.sign(google_claims(), kid="rotated"), GOOGLE, keys, nonce=NONCE, now=NOW)
    assert err.value.reason == "unknown_key" and http.count("GET", GOOGLE.jwks_uri) == 2


# --- identities and emails ------------------------------------------------------------------------

def test_a_google_identity_is_keyed_on_sub_and_its_email_trusted_only_when_verified():
    verified = identity_from_claims("google", google_claims())
    assert (verified.key, verified.email) == ("110169484474386276334", "ada@example.com")
    unverified = identity_from_claims("google", google_claims(email_verified=False))
    assert (unverified.key, unverified.email, unverified.unverified_email) == (
        "110169484474386276334", None, "ada@example.com")
    assert identity_from_claims("google", google_claims(email_verified=None)).email is None


def test_a_microsoft_identity_is_keyed_on_tid_and_oid_and_its_email_trusted_only_with_xms_edov():
    trusted = identity_from_claims("microsoft", microsoft_claims())
    assert trusted.key == f"{TENANT_ONE}:00000000-0000-0000-66f3-3332eca7ea81"
    assert trusted.email == "grace@contoso.example"
    for edov in (None, False, "false", 0):
        refused = identity_from_claims("microsoft", microsoft_claims(xms_edov=edov))
        assert refused.email is None and refused.unverified_email == "grace@contoso.example"


def test_microsoft_preferred_username_and_upn_are_never_taken_for_an_email():
    claims = microsoft_claims(email=None, preferred_username="grace@contoso.example", upn="grace@contoso.example")
    assert identity_from_claims("microsoft", claims).email is None


def test_the_same_oid_in_two_tenants_is_two_identities():
    one = identity_from_claims("microsoft", microsoft_claims(TENANT_ONE))
    two = identity_from_claims("microsoft", microsoft_claims(TENANT_TWO))
    assert one.key != two.key


def test_the_string_null_is_not_an_email():
    assert identity_from_claims("google", google_claims(email="null")).email is None


# --- the strategy: authorization request and code exchange ----------------------------------------

def test_the_authorization_url_carries_state_nonce_and_an_s256_challenge():
    strategy = OidcStrategy(GOOGLE, FakeHttp())
    url = strategy.authorization_url(redirect_uri="https://id.example/sso/google/callback", state="st",
                                     nonce=NONCE, verifier="v" * 43, login_hint="ada@example.com")
    q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(GOOGLE.authorization_endpoint + "?")
    assert q["state"] == "st" and q["nonce"] == NONCE and q["code_challenge_method"] == "S256"
    assert q["code_challenge"] == b64(hashlib.sha256(b"v" * 43).digest()) == code_challenge("v" * 43)
    assert q["client_id"] == GOOGLE.client_id and q["response_type"] == "code" and "openid" in q["scope"]
    assert q["login_hint"] == "ada@example.com"


def test_the_code_exchange_sends_the_verifier_and_validates_the_id_token(key):
    def token(call):
        assert call.form["code_verifier"] == "verifier" and call.form["code"] == "the-code"
        return json_response({"id_token": key.sign(google_claims()), "access_token": "at", "token_type": "Bearer"})

    http = FakeHttp({("POST", GOOGLE.token_endpoint): token,
                     ("GET", GOOGLE.jwks_uri): json_response({"keys": [key.jwk()]})})
    identity = OidcStrategy(GOOGLE, http).identity(code="the-code", verifier="verifier", redirect_uri="https://r",
                                                   nonce=NONCE, now=NOW)
    assert (identity.provider, identity.key, identity.email) == ("google", "110169484474386276334", "ada@example.com")
    assert http.calls[0].form["client_secret"] == "s3cret"


def test_a_refused_code_is_a_clear_rejection_not_a_crash(key):
    http = FakeHttp({("POST", GOOGLE.token_endpoint): json_response(
        {"error": "invalid_grant", "error_description": "grant request is invalid"}, 400)})
    with pytest.raises(SsoRejectedError) as err:
        OidcStrategy(GOOGLE, http).identity(code="c", verifier="v", redirect_uri="https://r", nonce=NONCE, now=NOW)
    assert err.value.reason == "token_invalid_grant"


# --- settings -------------------------------------------------------------------------------------

def test_providers_are_settings_per_stage():
    from gatehouse.settings import load

    local = load({})
    assert {p.name for p in local.sso_providers} == {"google", "microsoft", "github"}
    assert all(p.token_endpoint.startswith("http://127.0.0.1:") for p in local.sso_providers)
    from tests.unit.test_settings import DEPLOYED

    prod = load({**DEPLOYED, "GATEHOUSE_STAGE": "prod",
                 "GATEHOUSE_SSO_CLIENT_IDS": json.dumps({"google": "g-id", "github": ""})})
    assert [(p.name, p.client_id) for p in prod.sso_providers] == [("google", "g-id")]
    assert prod.sso_provider("google").issuers == ("https://accounts.google.com", "accounts.google.com")
    assert prod.sso_provider("google").client_secret is None  # from the secret store outside local
    ms = public_sso_providers({"microsoft": "m"})[0]
    assert ms.issuers == ("https://login.microsoftonline.com/{tenantid}/v2.0",)
    assert isinstance(Settings().sso_provider("github"), SsoProvider)


def test_an_authorization_response_naming_another_issuer_is_refused_rfc_9207():
    google, ms = OidcStrategy(GOOGLE, FakeHttp()), OidcStrategy(MICROSOFT, FakeHttp())
    assert google.accepts_issuer("https://accounts.google.com") and google.accepts_issuer("accounts.google.com")
    assert not google.accepts_issuer("https://login.microsoftonline.com/" + TENANT_ONE + "/v2.0")
    assert ms.accepts_issuer(f"https://login.microsoftonline.com/{TENANT_ONE}/v2.0")
    for wrong in ("https://login.microsoftonline.com/common/v2.0", "https://accounts.google.com",
                  f"https://login.microsoftonline.com/{TENANT_ONE}/v2.0/x", f"https://evil.example/{TENANT_ONE}/v2.0"):
        assert not ms.accepts_issuer(wrong), wrong
