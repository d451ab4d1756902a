"""Recovery when the email no longer works: the request (with presigned uploads for the identity
documents), the owner's cancel link, support's queue, its document downloads, and its decision."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from chalice import Blueprint, Response
from gatehouse.api.models import Body, EmailAddress, Token
from gatehouse.api.routing import Auth, Ctx, endpoint
from gatehouse.bootstrap import container
from gatehouse.flows.recovery import Lookup
from pydantic import Field, StringConstraints

bp = Blueprint(__name__)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Document = Literal["identity_1", "identity_2", "last_bill", "card_statement"]
ContentType = Literal["application/pdf", "image/jpeg", "image/png"]


class RecoveryRequestBody(Body):
    identifier: str | None = Field(None, max_length=200)
    domain: str | None = Field(None, max_length=253)
    new_email: EmailAddress
    postal_address: Text
    phone: str = Field(pattern=r"^\+[1-9][0-9]{6,14}$", examples=["+33612345678"])
    # Each upload form allows exactly one type: the type of the file the person picked (PDF by default).
    content_types: dict[Document, ContentType] | None = None


class Cancel(Body):
    token: Token


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
    return container().recovery_requests.submit(lookup, b.new_email, b.postal_address, b.phone, ip=ctx.source_ip,
                                                content_types=b.content_types)


@endpoint(bp, "/recovery-requests/{id}/cancel", "POST", body=Cancel, status=204, tags=("recovery",),
          responses={400: "invalid_token"})
def cancel(ctx: Ctx) -> None:
    """The owner's link from the hold's announcement (email or SMS): the request ends, nothing changes."""
    container().recovery_requests.cancel(ctx.params["id"], ctx.body.token)


@endpoint(bp, "/support/recovery-requests", auth=Auth.SESSION, tags=("support",), responses={403: "forbidden"})
def queue(ctx: Ctx) -> dict[str, Any]:
    """Pending requests, oldest first, each beside the account on file, with each document's presence,
    type and size (support role)."""
    return container().recovery_requests.pending(ctx.auth)


@endpoint(bp, "/support/recovery-requests/{id}/decision", "POST", body=Decision, auth=Auth.SESSION,
          tags=("support",), responses={403: "forbidden", 404: "not_found", 409: "conflict, documents_missing"})
def decide(ctx: Ctx) -> dict[str, Any]:
    """Approve (a hold starts, announced to the old address and phone; then the email changes, sessions
    end, the new address gets a reset link) or reject (the new address is told)."""
    return container().recovery_requests.decide(ctx.auth, ctx.params["id"], ctx.body.approve, ctx.body.note)


@endpoint(bp, "/support/recovery-requests/{id}/documents/{document}", auth=Auth.SESSION, tags=("support",),
          responses={403: "forbidden", 404: "not_found"})
def download(ctx: Ctx) -> Response:
    """Support role: the download goes on the request's record, then 302 to a one-minute link that
    saves the file (`Content-Disposition: attachment`)."""
    url = container().recovery_requests.download(ctx.auth, ctx.params["id"], ctx.params["document"])
    return Response(body="", status_code=302, headers={"Location": url, "Cache-Control": "no-store"})
