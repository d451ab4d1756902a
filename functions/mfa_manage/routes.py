"""Managing second factors: TOTP, passkeys (WebAuthn), recovery codes; SMS is retired."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint
from gatehouse.api.models import Body, Code
from gatehouse.api.routing import Auth, Ctx, endpoint
from gatehouse.bootstrap import container
from pydantic import Field

bp = Blueprint(__name__)


class TotpConfirm(Body):
    code: Code


class WebAuthnRegistration(Body):
    credential: dict[str, Any]
    name: str | None = Field(None, max_length=100)


@endpoint(bp, "/mfa", auth=Auth.SESSION, tags=("mfa",))
def overview(ctx: Ctx) -> dict[str, Any]:
    """The account's second factors and how many recovery codes are left."""
    return container().mfa.overview(ctx.auth)


@endpoint(bp, "/mfa/totp", "POST", auth=Auth.SESSION, tags=("mfa",), responses={403: "reauthentication_required"})
def totp_begin(ctx: Ctx) -> dict[str, Any]:
    """A new authenticator-app seed (with its otpauth URI and a QR code), pending confirmation."""
    return container().mfa.begin(ctx.auth, "totp")


@endpoint(bp, "/mfa/totp/confirm", "POST", body=TotpConfirm, auth=Auth.SESSION, status=201, tags=("mfa",),
          responses={400: "invalid_code", 403: "reauthentication_required"})
def totp_confirm(ctx: Ctx) -> dict[str, Any]:
    """Confirm the seed with one code; the first factor comes with recovery codes."""
    return container().mfa.finish(ctx.auth, "totp", {"code": ctx.body.code})


@endpoint(bp, "/mfa/webauthn/register", "POST", auth=Auth.SESSION, tags=("mfa",),
          responses={403: "reauthentication_required"})
def webauthn_begin(ctx: Ctx) -> dict[str, Any]:
    """WebAuthn creation options for a new passkey or security key."""
    return container().mfa.begin(ctx.auth, "webauthn")


@endpoint(bp, "/mfa/webauthn/register/verify", "POST", body=WebAuthnRegistration, auth=Auth.SESSION, status=201,
          tags=("mfa",), responses={400: "webauthn_rejected", 403: "reauthentication_required"})
def webauthn_finish(ctx: Ctx) -> dict[str, Any]:
    """Register the credential the authenticator created."""
    return container().mfa.finish(ctx.auth, "webauthn", ctx.body.model_dump(exclude_none=True))


@endpoint(bp, "/mfa/recovery-codes", "POST", auth=Auth.SESSION, status=201, tags=("mfa",),
          responses={403: "reauthentication_required", 409: "conflict"})
def recovery_codes(ctx: Ctx) -> dict[str, Any]:
    """Ten new recovery codes; the previous ones stop working."""
    return container().mfa.regenerate_recovery_codes(ctx.auth)


@endpoint(bp, "/mfa/sms", "POST", tags=("mfa",), responses={410: "sms_mfa_deprecated"})
def sms(ctx: Ctx) -> None:
    """Retired: SMS is no longer offered as a second factor (use TOTP or a passkey)."""
    container().mfa.sms()


@endpoint(bp, "/mfa/{id}", "DELETE", auth=Auth.SESSION, status=204, tags=("mfa",),
          responses={403: "reauthentication_required", 404: "not_found"})
def delete(ctx: Ctx) -> None:
    """Remove one second factor."""
    container().mfa.delete(ctx.auth, ctx.params["id"])
