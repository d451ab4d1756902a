"""POST /signup and POST /signup/verify."""

from __future__ import annotations

from chalice import Blueprint
from gatehouse.api.models import Body, EmailAddress, Locale, Password, Token
from gatehouse.api.routing import Ctx, endpoint
from gatehouse.bootstrap import container

bp = Blueprint(__name__)


class SignupRequest(Body):
    email: EmailAddress
    password: Password
    locale: Locale = "en"


class VerifyRequest(Body):
    token: Token


@endpoint(bp, "/signup", "POST", body=SignupRequest, status=202, tags=("signup",))
def signup(ctx: Ctx) -> dict[str, str]:
    """Start a sign-up: the same answer whether or not the email is taken."""
    container().signup.request(ctx.body.email, ctx.body.password, ctx.body.locale)
    return {"status": "verification_sent"}


@endpoint(bp, "/signup/verify", "POST", body=VerifyRequest, tags=("signup",))
def signup_verify(ctx: Ctx) -> dict[str, object]:
    """Follow the emailed link: the account is created in every console."""
    return container().signup.verify(ctx.body.token)
