"""Recovery when the email no longer works: the request (with presigned uploads for the identity
documents), support's queue, and support's decision."""

from __future__ import annotations

from typing import Annotated, Any

from chalice import Blueprint
from gatehouse.api.models import Body, EmailAddress
from gatehouse.api.routing import Auth, Ctx, endpoint
from gatehouse.bootstrap import container
from gatehouse.flows.recovery import Lookup
from pydantic import Field, StringConstraints

bp = Blueprint(__name__)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class RecoveryRequestBody(Body):
    identifier: str | None = Field(None, max_length=200)
    domain: str | None = Field(None, max_length=253)
    new_email: EmailAddress
    postal_address: Text
    phone: str = Field(pattern=r"^\+[1-9][0-9]{6,14}$", examples=["+33612345678"])


class Decision(Body):
    approve: bool
    note: str = Field("", max_length=2000)


@endpoint(bp, "/recovery-requests", "POST", body=RecoveryRequestBody, status=202, tags=("recovery",),
          responses={429: "rate_limited"})
def submit(ctx: Ctx) -> dict[str, Any]:
    """Ask support for a new email address, by identifier or domain; the same answer whether or not
    it matches an account. Upload the two documents with the presigned forms of the answer."""
    b = ctx.body
    lookup = Lookup.parse(("identifier", "domain"), identifier=b.identifier, domain=b.domain)
    return container().recovery_requests.submit(lookup, b.new_email, b.postal_address, b.phone, ip=ctx.source_ip)


@endpoint(bp, "/support/recovery-requests", auth=Auth.SESSION, tags=("support",), responses={403: "forbidden"})
def queue(ctx: Ctx) -> dict[str, Any]:
    """Pending requests, oldest first, with short-lived links to their documents (support role)."""
    return container().recovery_requests.pending(ctx.auth)


@endpoint(bp, "/support/recovery-requests/{id}/decision", "POST", body=Decision, auth=Auth.SESSION,
          tags=("support",), responses={403: "forbidden", 404: "not_found", 409: "conflict"})
def decide(ctx: Ctx) -> dict[str, Any]:
    """Approve (the email changes, sessions end, the new address gets a reset link) or reject."""
    return container().recovery_requests.decide(ctx.auth, ctx.params["id"], ctx.body.approve, ctx.body.note)
