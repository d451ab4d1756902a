"""Single sign-on: the browser's trip to Google, Microsoft or GitHub and back.

Both routes are browser navigations, not API calls: they answer with a redirect, or with a page
that says what happened (a replayed or expired sign-in, a missing cookie, a cancelled one, an
email the provider does not vouch for), never with JSON nor a 500.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response
from gatehouse import web
from gatehouse.api.errors import STATUS
from gatehouse.api.routing import Auth, Ctx, endpoint, session_cookie
from gatehouse.bootstrap import container
from gatehouse.errors import DependencyUnavailableError, GatehouseError
from gatehouse.web import pages

bp = Blueprint(__name__)

# The transaction's browser binding: HttpOnly, and Lax (not Strict) so that it comes back on the
# provider's top-level redirect to the callback; scoped to /sso.
TX_COOKIE = "gh_sso"


def _tx_cookie(value: str, max_age: int) -> str:
    parts = [f"{TX_COOKIE}={value}", "Path=/sso", "HttpOnly", "SameSite=Lax", f"Max-Age={max_age}"]
    if container().settings.cookie_secure:
        parts.append("Secure")
    return "; ".join(parts)


def _page(exc: GatehouseError, provider: str, ctx: Ctx) -> Response:
    status = 503 if isinstance(exc, DependencyUnavailableError) else STATUS.get(exc.code, 400)
    reason = str(exc.details.get("reason") or exc.code)
    return _refusal(ctx, provider, reason, exc.code, status)


def _refusal(ctx: Ctx, provider: str, reason: str, code: str, status: int) -> Response:
    c = container()
    language = pages.choose(ctx.query, ctx.request.headers, secure=c.settings.cookie_secure,
                            account_locale=pages.session_locale(c.sessions, ctx.session_token))
    cookies = [_tx_cookie("", 0), *([language.set_cookie] if language.set_cookie else [])]
    # The pages' own frame (header, a card, footer), so the refusal reads as Gatehouse's and not as a bare error.
    return Response(body=pages.sso_refusal(language.locale, provider, reason, code), status_code=status, headers={
        "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "Content-Language": language.locale,
        "Content-Security-Policy": web.CONTENT_SECURITY_POLICY, "Set-Cookie": cookies})  # type: ignore[dict-item]


@endpoint(bp, "/sso/{provider}", tags=("sso",), status=302)
def sso_start(ctx: Ctx) -> Response:
    """Go to the provider (`intent=login`, or `link` from settings), with state, nonce and PKCE."""
    c = container()
    provider, q = ctx.params["provider"], ctx.query
    try:
        auth = c.sessions.authenticate(ctx.session_token) if q.get("intent") == "link" and ctx.session_token else None
        started = c.sso.start(provider, intent=q.get("intent") or "login", return_to=q.get("return_to"), auth=auth,
                              login_hint=q.get("login_hint"))
    except GatehouseError as exc:
        return _page(exc, provider, ctx)
    return Response(body="", status_code=302, headers={
        "Location": started.location, "Cache-Control": "no-store",
        "Set-Cookie": _tx_cookie(started.browser_secret, c.settings.sso_transaction_seconds)})


@endpoint(bp, "/sso/{provider}/callback", tags=("sso",), status=302)
def sso_callback(ctx: Ctx) -> Response:
    """The provider's answer: sign in (mfa_required with a second factor), link, or a page saying why not."""
    from gatehouse.api.routing import _cookie

    c = container()
    provider = ctx.params["provider"]
    try:
        done = c.sso.callback(provider, ctx.query, browser_secret=_cookie(ctx.request, TX_COOKIE),
                              user_agent=ctx.user_agent, previous_token=ctx.session_token)
    except GatehouseError as exc:
        return _page(exc, provider, ctx)
    cookies = [_tx_cookie("", 0)]
    if done.token:
        cookies.append(session_cookie(done.token, secure=c.settings.cookie_secure,
                                      max_age=c.settings.session_absolute_seconds))
    return Response(body="", status_code=302, headers={"Location": done.location, "Cache-Control": "no-store",
                                                       "Set-Cookie": cookies})  # type: ignore[dict-item]


@endpoint(bp, "/sso/{provider}/refused", tags=("sso",))
def sso_refused(ctx: Ctx) -> Response:
    """The refusal page again, as its language switch reaches it (`reason`, `code`, `lang`): the callback's
    URL cannot be replayed. It names only texts of the catalogue, never what the query says."""
    return _refusal(ctx, ctx.params["provider"], ctx.query.get("reason", ""), ctx.query.get("code", ""), 200)


@endpoint(bp, "/account/identities", auth=Auth.SESSION, tags=("sso",))
def identities(ctx: Ctx) -> dict[str, Any]:
    """The account's linked identities: provider, email, when linked, when last used."""
    return container().linked_identities.list(ctx.auth)


@endpoint(bp, "/account/identities/{id}", "DELETE", auth=Auth.SESSION, status=204, tags=("sso",),
          responses={403: "reauthentication_required", 404: "not_found", 409: "last_sign_in_method"})
def unlink_identity(ctx: Ctx) -> None:
    """Disconnect one (a recent sign-in; never the last way to sign in); a notice email."""
    container().linked_identities.unlink(ctx.auth, ctx.params["id"])
