"""`endpoint`: how a flow's Blueprint declares a route.

The decorator does what every route needs, once: body size and type, JSON parsing into a typed
model (400 with `details.fields`), the session (401/403), the Origin check for cookie-authenticated
state changes, console Basic auth, and the error map. The view itself parses nothing and makes one
call into the layer. Every route is also recorded for the generated OpenAPI document.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from gatehouse.api.errors import to_response_parts
from gatehouse.api.observability import logger
from gatehouse.errors import (
    BodyTooLargeError,
    GatehouseError,
    InvalidConsoleCredentialsError,
    InvalidInputError,
    MalformedBodyError,
    MfaRequiredError,
    NotAuthenticatedError,
    OriginNotAllowedError,
    UnsupportedMediaTypeError,
)

if TYPE_CHECKING:
    # pydantic is imported by the flows' request models, never here: a function whose routes take no
    # body (the pages) does not pay for it at cold start.
    from pydantic import BaseModel, ValidationError

SESSION_COOKIE = "gh_session"
_STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


class Auth(Enum):
    NONE = "none"              # anyone (a session, if present, is still read: login rotates it)
    ANY_SESSION = "any"        # a live session, even one still waiting for its second factor
    SESSION = "session"        # a fully authenticated session
    CONSOLE = "console"        # a console, by HTTP Basic auth


@dataclass
class Reply:
    """What a view returns when it needs more than a JSON body with status 200."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    set_session: str | None = None      # a new session token to set in the cookie
    clear_session: bool = False
    max_age: int | None = None


@dataclass(frozen=True)
class RouteSpec:
    path: str
    method: str
    name: str
    summary: str
    body: type[BaseModel] | None
    auth: Auth
    status: int
    tags: tuple[str, ...]
    responses: dict[int, str]


ROUTES: list[RouteSpec] = []


@dataclass
class Ctx:
    """Everything a view may need about its request, resolved lazily where it costs an AWS call."""

    request: Any
    body: Any
    params: dict[str, str]
    source_ip: str
    user_agent: str
    session_token: str | None
    auth: Any = None            # a sessions.Authenticated for session routes, a console id for console routes

    @property
    def query(self) -> dict[str, str]:
        return dict(self.request.query_params or {})


def endpoint(
    bp: Blueprint,
    path: str,
    method: str = "GET",
    *,
    body: type[BaseModel] | None = None,
    auth: Auth = Auth.NONE,
    status: int = 200,
    summary: str = "",
    tags: tuple[str, ...] = (),
    responses: dict[int, str] | None = None,
) -> Callable[[Callable[[Ctx], Any]], Callable[..., Response]]:
    def register(view: Callable[[Ctx], Any]) -> Callable[..., Response]:
        spec = RouteSpec(path, method, view.__name__, summary or (view.__doc__ or "").strip().split("\n")[0],
                         body, auth, status, tags, responses or {})
        ROUTES.append(spec)

        def chalice_view(**params: str) -> Response:
            return _run(bp, spec, view, params)

        chalice_view.__name__ = view.__name__
        chalice_view.__doc__ = view.__doc__
        bp.route(path, methods=[method], content_types=["*/*"], name=view.__name__)(chalice_view)
        return chalice_view

    return register


def _run(bp: Blueprint, spec: RouteSpec, view: Callable[[Ctx], Any], params: dict[str, str]) -> Response:
    from gatehouse.bootstrap import container  # the composition root, built once per cold start

    request = bp.current_request
    try:
        c = container()
        ctx = Ctx(request=request, body=None, params=params,
                  source_ip=_source_ip(request), user_agent=(request.headers.get("user-agent") or "")[:256],
                  session_token=_cookie(request, SESSION_COOKIE))
        if spec.method in _STATE_CHANGING or spec.body is not None:
            ctx.body = _parse_body(request, spec.body, c.settings.max_body_bytes)
        if spec.auth is Auth.CONSOLE:
            ctx.auth = _console(request, c.console_auth)
        elif spec.auth in (Auth.SESSION, Auth.ANY_SESSION):
            if not ctx.session_token:
                raise NotAuthenticatedError()
            if spec.method in _STATE_CHANGING:
                _check_origin(request, c.settings.allowed_origins)
            ctx.auth = c.sessions.authenticate(ctx.session_token)
            if spec.auth is Auth.SESSION and not ctx.auth.session.fully_authenticated:
                raise MfaRequiredError()
        elif spec.method in _STATE_CHANGING and request.headers.get("origin"):
            # Anonymous routes that set a session (login, sign-up) refuse foreign pages too:
            # that stops login CSRF. Without an Origin it is a script, not a browser.
            _check_origin(request, c.settings.allowed_origins)
        result = view(ctx)
    except GatehouseError as exc:
        status, payload, error_headers = to_response_parts(exc)
        headers: dict[str, str | list[str]] = dict(error_headers)
        if status >= 500:
            logger.warning("dependency unavailable", extra={"error_code": exc.code})
        return Response(body=payload, status_code=status, headers=headers)
    except Exception:
        logger.exception("unhandled error", extra={"route": f"{spec.method} {spec.path}"})
        from gatehouse.api.errors import error_body

        return Response(body=error_body("internal_error", "An unexpected error occurred. It has been logged; "
                                        "try again later."), status_code=500)
    return _to_response(result, spec.status)


