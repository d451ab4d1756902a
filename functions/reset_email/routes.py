"""POST /password/reset/email, POST /password/reset/email/check and POST /password/reset/email/complete."""

from __future__ import annotations

from chalice import Blueprint
from gatehouse.api.models import Body, LookupEmail, Password, Token
from gatehouse.api.routing import Ctx, Reply, endpoint
from gatehouse.bootstrap import container
from gatehouse.flows.recovery import Lookup
from pydantic import Field

bp = Blueprint(__name__)


class ResetRequest(Body):
    """Exactly one of the three keys."""

    identifier: str | None = Field(None, max_length=254, examples=["acc_0123456789abcdef01234567"])
    email: LookupEmail | None = None
    domain: str | None = Field(None, max_length=253, examples=["example.fr"])


class ResetLink(Body):
    token: Token


class ResetComplete(Body):
    token: Token
    new_password: Password


@endpoint(bp, "/password/reset/email", "POST", body=ResetRequest, status=202, tags=("password",))
def reset_email(ctx: Ctx) -> dict[str, str]:
    """Email a reset link; the same answer whether or not the account exists."""
    lookup = Lookup.parse(**ctx.body.model_dump())
    return {"status": "reset_requested", "flow_id": container().recovery.request("email", lookup, ip=ctx.source_ip)}


@endpoint(bp, "/password/reset/email/complete", "POST", body=ResetComplete, status=204, tags=("password",))
def reset_email_complete(ctx: Ctx) -> Reply:
    """Set a new password with the emailed link's token; every session ends."""
    container().recovery.complete("email", {"token": ctx.body.token}, ctx.body.new_password)
    return Reply(status=204)


@endpoint(bp, "/password/reset/email/check", "POST", body=ResetLink, tags=("password",))
def reset_email_check(ctx: Ctx) -> dict[str, str]:
    """Whether the emailed link still works, without using it: the page says so as it opens."""
    container().recovery.check("email", {"token": ctx.body.token})
    return {"status": "valid"}
