"""POST /password/reset/sms and POST /password/reset/sms/complete."""

from __future__ import annotations

from chalice import Blueprint
from gatehouse.api.models import Body, Code, LookupEmail, Password
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


class ResetComplete(Body):
    flow_id: str = Field(min_length=1, max_length=64)
    code: Code
    new_password: Password


@endpoint(bp, "/password/reset/sms", "POST", body=ResetRequest, status=202, tags=("password",))
def reset_sms(ctx: Ctx) -> dict[str, str]:
    """Text a 6-digit code to the account's phone; the same answer whether or not the account exists."""
    lookup = Lookup.parse(**ctx.body.model_dump())
    return {"status": "reset_requested", "flow_id": container().recovery.request("sms", lookup, ip=ctx.source_ip)}


@endpoint(bp, "/password/reset/sms/complete", "POST", body=ResetComplete, status=204, tags=("password",))
def reset_sms_complete(ctx: Ctx) -> Reply:
    """Set a new password with the texted code; 5 wrong codes kill the flow; every session ends."""
    proof = {"flow_id": ctx.body.flow_id, "code": ctx.body.code}
    container().recovery.complete("sms", proof, ctx.body.new_password)
    return Reply(status=204)
