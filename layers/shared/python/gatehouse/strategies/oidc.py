"""OpenID Connect sign-in (Google, Microsoft): the authorization request, the code exchange, and
the validation of the ID token as SSO.md lists it.

The checks, each of which refuses the token on its own:
- the algorithm is pinned to RS256 before any key is looked at: `none` and HS256 "signed" with the
  public key (the algorithm-confusion attack) never reach a verifier;
- `iss` equals one configured value exactly (Google's two forms); for Microsoft's multi-tenant
  template, the token's `tid` must be a GUID and is substituted first, and a signing key that names
  its own `issuer` is held to the same value: issuer checks are never switched off for multi-tenancy;
- `aud` contains our client id (and `azp`, when present, is us), `exp` is in the future, `iat` is
  not, and the `nonce` equals the transaction's (in constant time).

PyJWT is imported in the functions below, not at module level: only the `sso` Lambda pays for it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from gatehouse.errors import DependencyUnavailableError, SsoRejectedError
from gatehouse.ports import HttpClient
from gatehouse.settings import SsoProvider

ALGORITHM = "RS256"
# Clocks differ by a few seconds between us and the provider; a minute is the usual allowance.
LEEWAY_SECONDS = 60
_GUID = re.compile(r"\A[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
TENANT_PLACEHOLDER = "{tenantid}"


@dataclass(frozen=True)
class ProviderIdentity:
    """Who the provider says signed in. `key` is the provider's stable id (never the email);
    `email` is set only when the provider vouches for it (SSO.md's table)."""

    provider: str
    key: str
    email: str | None
    # The address the provider showed without vouching for it: said on the refusal page, never linked.
    unverified_email: str | None = None
    name: str | None = None


def code_challenge(verifier: str) -> str:
    """PKCE S256 (RFC 7636): base64url(SHA-256(verifier)) without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def authorization_url(provider: SsoProvider, *, redirect_uri: str, state: str, nonce: str, verifier: str,
                      login_hint: str | None = None) -> str:
    params = {"response_type": "code", "client_id": provider.client_id, "redirect_uri": redirect_uri,
              "scope": provider.scope, "state": state, "nonce": nonce,
              "code_challenge": code_challenge(verifier), "code_challenge_method": "S256"}
    if login_hint:
        params["login_hint"] = login_hint
    return f"{provider.authorization_endpoint}?{urlencode(params)}"


class KeySet:
    """A provider's JWKS, cached; fetched again once when a token names a key id we do not have
    (providers rotate keys), never more than once per token."""

    def __init__(self, http: HttpClient, jwks_uri: str) -> None:
        self._http, self._uri = http, jwks_uri
        self._keys: dict[str, dict[str, Any]] | None = None

    def _fetch(self) -> dict[str, dict[str, Any]]:
        r = self._http.request("GET", self._uri, headers={"Accept": "application/json"})
        if r.status != 200:
            raise DependencyUnavailableError(message="The provider's signing keys could not be fetched.")
        try:
            keys = json.loads(r.body)["keys"]
        except (ValueError, KeyError, TypeError) as exc:
            raise DependencyUnavailableError(message="The provider's signing keys could not be read.") from exc
        return {str(k["kid"]): k for k in keys if isinstance(k, dict) and k.get("kid") and k.get("kty") == "RSA"}

    def get(self, kid: str) -> dict[str, Any]:
        if self._keys is None or kid not in self._keys:
            self._keys = self._fetch()
        if kid not in self._keys:
            raise SsoRejectedError("unknown_key")
        return self._keys[kid]


def _expected_issuer(provider: SsoProvider, claims: Mapping[str, Any]) -> set[str]:
    accepted: set[str] = set()
    for issuer in provider.issuers:
        if TENANT_PLACEHOLDER in issuer:
            tid = claims.get("tid")
            if not isinstance(tid, str) or not _GUID.match(tid):
                raise SsoRejectedError("bad_tid")
            accepted.add(issuer.replace(TENANT_PLACEHOLDER, tid))
        else:
            accepted.add(issuer)
    return accepted


def validate_id_token(token: str, provider: SsoProvider, keys: KeySet, *, nonce: str, now: datetime,
                      leeway: int = LEEWAY_SECONDS) -> dict[str, Any]:
    """The ID token's claims when every check passes; SsoRejectedError(reason) otherwise."""
    import jwt

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise SsoRejectedError("malformed_token") from exc
    if header.get("alg") != ALGORITHM:
        raise SsoRejectedError("bad_algorithm")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise SsoRejectedError("unknown_key")
    jwk = keys.get(kid)
    if jwk.get("alg") not in (None, ALGORITHM) or jwk.get("use") not in (None, "sig"):
        raise SsoRejectedError("unknown_key")
    try:
        key = jwt.PyJWK(jwk, algorithm=ALGORITHM).key
        # Our own clock (movable on the local stage) decides exp and iat, below; PyJWT the signature and aud.
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=[ALGORITHM], audience=provider.client_id,
            options={"require": ["iss", "aud", "exp", "iat", "sub"], "verify_exp": False, "verify_iat": False,
                     "verify_nbf": False, "verify_iss": False})
    except jwt.InvalidAudienceError as exc:
        raise SsoRejectedError("bad_audience") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise SsoRejectedError(f"missing_{exc.claim}") from exc
    except jwt.PyJWTError as exc:
        raise SsoRejectedError("bad_signature") from exc

    accepted = _expected_issuer(provider, claims)
    if claims["iss"] not in accepted:
        raise SsoRejectedError("bad_issuer")
    if "issuer" in jwk and str(jwk["issuer"]).replace(TENANT_PLACEHOLDER, str(claims.get("tid"))) != claims["iss"]:
        raise SsoRejectedError("bad_issuer")
    aud = claims["aud"]
    if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") is None:
        raise SsoRejectedError("bad_audience")
    if claims.get("azp") not in (None, provider.client_id):
        raise SsoRejectedError("bad_audience")
    t = now.timestamp()
    if not _number(claims["exp"]) or claims["exp"] <= t - leeway:
        raise SsoRejectedError("expired")
    if not _number(claims["iat"]) or claims["iat"] > t + leeway:
        raise SsoRejectedError("issued_in_future")
    if _number(claims.get("nbf")) and claims["nbf"] > t + leeway:
        raise SsoRejectedError("not_yet_valid")
    got = claims.get("nonce")
    if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
        raise SsoRejectedError("bad_nonce")
    return claims


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    # A provider once sent the string "null" for a private address (FusionAuth #800): not an email.
    if not isinstance(value, str) or "@" not in value or value.strip().lower() == "null":
        return None
    return value.strip()