def _to_response(result: Any, default_status: int) -> Response:
    if isinstance(result, Response):
        return result
    if not isinstance(result, Reply):
        result = Reply(body=result, status=default_status)
    from gatehouse.bootstrap import container

    headers = dict(result.headers)
    if result.set_session or result.clear_session:
        headers["Set-Cookie"] = session_cookie(
            result.set_session or "", secure=container().settings.cookie_secure,
            max_age=0 if result.clear_session else (result.max_age or container().settings.session_absolute_seconds),
        )
    body = result.body
    if result.status == 204:
        body = None
    return Response(body=body if body is not None else "", status_code=result.status, headers=headers)


def session_cookie(token: str, *, secure: bool, max_age: int) -> str:
    parts = [f"{SESSION_COOKIE}={token}", "Path=/", "HttpOnly", "SameSite=Lax", f"Max-Age={max_age}"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def _cookie(request: Any, name: str) -> str | None:
    raw = request.headers.get("cookie") or ""
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


def _source_ip(request: Any) -> str:
    # API Gateway's sourceIp is the TCP peer as API Gateway saw it; X-Forwarded-For is client-written.
    identity = (request.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "0.0.0.0")  # noqa: S104 (a value, not a bind address)


def _check_origin(request: Any, allowed: tuple[str, ...]) -> None:
    origin = (request.headers.get("origin") or "").rstrip("/")
    if origin not in allowed:
        raise OriginNotAllowedError()


def _parse_body(request: Any, model: type[BaseModel] | None, limit: int) -> Any:
    raw: bytes = request.raw_body or b""
    if len(raw) > limit:
        raise BodyTooLargeError(f"The request body is larger than {limit // 1024} KiB.")
    if model is None:
        return None
    content_type = (request.headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    if raw and content_type != "application/json":
        raise UnsupportedMediaTypeError()
    try:
        data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedBodyError() from exc
    except RecursionError as exc:  # nested deeper than the parser's stack: far over the limit
        raise MalformedBodyError(_TOO_DEEP) from exc
    if _depth_over(data, MAX_JSON_DEPTH):
        raise MalformedBodyError(_TOO_DEEP)
    if not isinstance(data, dict):
        raise MalformedBodyError("The request body must be a JSON object.")
    from pydantic import ValidationError  # already imported: `model` is a pydantic model

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInputError(_field_errors(exc)) from None


# No request model nests deeper than a few levels (a WebAuthn credential is the deepest); a
# deeper body is an attack on whatever walks it next (pydantic, the log), not a request.
MAX_JSON_DEPTH = 32
_TOO_DEEP = f"The request body is nested deeper than {MAX_JSON_DEPTH} levels."


def _depth_over(data: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` deep (iterative: no recursion to exhaust)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _field_errors(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_input=False):
        name = ".".join(str(p) for p in err["loc"]) or "body"
        message = err["msg"]
        if err["type"] == "missing":
            message = "This field is required."
        elif err["type"] == "extra_forbidden":
            message = "This field is not expected here."
        fields.setdefault(name, message.removeprefix("Value error, "))
    return fields


def _console(request: Any, authenticator: Any) -> str:
    header = request.headers.get("authorization") or ""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        raise InvalidConsoleCredentialsError()
    try:
        console_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidConsoleCredentialsError() from exc
    if not authenticator.verify(console_id, secret):
        raise InvalidConsoleCredentialsError()
    return console_id
