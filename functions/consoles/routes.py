"""GET /consoles, POST /consoles/select, POST /consoles/exchange."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint
from gatehouse.api.models import Body, Token
from gatehouse.api.routing import Auth, Ctx, endpoint
from gatehouse.bootstrap import container
from pydantic import Field

bp = Blueprint(__name__)


class SelectRequest(Body):
    console: str = Field(min_length=1, max_length=64)
    context: str | None = Field(None, max_length=128)


class ExchangeRequest(Body):
    code: Token


@endpoint(bp, "/consoles", auth=Auth.SESSION, tags=("consoles",), responses={403: "action_required"})
def list_consoles(ctx: Ctx) -> dict[str, Any]:
    """The consoles this account reaches, with the contexts each offers."""
    c = container()
    c.consoles.check_allowed(ctx.auth)
    return c.consoles.list(ctx.auth)


@endpoint(bp, "/consoles/select", "POST", body=SelectRequest, auth=Auth.SESSION, tags=("consoles",))
def select_console(ctx: Ctx) -> dict[str, Any]:
    """Open (or switch to) a console: a redirect URL with a single-use hand-off code."""
    return container().consoles.select(ctx.auth, ctx.body.console, ctx.body.context)


@endpoint(bp, "/consoles/exchange", "POST", body=ExchangeRequest, auth=Auth.CONSOLE, tags=("consoles",))
def exchange(ctx: Ctx) -> dict[str, Any]:
    """A console trades the hand-off code for the user's identity (console Basic auth)."""
    return container().consoles.exchange(ctx.auth, ctx.body.code)
