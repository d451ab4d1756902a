"""GitHub sign-in: OAuth 2.0 (no ID token), then `GET /user` for the stable numeric id and
`GET /user/emails` for the one address GitHub vouches for (primary and verified both true).

GitHub's token endpoint has quirks a client must not trip on: it answers form-encoded unless asked
for JSON (`Accept: application/json`), and reports a bad or replayed code, a wrong PKCE verifier or
a wrong secret with HTTP 200 and an `error` field. PKCE is optional there; we send it anyway.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from gatehouse.domain.http import HttpResponse
from gatehouse.errors import DependencyUnavailableError, SsoRejectedError
from gatehouse.ports import HttpClient
from gatehouse.settings import SsoProvider
from gatehouse.strategies.oidc import ProviderIdentity, code_challenge

_API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


def _body(r: HttpResponse) -> Any:
    kind = r.headers.get("content-type", "").split(";")[0].strip()
    text = r.body.decode("utf-8", "replace")
    if kind == "application/x-www-form-urlencoded":
        return dict(parse_qsl(text))
    try:
        return json.loads(text)
    except ValueError as exc:
        raise DependencyUnavailableError(message="GitHub's answer could not be read.") from exc


def _email(value: Any) -> str | None:
    # GitHub once returned the string "null" for a private address, and users were merged on it.
    if not isinstance(value, str) or "@" not in value or value.strip().lower() == "null":
        return None
    return value.strip()


class GithubStrategy:
    name = "github"

    def __init__(self, provider: SsoProvider, http: HttpClient,
                 client_secret: str | Callable[[], str | None] | None = None) -> None:
        self.provider, self._http = provider, http
        # A callable reads the secret store on the first code exchange, not at cold start.
        self._secret_source = client_secret if client_secret is not None else provider.client_secret

    @property
    def _secret(self) -> str | None:
        source = self._secret_source
        return source() if callable(source) else source

    def authorization_url(self, *, redirect_uri: str, state: str, nonce: str, verifier: str,
                          login_hint: str | None = None) -> str:
        # No nonce in OAuth 2.0: the state and the PKCE verifier bind the answer to the transaction.
        params = {"client_id": self.provider.client_id, "redirect_uri": redirect_uri, "scope": self.provider.scope,
                  "state": state, "code_challenge": code_challenge(verifier), "code_challenge_method": "S256",
                  "allow_signup": "false"}
        if login_hint:
            params["login"] = login_hint
        return f"{self.provider.authorization_endpoint}?{urlencode(params)}"

    def exchange(self, *, code: str, verifier: str, redirect_uri: str) -> str:
        form = {"client_id": self.provider.client_id, "client_secret": self._secret or "", "code": code,
                "redirect_uri": redirect_uri, "code_verifier": verifier}
        r = self._http.request("POST", self.provider.token_endpoint, form=form,
                               headers={"Accept": "application/json"})
        if r.status >= 500:
            raise DependencyUnavailableError(message="GitHub is unavailable. Try again in a moment.")
        body = _body(r)
        if not isinstance(body, dict):
            raise SsoRejectedError("token_refused")
        # Errors come with 200 too: the `error` field decides, not the status.
        if "error" in body or r.status != 200:
            error = body.get("error")
            raise SsoRejectedError(f"token_{error}" if isinstance(error, str) and error.isidentifier()
                                   else "token_refused")
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise SsoRejectedError("missing_access_token")
        return token

    def _get(self, path: str, token: str) -> HttpResponse:
        return self._http.request("GET", f"{self.provider.api_url.rstrip('/')}{path}",
                                  headers={**_API_HEADERS, "Authorization": f"Bearer {token}"})

    def identity(self, *, code: str, verifier: str, redirect_uri: str, nonce: str, now: object
                 ) -> ProviderIdentity:
        token = self.exchange(code=code, verifier=verifier, redirect_uri=redirect_uri)
        r = self._get("/user", token)
        if r.status >= 500:
            raise DependencyUnavailableError(message="GitHub is unavailable. Try again in a moment.")
        user = _body(r)
        if r.status != 200 or not isinstance(user, dict):
            raise SsoRejectedError("user_refused")
        user_id = user.get("id")
        # The numeric id is the key: the login name can be changed and then taken by someone else.
        if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
            raise SsoRejectedError("missing_user_id")
        email = unverified = None
        r = self._get("/user/emails", token)
        if r.status >= 500:
            raise DependencyUnavailableError(message="GitHub is unavailable. Try again in a moment.")
        # 403/404: the user:email scope was not granted. A linked identity still signs in; nothing links.
        if r.status == 200:
            entries = _body(r)
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict) or entry.get("primary") is not True:
                    continue
                if entry.get("verified") is True:
                    email = _email(entry.get("email"))
                else:
                    unverified = _email(entry.get("email"))
        name = user.get("name") if isinstance(user.get("name"), str) else user.get("login")
        return ProviderIdentity("github", str(user_id), email, None if email else unverified,
                                name if isinstance(name, str) else None)
