"""API keys: an account's own (list, make, delete) and their verification by a console; legacy
Dedibox keys keep working after unification."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint
from gatehouse.api.models import Body
from gatehouse.api.routing import Auth, Ctx, endpoint
from gatehouse.bootstrap import container
from pydantic import Field

bp = Blueprint(__name__)


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
          responses={403: "reauthentication_required", 409: "conflict"})
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
