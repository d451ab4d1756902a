"""The second step of a login: prove a second factor (TOTP, WebAuthn, a recovery code)."""

from __future__ import annotations

from typing import Any, Literal

from chalice import Blueprint
from gatehouse.api.models import Body, Code
from gatehouse.api.routing import Auth, Ctx, Reply, endpoint
from gatehouse.bootstrap import container
from pydantic import model_validator

bp = Blueprint(__name__)


class MfaVerifyRequest(Body):
    method: Literal["totp", "webauthn", "recovery_code"]
    code: Code | None = None
    credential: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _answer_fits_method(self) -> MfaVerifyRequest:
        if self.method == "webauthn" and self.credential is None:
            raise ValueError("A webauthn answer needs `credential`.")
        if self.method != "webauthn" and self.code is None:
            raise ValueError("This method needs `code`.")
        return self


@endpoint(bp, "/mfa/verify", "POST", body=MfaVerifyRequest, auth=Auth.ANY_SESSION, tags=("mfa",),
          responses={400: "invalid_code", 429: "rate_limited"})
def verify(ctx: Ctx) -> Reply:
    """Prove the second factor; the session becomes fully authenticated (AAL2) with a new token."""
    outcome = container().second_factor.verify(ctx.auth, ctx.body.method, ctx.body.model_dump(exclude_none=True),
                                               ip=ctx.source_ip)
    return Reply(outcome.result, set_session=outcome.token)


@endpoint(bp, "/mfa/webauthn/challenge", "POST", auth=Auth.ANY_SESSION, tags=("mfa",))
def webauthn_challenge(ctx: Ctx) -> dict[str, Any]:
    """WebAuthn request options for this session's second factor."""
    return container().second_factor.challenge(ctx.auth, "webauthn")
