"""GET /health, GET /openapi.json, and the local stage's developer routes under /dev."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalice import Blueprint, Response
from gatehouse import web
from gatehouse.adapters.codec import iso
from gatehouse.api.models import Body
from gatehouse.api.routing import Ctx, _cookie, endpoint
from gatehouse.bootstrap import container
from gatehouse.errors import InvalidCodeError, NotFoundError
from gatehouse.web import pages
from pydantic import Field

bp = Blueprint(__name__)
# Written by the build (infra/build.py) from every flow's routes; absent in a source checkout.
OPENAPI_FILE = Path(__file__).with_name("openapi.json")


class ClockAdvance(Body):
    seconds: float = Field(ge=0, le=10 * 24 * 3600)


def _local_only() -> Any:
    c = container()
    if not c.settings.is_local:
        raise NotFoundError()
    return c


@endpoint(bp, "/health", tags=("operations",))
def health(ctx: Ctx) -> dict[str, str]:
    """Liveness: the function runs and its settings parse."""
    return {"status": "ok"}


@endpoint(bp, "/openapi.json", tags=("operations",))
def openapi(ctx: Ctx) -> dict[str, Any]:
    """This API as an OpenAPI 3.1 document, generated from the routes and their request models: by the
    build, which sees every flow (a deployed ops Lambda holds only its own), else here (local)."""
    if OPENAPI_FILE.is_file():
        shipped: dict[str, Any] = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
        return shipped
    from gatehouse.api.openapi import document

    import functions

    functions.blueprints()
    return document()


@endpoint(bp, "/dev/outbox", tags=("local",))
def outbox(ctx: Ctx) -> dict[str, Any]:
    """Local stage only: the mail and SMS the stack sent, newest last."""
    messages = _local_only().outbox.list(ctx.query.get("to"))
    return {"messages": [{"channel": m.channel, "to": m.to, "subject": m.subject, "text": m.text, "html": m.html,
                          "sent_at": iso(m.sent_at)} for m in messages]}


@endpoint(bp, "/dev/clock", "POST", body=ClockAdvance, tags=("local",))
def advance_clock(ctx: Ctx) -> dict[str, Any]:
    """Local stage only: move the stack's clock forward, to test expiry without waiting."""
    c = _local_only()
    c.clock.advance(ctx.body.seconds)
    return {"now": iso(c.clock.now())}


@endpoint(bp, "/dev/run/recovery-holds", "POST", tags=("local",))
def run_recovery_holds(ctx: Ctx) -> dict[str, Any]:
    """Local stage only: one run of the `recovery_hold` schedule, in the stack's process (its clock)."""
    return dict(_local_only().recovery_requests.run_due())


@endpoint(bp, "/dev/console/{console}", tags=("local",))
def demo_console(ctx: Ctx) -> Response:
    """Local stage only: a stand-in console that exchanges its hand-off code, as a real one would, then
    keeps its own session (a cookie), so that its language switch shows the page again without the code."""
    c = _local_only()
    from gatehouse.local import console_session  # not in a deployed stage's layer: after the local-only check

    console = c.settings.console(ctx.params["console"])
    if console is None:
        raise NotFoundError()
    secret = c.settings.console_secrets.get(console.id) or console.id
    cookies: list[str] = []
    code = ctx.query.get("code")
    who: dict[str, Any] | None
    if code is None:
        # Reached again from its own switch: its session says whom it signed in (none: a link to start over).
        who = console_session.recall(_cookie(ctx.request, console_session.COOKIE), secret)
    else:
        try:
            who = c.consoles.exchange(console.id, code)
        except InvalidCodeError:
            # A person reopening the hand-off URL (back button, history, a bookmark) lands here: say what
            # happened and where to go, as the real console's sign-in page would.
            who = None
        path = f"Path=/dev/console/{console.id}; HttpOnly; SameSite=Lax"
        cookies.append(f"{console_session.COOKIE}={console_session.remember(who, secret)}; {path}; Max-Age=3600"
                       if who else f"{console_session.COOKIE}=; {path}; Max-Age=0")
    account = c.accounts.get(who["account_id"]) if who and who.get("account_id") else None
    language = pages.choose(ctx.query, ctx.request.headers, secure=c.settings.cookie_secure,
                            account_locale=account.locale if account else
                            pages.session_locale(c.sessions, ctx.session_token))
    if language.set_cookie:
        cookies.append(language.set_cookie)
    return Response(body=pages.console(language.locale, console.name, who), status_code=200 if who else 400,
                    headers={"Content-Type": "text/html; charset=utf-8", "Content-Language": language.locale,
                             "Content-Security-Policy": web.CONTENT_SECURITY_POLICY,
                             "Cache-Control": "no-store", "Set-Cookie": cookies})  # type: ignore[dict-item]
