"""Domain errors: a stable `code`, a sentence for a person, and details. No HTTP here.

`gatehouse.api.errors` is the one map from these codes to the contract's status codes, so a flow
raises `InvalidCode()` and never thinks about 400 versus 401.
"""

from __future__ import annotations

from typing import Any


class GatehouseError(Exception):
    """Base of every error a user may see. Subclasses fix `code` and a default message."""

    code = "error"
    message = "Something went wrong."

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or type(self).message
        self.details = details
        super().__init__(self.message)


class InvalidInputError(GatehouseError):
    code = "invalid_input"
    message = "Some fields are missing or invalid."

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        super().__init__(message, fields=fields)


class MalformedBodyError(GatehouseError):
    code = "malformed_body"
    message = "The request body is not valid JSON."


class BodyTooLargeError(GatehouseError):
    code = "body_too_large"
    message = "The request body is too large."


class UnsupportedMediaTypeError(GatehouseError):
    code = "unsupported_media_type"
    message = "Send the request body as application/json."


class InvalidCredentialsError(GatehouseError):
    code = "invalid_credentials"
    message = "The email or password is incorrect."


class NotAuthenticatedError(GatehouseError):
    code = "not_authenticated"
    message = "Sign in to continue."


class InvalidConsoleCredentialsError(GatehouseError):
    code = "invalid_console_credentials"
    message = "The console's credentials are missing or wrong."


class OriginNotAllowedError(GatehouseError):
    code = "origin_not_allowed"
    message = "This request must come from a Gatehouse page."


class MfaRequiredError(GatehouseError):
    code = "mfa_required"
    message = "Confirm your second factor to continue."


class ActionRequiredError(GatehouseError):
    code = "action_required"
    message = "Your account needs attention before you can open a console."


class ForbiddenError(GatehouseError):
    code = "forbidden"
    message = "You are not allowed to do this."


class LegacyLoginUnavailableError(GatehouseError):
    code = "legacy_login_unavailable"
    message = "This account now signs in through the unified login."


class NotFoundError(GatehouseError):
    code = "not_found"
    message = "Nothing was found here."


class ConflictError(GatehouseError):
    code = "conflict"
    message = "This conflicts with the current state."


class DocumentsMissingError(GatehouseError):
    code = "documents_missing"
    message = "Some documents were not uploaded: the request cannot be approved yet."

    def __init__(self, missing: list[str]) -> None:
        super().__init__(f"Not uploaded yet: {', '.join(missing)}.", missing=missing)


class GoneError(GatehouseError):
    code = "gone"
    message = "This is no longer available."


class SmsMfaDeprecatedError(GatehouseError):
    code = "sms_mfa_deprecated"
    message = "SMS is no longer offered as a second factor: use an authenticator app (TOTP) or a passkey."


class ReauthenticationRequiredError(GatehouseError):
    code = "reauthentication_required"
    message = "Sign in again to change your second factors: your last sign-in is too old."


class WebAuthnRejectedError(GatehouseError):
    code = "webauthn_rejected"
    message = "The security key or passkey response was not accepted. Try again."


class InvalidTokenError(GatehouseError):
    code = "invalid_token"
    message = "This link is invalid or has expired. Ask for a new one."


class InvalidCodeError(GatehouseError):
    code = "invalid_code"
    message = "This code is invalid or has expired."


class WeakPasswordError(GatehouseError):
    code = "weak_password"
    message = "Choose a stronger password."

    def __init__(self, reasons: list[str], field: str = "password", codes: list[dict[str, Any]] | None = None) -> None:
        """`field`: the request's field that holds the password (`new_password` on change and reset);
        `codes`: each reason as `{"code", ...values}` (beyond the contract: pages in French use them)."""
        super().__init__(None, reasons=reasons, fields={field: "; ".join(reasons)},
                         **({"reason_codes": codes} if codes is not None else {}))


class RateLimitedError(GatehouseError):
    code = "rate_limited"
    message = "Too many attempts. Try again later."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message, retry_after=max(1, int(retry_after)))
        self.retry_after = max(1, int(retry_after))


class DependencyUnavailableError(GatehouseError):
    code = "service_unavailable"
    message = "A service Gatehouse depends on is unavailable. Try again in a moment."

    def __init__(self, retry_after: int = 5, message: str | None = None) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class ConditionFailedError(GatehouseError):
    """A conditional write lost: the item changed, expired, or was already consumed.

    Adapters raise it; flows turn it into the error their contract names (invalid_token, ...).
    """

    code = "conflict"
    message = "This was changed by another request."


class InvalidEmailError(GatehouseError):
    code = "invalid_email"
    message = "This address cannot receive email: check it and try again."


class SsoRejectedError(GatehouseError):
    """A provider's answer was not accepted: `reason` says which check refused it (never the token)."""

    code = "sso_rejected"
    message = "The sign-in with this provider could not be accepted. Try again."

    def __init__(self, reason: str, message: str | None = None) -> None:
        super().__init__(message, reason=reason)
        self.reason = reason


class LastSignInMethodError(GatehouseError):
    code = "last_sign_in_method"
    message = "This is the only way left to sign in to this account: add a password or another one first."
