"""A small faithful GitHub for the local stage: GitHub has no local server, so this is the honest
substitute. What it keeps of GitHub's behaviour, because a client can get each of them wrong:

- `GET /login/oauth/authorize`: the registered callback only (else an error page, no redirect); the
  user named by `login`, or a page to pick one (with "Cancel", which answers `error=access_denied`);
  PKCE is optional, as on GitHub, but checked when the request carried a challenge.
- `POST /login/oauth/access_token`: form-encoded answers unless `Accept: application/json`; errors
  (`bad_verification_code` for an unknown, used or expired code or a wrong verifier,
  `incorrect_client_credentials`, `redirect_uri_mismatch`) come with HTTP 200; a code works once
  and for 10 minutes.
- `GET /user` (the numeric `id`; `email` is null, as for a private address) and `GET /user/emails`
  (404 without the `user:email` scope).

    python -m gatehouse.local.github_fake --port 5557 --redirect-base http://localhost:8000
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

USERS_FILE = Path(__file__).with_name("sso_users.json")
CODE_SECONDS = 600


@dataclass
class _Code:
    user_id: int
    redirect_uri: str
    scope: str
    challenge: str | None
    expires: float


@dataclass
class GithubState:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    users: dict[str, dict[str, Any]]  # hint -> {"user": ..., "emails": [...]}
    codes: dict[str, _Code] = field(default_factory=dict)
    tokens: dict[str, tuple[int, str]] = field(default_factory=dict)  # token -> (user id, scope)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_file(cls, path: Path, redirect_bases: list[str]) -> GithubState:
        data = json.loads(path.read_text())
        client = data["clients"]["github"]
        return cls(client["client_id"], client["client_secret"],
                   tuple(f"{b.rstrip('/')}/sso/github/callback" for b in redirect_bases),
                   {u["hint"]: u for u in data["github"]})

    def by_id(self, user_id: int) -> dict[str, Any]:
        return next(u for u in self.users.values() if u["user"]["id"] == user_id)


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class _Handler(BaseHTTPRequestHandler):
    state: GithubState  # set on the subclass made by `make_server`

    def log_message(self, format: str, *args: Any) -> None:
        pass  # query strings hold codes: not even a local log gets them

    def _send(self, status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, body: Any) -> None:
        self._send(status, json.dumps(body).encode(), "application/json; charset=utf-8")

    def _page(self, status: int, title: str, body: str) -> None:
        text = (f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{html.escape(title)}</title>'
                "<style>body{font:16px system-ui;max-width:40rem;margin:3rem auto}button{font:inherit;"
                "padding:.5rem 1rem;margin:.25rem 0;width:100%;text-align:left}</style>"
                f"<h1>{html.escape(title)}</h1>{body}</html>")
        self._send(status, text.encode(), "text/html; charset=utf-8")

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query))
        if url.path == "/health":
            return self._json(200, {"ok": True})
        if url.path == "/login/oauth/authorize":
            return self._authorize(query)
        if url.path in ("/user", "/user/emails"):
            return self._api(url.path)
        return self._json(404, {"message": "Not Found"})

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/login/oauth/access_token":
            return self._json(404, {"message": "Not Found"})
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        if self.headers.get("Content-Type", "").startswith("application/json"):
            form = {k: str(v) for k, v in json.loads(raw or "{}").items()}
        else:
            form = dict(parse_qsl(raw))
        answer = self._token(form)
        accept = self.headers.get("Accept", "")
        # GitHub's own default is form-encoded, and errors are answered with 200.
        if "application/json" in accept:
            self._send(200, json.dumps(answer).encode(), "application/json; charset=utf-8")
        else:
            self._send(200, urlencode(answer).encode(), "application/x-www-form-urlencoded; charset=utf-8")

    def _authorize(self, q: dict[str, str]) -> None:
        s = self.state
        redirect = q.get("redirect_uri") or (s.redirect_uris[0] if s.redirect_uris else "")
        if q.get("client_id") != s.client_id:
            return self._page(404, "Not Found", "<p>No application with this client_id.</p>")
        if redirect not in s.redirect_uris:
            return self._page(400, "Redirect URI mismatch",
                              "<p>The redirect_uri is not associated with this application.</p>")
        if q.get("code_challenge") and q.get("code_challenge_method") != "S256":
            return self._redirect(redirect, {"error": "invalid_request", "state": q.get("state", ""),
                                              "error_description": "Only S256 is supported."})
        if q.get("deny"):
            return self._redirect(redirect, {
                "error": "access_denied", "state": q.get("state", ""),
                "error_description": "The user has denied your application access.",
                "error_uri": "https://docs.github.com/apps/troubleshooting-authorization-request-errors"})
        user = s.users.get(q.get("login", ""))
        if user is None:
            hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                             for k, v in q.items() if k != "login")
            buttons = "".join(
                f'<form method="get"><button name="login" value="{html.escape(h)}">{html.escape(u["user"]["login"])}'
                f' <small>({html.escape(u["about"])})</small></button>{hidden}</form>' for h, u in s.users.items())
            cancel = f'<form method="get">{hidden}<button name="deny" value="1">Cancel</button></form>'
            return self._page(200, "Sign in to GitHub (local)", buttons + cancel)
        code = secrets.token_hex(10)
        with s.lock:
            s.codes[code] = _Code(user["user"]["id"], redirect, q.get("scope", ""), q.get("code_challenge"),
                                  time.monotonic() + CODE_SECONDS)
        return self._redirect(redirect, {"code": code, "state": q.get("state", "")})

    def _redirect(self, uri: str, params: Mapping[str, str]) -> None:
        self._send(302, b"", "text/html", {"Location": f"{uri}?{urlencode(params)}"})

    def _token(self, form: dict[str, str]) -> dict[str, str]:
        s = self.state
        if form.get("client_id") != s.client_id or not hmac.compare_digest(
                form.get("client_secret", "").encode(), s.client_secret.encode()):
            return {"error": "incorrect_client_credentials",
                    "error_description": "The client_id and/or client_secret passed are incorrect."}
        with s.lock:
            code = s.codes.pop(form.get("code", ""), None)  # one use, right or wrong
        bad = {"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}
        if code is None or code.expires < time.monotonic():
            return bad
        if form.get("redirect_uri") and form["redirect_uri"] != code.redirect_uri:
            return {"error": "redirect_uri_mismatch", "error_description":
                    "The redirect_uri MUST match the registered callback URL for this application."}
        if code.challenge is not None and not hmac.compare_digest(
                _challenge(form.get("code_verifier", "")).encode(), code.challenge.encode()):
            return bad
        token = "gho_" + secrets.token_urlsafe(27)
        with s.lock:
            s.tokens[token] = (code.user_id, code.scope)
        return {"access_token": token, "token_type": "bearer", "scope": ",".join(code.scope.split())}

    def _api(self, path: str) -> None:
        auth = self.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        held = self.state.tokens.get(token) if scheme.lower() in ("bearer", "token") else None
        if held is None:
            return self._json(401, {"message": "Bad credentials", "status": "401"})
        user = self.state.by_id(held[0])
        if path == "/user":
            return self._json(200, {**user["user"], "email": None, "type": "User"})
        if not {"user:email", "user"} & set(held[1].split()):
            return self._json(404, {"message": "Not Found", "status": "404"})
        return self._json(200, user["emails"])


def make_server(port: int, redirect_bases: list[str], host: str = "127.0.0.1",
                users_file: Path = USERS_FILE) -> ThreadingHTTPServer:
    handler = type("GithubHandler", (_Handler,), {"state": GithubState.from_file(users_file, redirect_bases)})
    return ThreadingHTTPServer((host, port), handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gatehouse.local.github_fake")
    parser.add_argument("--port", type=int, default=5557)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--redirect-base", action="append", default=[])
    args = parser.parse_args(argv)
    server = make_server(args.port, args.redirect_base or ["http://localhost:8000"], args.host)
    print(f"local github listening on http://{args.host}:{args.port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
