"""boto3 clients, made once per cold start, pointed at moto on the local stage.

Timeouts are short and retries adaptive: a Lambda behind API Gateway has 29 s in all, and a
hanging dependency should become a 503 with Retry-After, not a timeout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from gatehouse.errors import DependencyUnavailableError
from gatehouse.settings import Settings

_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 3, "mode": "adaptive"})

# Codes that say "the dependency is unwell", as opposed to "your request is wrong".
_UNAVAILABLE = {
    "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
    "ServiceUnavailable", "InternalServerError", "InternalFailure", "Throttling",
}

_hooks: list[Callable[..., None]] = []


def on_api_call(hook: Callable[..., None]) -> None:
    """Register a hook called before every AWS API call (the benchmarks count calls with it)."""
    _hooks.append(hook)


def _before_call(**kwargs: Any) -> None:
    for hook in _hooks:
        hook(**kwargs)


@cache
def _session(region: str) -> boto3.session.Session:
    return boto3.session.Session(region_name=region)


def client(service: str, settings: Settings) -> Any:
    return _client(service, settings.region, settings.aws_endpoint_url)


@cache
def _client(service: str, region: str, endpoint_url: str | None) -> Any:
    extra: dict[str, Any] = {}
    if endpoint_url:
        # moto accepts any credentials; fixed ones keep a developer's real profile out of it.
        extra = {"endpoint_url": endpoint_url, "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    made = _session(region).client(service, config=_CONFIG, **extra)
    made.meta.events.register("before-call.*.*", _before_call)
    return made


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextmanager
def translated(service: str) -> Iterator[None]:
    """Turn an unwell dependency into DependencyUnavailableError (503 + Retry-After)."""
    try:
        yield
    except ClientError as exc:
        if error_code(exc) in _UNAVAILABLE:
            raise DependencyUnavailableError(retry_after=5) from exc
        raise
    except BotoCoreError as exc:
        raise DependencyUnavailableError(retry_after=5, message=f"{service} is unreachable.") from exc
