"""The one map from domain error codes to the contract's error shape and status codes."""

from __future__ import annotations

import json
from typing import Any

from gatehouse.errors import GatehouseError

STATUS: dict[str, int] = {
    "documents_missing": 409,
    "invalid_input": 400, "malformed_body": 400, "invalid_token": 400, "invalid_code": 400,
    "invalid_password": 400,
    "weak_password": 400, "invalid_credentials": 401, "not_authenticated": 401,
    "invalid_console_credentials": 401, "origin_not_allowed": 403, "mfa_required": 403,
    "action_required": 403, "forbidden": 403, "legacy_login_unavailable": 403, "not_found": 404,
    "method_not_allowed": 405, "conflict": 409, "gone": 410, "sms_mfa_deprecated": 410,
    "body_too_large": 413, "unsupported_media_type": 415, "rate_limited": 429,
    "service_unavailable": 503, "internal_error": 500,
    "reauthentication_required": 403, "webauthn_rejected": 400,
    "invalid_email": 400,
    "sso_rejected": 400, "last_sign_in_method": 409,
}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def to_response_parts(exc: GatehouseError) -> tuple[int, dict[str, Any], dict[str, str]]:
    status = STATUS.get(exc.code)
    if status is None:
        # A code missing from the map is a bug (tests/unit/test_error_codes.py looks for one): say so
        # in the log rather than answer a silent 400.
        from gatehouse.api.observability import logger

        logger.error("error code without an HTTP status", extra={"error_code": exc.code})
        status = 400
    headers: dict[str, str] = {}
    retry_after = exc.details.get("retry_after")
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return status, error_body(exc.code, exc.message, exc.details), headers


# Chalice answers a few things itself (405, a crash outside our views) in its own shape.
_CHALICE_CODES = {"MethodNotAllowedError": "method_not_allowed", "UnsupportedMediaType": "unsupported_media_type",
                  "BadRequestError": "malformed_body", "NotFoundError": "not_found",
                  "InternalServerError": "internal_error"}


def normalise_foreign_error(status: int, body: Any) -> dict[str, Any] | None:
    """Rewrite an error Chalice produced by itself into the contract's shape; None if already ours."""
    if isinstance(body, (str, bytes)):
        try:
            body = json.loads(body)
        except ValueError:
            body = None
    if isinstance(body, dict) and "error" in body:
        return None
    code = "internal_error"
    if isinstance(body, dict) and body.get("Code") in _CHALICE_CODES:
        code = _CHALICE_CODES[body["Code"]]
    elif status in (404, 405, 413, 415):
        code = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large",
                415: "unsupported_media_type"}[status]
    message = "An unexpected error occurred. It has been logged; try again later." if status >= 500 else (
        str(body.get("Message")) if isinstance(body, dict) and body.get("Message") else "The request was refused.")
    return error_body(code, message)
