"""Account settings: profile, email change, phone change, password change and set."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint
from gatehouse.api.models import Body, Code, EmailAddress, Locale, Password, Token
from gatehouse.api.routing import Auth, Ctx, endpoint
from gatehouse.bootstrap import container
from pydantic import Field

bp = Blueprint(__name__)


class AccountPatch(Body):
    name: str | None = Field(None, max_length=200)
    locale: Locale | None = None
    # Refused whatever its value (400 invalid_input naming the route): the phone is a recovery
    # channel, changed by POST /account/phone. Any type, so that every refusal names the route.
    phone: Any = Field(None, description="Refused: use POST /account/phone.")
    postal_address: str | None = Field(None, max_length=500)
    organization: str | None = Field(None, max_length=200)


class EmailChangeRequest(Body):
    new_email: EmailAddress
    password: Password


class PhoneChangeRequest(Body):
    phone: str = Field(max_length=20, examples=["+33612345678"])
    password: Password


class PhoneCode(Body):
    code: Code


class TokenRequest(Body):
    token: Token


class PasswordChange(Body):
    current_password: Password
    new_password: Password


class PasswordSet(Body):
    new_password: Password


@endpoint(bp, "/account", auth=Auth.SESSION, tags=("account",))
def get_account(ctx: Ctx) -> dict[str, Any]:
    """The account's settings."""
    return container().account_settings.get(ctx.auth)


@endpoint(bp, "/account", "PATCH", body=AccountPatch, auth=Auth.SESSION, tags=("account",))
def patch_account(ctx: Ctx) -> dict[str, Any]:
    """Change any of name, locale, postal address, organization (the phone: POST /account/phone)."""
    return container().account_settings.update(ctx.auth, ctx.body.model_dump(exclude_unset=True))


@endpoint(bp, "/account/email", "POST", body=EmailChangeRequest, auth=Auth.SESSION, status=202, tags=("account",))
def change_email(ctx: Ctx) -> dict[str, str]:
    """Ask to move the account to a new address; it moves when the emailed link is followed."""
    container().account_settings.request_email_change(ctx.auth, ctx.body.new_email, ctx.body.password)
    return {"status": "verification_sent"}


@endpoint(bp, "/account/email/verify", "POST", body=TokenRequest, tags=("account",))
def verify_email_change(ctx: Ctx) -> dict[str, Any]:
    """Follow the link sent to the new address."""
    return container().account_settings.confirm_email_change(ctx.body.token)


@endpoint(bp, "/account/phone", "POST", body=PhoneChangeRequest, auth=Auth.SESSION, status=202, tags=("account",))
def change_phone(ctx: Ctx) -> dict[str, str]:
    """Text a 6-digit code to a new number (E.164); the phone on file stays the reset channel until it is confirmed."""
    return container().phone_change.request(ctx.auth, ctx.body.phone, ctx.body.password, ip=ctx.source_ip)


@endpoint(bp, "/account/phone/verify", "POST", body=PhoneCode, auth=Auth.SESSION, tags=("account",))
def verify_phone_change(ctx: Ctx) -> dict[str, Any]:
    """The code texted to the new number: it becomes the account's phone, and the account's address is told."""
    return container().phone_change.confirm(ctx.auth, ctx.body.code)


@endpoint(bp, "/account/email/confirm", "POST", auth=Auth.SESSION, status=202, tags=("account",))
def send_email_confirmation(ctx: Ctx) -> dict[str, str]:
    """Send (again) the link that confirms the account's current address (its `verify_email` action);
    following it (`POST /account/email/verify` with its `token`) marks the address confirmed."""
    container().account_settings.send_email_confirmation(ctx.auth)
    return {"status": "verification_sent"}


@endpoint(bp, "/password/change", "POST", body=PasswordChange, auth=Auth.SESSION, status=204, tags=("password",))
def change_password(ctx: Ctx) -> None:
    """Change the password; every other session ends and a notice is emailed."""
    container().account_settings.change_password(ctx.auth, ctx.body.current_password, ctx.body.new_password)


@endpoint(bp, "/password/set", "POST", body=PasswordSet, auth=Auth.SESSION, status=204, tags=("password",))
def set_password(ctx: Ctx) -> None:
    """Set a password where the account's required action is set_password."""
    container().account_settings.set_password(ctx.auth, ctx.body.new_password)


@endpoint(bp, "/unification", auth=Auth.SESSION, tags=("unification",))
def unification(ctx: Ctx) -> dict[str, Any]:
    """Where the account stands in the unification of the Scaleway and Dedibox accounts."""
    return container().unification.view(ctx.auth.account)
