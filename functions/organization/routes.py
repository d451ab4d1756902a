"""Organization members, outsourcing, the consoles' access check, and API keys (an account's own,
and their verification by a console; legacy Dedibox keys keep working after unification)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from chalice import Blueprint
from gatehouse.api.models import Body, EmailAddress
from gatehouse.api.routing import Auth, Ctx, endpoint
from gatehouse.bootstrap import container
from gatehouse.domain.accounts import Resource
from pydantic import AwareDatetime, Field, StringConstraints

bp = Blueprint(__name__)


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Action = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class MemberAdd(Body):
    email: EmailAddress
    role: Literal["admin", "member"]


class GrantAdd(Body):
    grantee_email: EmailAddress
    resources: list[Name] = Field(min_length=1, max_length=100, examples=[["srv-1"]])
    permissions: list[Action] = Field(min_length=1, max_length=20, examples=[["read", "reboot"]])
    expires_at: AwareDatetime | None = None


class AuthzCheck(Body):
    account_id: Name
    console: Name
    context: Name | None = None
    resource: Name
    action: Action


# Adding a member or a grant emails a third party.
_HANDING_OVER = {
    400: "invalid_email: the address cannot receive email (nothing is stored)",
    403: "reauthentication_required, or action_required while a required action is pending",
    409: "conflict",
    429: "rate_limited: too many invitations and grants today (Retry-After)",
}


@endpoint(bp, "/organization/members", auth=Auth.SESSION, tags=("organization",))
def list_members(ctx: Ctx) -> dict[str, Any]:
    """The members of the account's organization: each reaches the whole account."""
    return container().organization.members(ctx.auth)


@endpoint(bp, "/organization/members", "POST", body=MemberAdd, auth=Auth.SESSION, status=201,
          tags=("organization",), responses=_HANDING_OVER)
def add_member(ctx: Ctx) -> dict[str, Any]:
    """Add someone, by email, to the whole account; they get a notice."""
    return container().organization.add_member(ctx.auth, ctx.body.email, ctx.body.role)


@endpoint(bp, "/organization/members/{id}", "DELETE", auth=Auth.SESSION, status=204, tags=("organization",),
          responses={404: "not_found"})
def remove_member(ctx: Ctx) -> None:
    """Remove a member: their access ends at once."""
    container().organization.remove_member(ctx.auth, ctx.params["id"])


@endpoint(bp, "/outsourcing", auth=Auth.SESSION, tags=("organization",))
def list_grants(ctx: Ctx) -> dict[str, Any]:
    """Who was given which actions on which resources of the account, and until when."""
    return container().organization.grants(ctx.auth)


@endpoint(bp, "/outsourcing", "POST", body=GrantAdd, auth=Auth.SESSION, status=201, tags=("organization",),
          responses=_HANDING_OVER)
def add_grant(ctx: Ctx) -> dict[str, Any]:
    """Give someone, by email, chosen actions on chosen resources only, until an optional time."""
    b = ctx.body
    expires: datetime | None = b.expires_at
    return container().organization.grant(ctx.auth, b.grantee_email, b.resources, b.permissions, expires)


@endpoint(bp, "/outsourcing/{id}", "DELETE", auth=Auth.SESSION, status=204, tags=("organization",),
          responses={404: "not_found"})
def remove_grant(ctx: Ctx) -> None:
    """End an outsourcing grant at once."""
    container().organization.remove_grant(ctx.auth, ctx.params["id"])


@endpoint(bp, "/authz/check", "POST", body=AuthzCheck, auth=Auth.CONSOLE, tags=("organization",))
def authz_check(ctx: Ctx) -> dict[str, Any]:
    """May this account do this action on this resource of this context? (console Basic auth)

    The resource must be one of the account's contexts' own (of the named context, if any), or of an
    organization it is a member of, or granted to it: else `allowed: false`, `reason: unknown_resource`."""
    b = ctx.body
    return container().organization.check(ctx.auth, b.account_id, b.console, b.context, b.resource, b.action)


Kind = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class ConsoleResource(Body):
    id: Name = Field(examples=["srv-8f2c"])
    kind: Kind = Field(examples=["server"])
    name: Label = Field(default="", examples=["web-1"])


class ConsoleResourcePut(Body):
    account_id: Name
    context: Name
    resource: ConsoleResource


class ConsoleResourceDelete(Body):
    account_id: Name
    context: Name
    resource_id: Name


_REGISTERING = {400: "invalid_input", 403: "forbidden: the context is another console's",
                404: "not_found: no such account or context"}


@endpoint(bp, "/consoles/resources", "PUT", body=ConsoleResourcePut, auth=Auth.CONSOLE, tags=("organization",),
          responses={**_REGISTERING, 409: "conflict: the context holds the most resources it may"})
def put_console_resource(ctx: Ctx) -> dict[str, Any]:
    """Register a resource the console made in one of its contexts, or update its kind and name
    (console Basic auth): POST /authz/check knows it from then on."""
    b = ctx.body
    resource = Resource(b.resource.id, b.resource.kind, b.resource.name)
    return container().console_resources.register(ctx.auth, b.account_id, b.context, resource)


@endpoint(bp, "/consoles/resources", "DELETE", body=ConsoleResourceDelete, auth=Auth.CONSOLE, status=204,
          tags=("organization",), responses={**_REGISTERING, 404: "not_found: no such account, context or resource"})
def delete_console_resource(ctx: Ctx) -> None:
    """Forget a resource of one of the console's contexts (console Basic auth): the check no longer knows it."""
    b = ctx.body
    container().console_resources.remove(ctx.auth, b.account_id, b.context, b.resource_id)


class ApiKeyCreate(Body):
    name: str = Field(min_length=1, max_length=100, pattern=r"\S", examples=["deploy bot"])


class ApiKeyVerify(Body):
    key_id: str = Field(min_length=1, max_length=200)
    secret: str = Field(min_length=1, max_length=1000)


@endpoint(bp, "/api-keys", auth=Auth.SESSION, tags=("api-keys",))
def list_api_keys(ctx: Ctx) -> dict[str, Any]:
    """The account's API keys (never their secrets), legacy Dedibox keys included."""
    return container().api_keys.list(ctx.auth)


@endpoint(bp, "/api-keys", "POST", body=ApiKeyCreate, auth=Auth.SESSION, status=201, tags=("api-keys",),
          responses={403: "reauthentication_required, or action_required while a required action is pending",
                     409: "conflict"})
def create_api_key(ctx: Ctx) -> dict[str, Any]:
    """A new key for every console; its secret is in this answer and never again."""
    return container().api_keys.create(ctx.auth, ctx.body.name)


@endpoint(bp, "/api-keys/{id}", "DELETE", auth=Auth.SESSION, status=204, tags=("api-keys",),
          responses={404: "not_found"})
def delete_api_key(ctx: Ctx) -> None:
    """Delete one of the account's keys: it stops verifying at once."""
    container().api_keys.delete(ctx.auth, ctx.params["id"])


@endpoint(bp, "/api-keys/verify", "POST", body=ApiKeyVerify, auth=Auth.CONSOLE, tags=("api-keys",))
def verify_api_key(ctx: Ctx) -> dict[str, Any]:
    """A console checks an API key it was shown (console Basic auth)."""
    return container().api_keys.verify(ctx.auth, ctx.body.key_id, ctx.body.secret)
