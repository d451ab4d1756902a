"""`build_app`: a Chalice app for a set of Blueprints, with the middleware every flow shares.

Each flow's Lambda builds one with its own Blueprint; `app.py` at the top builds one with all of
them for `chalice local`. Logger and Metrics are wired here once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from chalice import Blueprint, Chalice, Response
from chalice.app import Request

from gatehouse.api.errors import normalise_foreign_error
from gatehouse.api.observability import logger, metrics

_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def build_app(name: str, blueprints: Iterable[Blueprint]) -> Chalice:
    # Not named "gatehouse": Chalice sets the level of the logger named after the app, and that
    # name belongs to the Powertools Logger.
    app = Chalice(app_name=name if name != "gatehouse" else "gatehouse-app")
    app.debug = False  # never a stack trace in a response, on any stage
    app.register_middleware(_http_middleware, "http")
    for bp in blueprints:
        app.register_blueprint(bp)
    return app


def _http_middleware(event: Request, get_response: Callable[[Request], Response]) -> Response:
    context = event.context or {}
    logger.set_correlation_id(context.get("requestId"))
    started = time.perf_counter()
    response = get_response(event)
    # A page a browser navigated to (the SSO callback's refusals) stays a page for a person.
    is_page = str((response.headers or {}).get("Content-Type", "")).startswith("text/html")
    if response.status_code >= 400 and not is_page:
        fixed = normalise_foreign_error(response.status_code, response.body)
        if fixed is not None:
            response = Response(body=fixed, status_code=response.status_code,
                                headers={k: v for k, v in response.headers.items() if k.lower() != "content-type"})
    for key, value in _SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    if isinstance(response.body, dict | list):
        response.headers.setdefault("Content-Type", "application/json")
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    route = context.get("resourcePath", "?")
    # The log line names the route, never the query string or body: they carry tokens and codes.
    logger.info("request", extra={"method": event.method, "route": route, "status": response.status_code,
                                  "duration_ms": elapsed_ms})
    # The route is metadata, not a dimension: a dimension per route multiplies the metric's cost.
    metrics.add_metadata(key="route", value=f"{event.method} {route}")
    metrics.add_metric(name="Requests", unit="Count", value=1)
    metrics.add_metric(name="Latency", unit="Milliseconds", value=elapsed_ms)
    if response.status_code >= 500:
        metrics.add_metric(name="ServerErrors", unit="Count", value=1)
    _flush()
    return response


def _flush() -> None:
    try:
        metrics.flush_metrics()
    except Exception:
        logger.debug("metrics flush failed")


def json_body(response: Response) -> Any:
    return json.loads(response.body) if isinstance(response.body, str | bytes) else response.body