def identity_from_claims(provider: str, claims: Mapping[str, Any]) -> ProviderIdentity:
    """The stable key and the trustworthy email of SSO.md's table, for validated claims."""
    name = claims.get("name") if isinstance(claims.get("name"), str) else None
    email = _text(claims, "email")
    if provider == "microsoft":
        tid, oid = claims.get("tid"), claims.get("oid")
        if not isinstance(tid, str) or not _GUID.match(tid):
            raise SsoRejectedError("bad_tid")
        if not isinstance(oid, str) or not oid:
            raise SsoRejectedError("missing_oid")
        # Never preferred_username or upn; `email` only with the tenant's domain-ownership proof.
        trusted = claims.get("xms_edov") is True
        return ProviderIdentity(provider, f"{tid}:{oid}", email if trusted else None,
                                None if trusted else email, name)
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise SsoRejectedError("missing_sub")
    verified = claims.get("email_verified") in (True, "true")
    return ProviderIdentity(provider, sub, email if verified else None, None if verified else email, name)


class OidcStrategy:
    """One OpenID provider: builds its authorization URL, exchanges a code, validates the ID token."""

    def __init__(self, provider: SsoProvider, http: HttpClient,
                 client_secret: str | Callable[[], str | None] | None = None) -> None:
        self.provider, self._http = provider, http
        # A callable reads the secret store on the first code exchange, not at cold start.
        self._secret_source = client_secret if client_secret is not None else provider.client_secret
        self._keys = KeySet(http, provider.jwks_uri)

    @property
    def _secret(self) -> str | None:
        source = self._secret_source
        return source() if callable(source) else source

    @property
    def name(self) -> str:
        return self.provider.name

    def authorization_url(self, *, redirect_uri: str, state: str, nonce: str, verifier: str,
                          login_hint: str | None = None) -> str:
        return authorization_url(self.provider, redirect_uri=redirect_uri, state=state, nonce=nonce,
                                 verifier=verifier, login_hint=login_hint)

    def accepts_issuer(self, iss: str) -> bool:
        """RFC 9207: an authorization response that names its issuer must name ours (a mix-up of
        providers otherwise sends one provider's code to another's token endpoint)."""
        for issuer in self.provider.issuers:
            if TENANT_PLACEHOLDER in issuer:
                before, _, after = issuer.partition(TENANT_PLACEHOLDER)
                tid = iss[len(before):len(iss) - len(after)] if iss.startswith(before) and iss.endswith(after) else ""
                if _GUID.match(tid):
                    return True
            elif hmac.compare_digest(iss.encode(), issuer.encode()):
                return True
        return False

    def exchange(self, *, code: str, verifier: str, redirect_uri: str) -> str:
        """The ID token from the token endpoint (straight from it, over TLS: no at_hash needed)."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "code_verifier": verifier, "client_id": self.provider.client_id}
        if self._secret:
            form["client_secret"] = self._secret
        r = self._http.request("POST", self.provider.token_endpoint, form=form,
                               headers={"Accept": "application/json"})
        try:
            body = json.loads(r.body)
        except ValueError as exc:
            raise DependencyUnavailableError(message="The provider's answer could not be read.") from exc
        if r.status >= 500:
            raise DependencyUnavailableError(message="The provider is unavailable. Try again in a moment.")
        if r.status != 200 or not isinstance(body, dict) or "error" in body:
            # invalid_grant: a replayed or expired code, or a wrong PKCE verifier.
            error = body.get("error") if isinstance(body, dict) else None
            raise SsoRejectedError(f"token_{error}" if isinstance(error, str) and error.isidentifier()
                                   else "token_refused")
        token = body.get("id_token")
        if not isinstance(token, str):
            raise SsoRejectedError("missing_id_token")
        return token

    def identity(self, *, code: str, verifier: str, redirect_uri: str, nonce: str, now: datetime
                 ) -> ProviderIdentity:
        token = self.exchange(code=code, verifier=verifier, redirect_uri=redirect_uri)
        claims = validate_id_token(token, self.provider, self._keys, nonce=nonce, now=now)
        return identity_from_claims(self.provider.name, claims)
