"""GET /health, GET /openapi.json, and the local stage's developer routes under /dev."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from chalice import Blueprint, Response
from gatehouse.adapters.codec import iso
from gatehouse.api.models import Body
from gatehouse.api.routing import Ctx, endpoint
from gatehouse.bootstrap import container
from gatehouse.errors import InvalidCodeError, NotFoundError
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
    """Local stage only: a stand-in console that exchanges its hand-off code, as a real one would."""
    c = _local_only()
    console = c.settings.console(ctx.params["console"])
    if console is None:
        raise NotFoundError()
    try:
        who = c.consoles.exchange(console.id, ctx.query.get("code", ""))
    except InvalidCodeError:
        who = None
    if who is None:
        # A person reopening the hand-off URL (back button, history, a bookmark) lands here: say what
        # happened and where to go, as the real console's sign-in page would.
        body = (f"<h1>{html.escape(console.name)} console</h1>"
                f"<p id='status'>This sign-in link was already used or has expired: each link opens "
                f"{html.escape(console.name)} once, and only for a short while.</p>"
                f"<p>Open {html.escape(console.name)} again from your consoles.</p>")
        status = 400
    else:
        body = (f"<h1>{html.escape(console.name)} console</h1>"
                f"<p id='status'>Signed in as <b id='email'>{html.escape(who['email'])}</b>, "
                f"context <code id='context'>{html.escape(who['context'])}</code>.</p>")
        status = 200
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(console.name)}</title>"
            f"<link rel='stylesheet' href='/ui/assets/style.css'></head><body><main>{body}"
            f"<p><a id='switch' href='/ui/consoles'>{'Switch console' if who else 'Back to your consoles'}</a></p>"
            f"</main></body></html>")
    return Response(body=page, status_code=status, headers={"Content-Type": "text/html; charset=utf-8"})
