"""API keys (legacy Dedibox keys keep working after unification)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint
from gatehouse.api.models import Body
from gatehouse.api.routing import Auth, Ctx, endpoint
from gatehouse.bootstrap import container
from pydantic import Field

bp = Blueprint(__name__)


class ApiKeyVerify(Body):
    key_id: str = Field(min_length=1, max_length=200)
    secret: str = Field(min_length=1, max_length=1000)


@endpoint(bp, "/api-keys/verify", "POST", body=ApiKeyVerify, auth=Auth.CONSOLE, tags=("api-keys",))
def verify_api_key(ctx: Ctx) -> dict[str, Any]:
    """A console checks an API key it was shown (console Basic auth)."""
    return container().unification.verify_api_key(ctx.auth, ctx.body.key_id, ctx.body.secret)
