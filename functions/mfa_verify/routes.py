"""The second step of a login: prove a second factor (TOTP, WebAuthn, a recovery code)."""

from __future__ import annotations

from typing import Any, Literal

from chalice import Blueprint
from gatehouse.api.models import Body, Code
from gatehouse.api.routing import Auth, Ctx, Reply, endpoint
from gatehouse.bootstrap import container, second_factor_answers
from pydantic import model_validator

bp = Blueprint(__name__)


# The methods and their answer fields come from bootstrap's registry of second factors.
ANSWERS = second_factor_answers()
Method = Literal[tuple(ANSWERS)]  # type: ignore[valid-type]


class MfaVerifyRequest(Body):
    method: Method  # type: ignore[valid-type]
    code: Code | None = None
    credential: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _answer_fits_method(self) -> MfaVerifyRequest:
        field = ANSWERS[self.method]
        if getattr(self, field) is None:
            raise ValueError(f"A {self.method} answer needs `{field}`." if field != "code"
                             else "This method needs `code`.")
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
