"""Password login, the session, the list of sessions, logout."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

from chalice import Blueprint
from gatehouse.api.models import Body, Code, EmailAddress, LookupEmail, Password
from gatehouse.api.routing import Auth, Ctx, Reply, endpoint
from gatehouse.bootstrap import container
from pydantic import Field

bp = Blueprint(__name__)


class LoginRequest(Body):
    email: LookupEmail
    password: Password


@endpoint(bp, "/login", "POST", body=LoginRequest, tags=("login",),
          responses={401: "invalid_credentials", 429: "rate_limited"})
def login(ctx: Ctx) -> Reply:
    """Sign in with email and password; sets the session cookie."""
    outcome = container().login.login(ctx.body.email, ctx.body.password, ip=ctx.source_ip,
                                      user_agent=ctx.user_agent, previous_token=ctx.session_token)
    return Reply(outcome.result, set_session=outcome.token)


class CodeRequest(Body):
    email: EmailAddress


class CodeVerify(Body):
    email: EmailAddress
    code: Code


class PasskeyLoginRequest(Body):
    credential: dict[str, Any]


PASSKEY_COOKIE = "gh_passkey"


@endpoint(bp, "/login/code", "POST", body=CodeRequest, status=202, tags=("login",))
def login_code(ctx: Ctx) -> dict[str, Any]:
    """Email a one-time sign-in code; the same answer whether or not the address has an account."""
    return container().code_login.request(ctx.body.email)


@endpoint(bp, "/login/code/verify", "POST", body=CodeVerify, tags=("login",), responses={400: "invalid_code"})
def login_code_verify(ctx: Ctx) -> Reply:
    """Sign in with the emailed code; an account with a second factor still needs it (mfa_required)."""
    outcome = container().login.sign_in("email_code", {"email": ctx.body.email, "code": ctx.body.code},
                                        ip=ctx.source_ip, user_agent=ctx.user_agent, previous_token=ctx.session_token)
    return Reply(outcome.result, set_session=outcome.token)


@endpoint(bp, "/login/passkey/options", "POST", tags=("login",))
def passkey_options(ctx: Ctx) -> Reply:
    """WebAuthn request options for a passkey sign-in; the challenge is bound to an HttpOnly cookie."""
    c = container()
    challenge_id, body = c.webauthn.login_options()
    cookie = (f"{PASSKEY_COOKIE}={challenge_id}; Path=/login/passkey; HttpOnly; SameSite=Strict; "
              f"Max-Age={c.settings.webauthn_challenge_seconds}" + ("; Secure" if c.settings.cookie_secure else ""))
    return Reply(body, headers={"Set-Cookie": cookie})


@endpoint(bp, "/login/passkey", "POST", body=PasskeyLoginRequest, tags=("login",),
          responses={401: "invalid_credentials"})
def passkey_login(ctx: Ctx) -> Reply:
    """Sign in with a passkey (user verification required); the session is fully authenticated."""
    jar: SimpleCookie = SimpleCookie(ctx.request.headers.get("cookie") or "")
    challenge_id = jar[PASSKEY_COOKIE].value if PASSKEY_COOKIE in jar else None
    outcome = container().login.sign_in("passkey", {"challenge_id": challenge_id, "credential": ctx.body.credential},
                                        ip=ctx.source_ip, user_agent=ctx.user_agent, previous_token=ctx.session_token)
    return Reply(outcome.result, set_session=outcome.token)


@endpoint(bp, "/session", auth=Auth.ANY_SESSION, tags=("login",))
def session(ctx: Ctx) -> dict[str, Any]:
    """The current session: who, how strongly authenticated, what is still required."""
    return container().sessions.describe(ctx.auth)


@endpoint(bp, "/sessions", auth=Auth.SESSION, tags=("login",))
def sessions(ctx: Ctx) -> dict[str, Any]:
    """Every live session of the account."""
    return {"sessions": container().sessions.list(ctx.auth)}


@endpoint(bp, "/sessions/{id}", "DELETE", auth=Auth.SESSION, status=204, tags=("login",))
def revoke_session(ctx: Ctx) -> None:
    """End one session of the account."""
    container().sessions.revoke(ctx.auth, ctx.params["id"])


@endpoint(bp, "/logout", "POST", auth=Auth.ANY_SESSION, tags=("login",))
def logout(ctx: Ctx) -> Reply:
    """End this session and clear its cookie."""
    container().sessions.logout(ctx.session_token)
    return Reply(status=204, clear_session=True)


class LegacyLoginRequest(Body):
    identifier: str = Field(min_length=1, max_length=200)
    password: Password


@endpoint(bp, "/login/legacy", "POST", body=LegacyLoginRequest, tags=("login",),
          responses={401: "invalid_credentials", 403: "legacy_login_unavailable"})
def login_legacy(ctx: Ctx) -> Reply:
    """console.online.net's own login, for a Dedibox context linked before the cutoff."""
    outcome = container().login.sign_in("legacy", {"identifier": ctx.body.identifier, "password": ctx.body.password},
                                        ip=ctx.source_ip, user_agent=ctx.user_agent, previous_token=ctx.session_token)
    return Reply(outcome.result, set_session=outcome.token)
