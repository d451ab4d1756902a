"""botocore clients, made once per cold start from one botocore session, pointed at moto on the local stage.

Timeouts are short and retries adaptive: a Lambda behind API Gateway has 29 s in all, and a
hanging dependency should become a 503 with Retry-After, not a timeout.

Cold start: the clients come from botocore directly (boto3's session would import boto3, its
resource factory and s3transfer for nothing), and the session's data loader skips botocore's scan
of every service's model directory (about 400 directory listings and 2,000 stats, before each
first model load) that only checks that the service asked for exists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.loaders import Loader

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


class _NamedServicesLoader(Loader):
    """botocore's loader, told the services we ask for instead of listing the directory of each it has."""

    def __init__(self, services: set[str]) -> None:
        super().__init__()
        self._services = services

    def list_available_services(self, type_name: str) -> list[str]:
        return sorted(self._services)


_SERVICES: set[str] = set()


@cache
def _session() -> botocore.session.Session:
    """One botocore session per process: its endpoints, retry rules and models are loaded once for all clients."""
    session = botocore.session.Session()
    session.register_component("data_loader", _NamedServicesLoader(_SERVICES))
    return session


def client(service: str, settings: Settings) -> Any:
    return _client(service, settings.region, settings.aws_endpoint_url)


@cache
def _client(service: str, region: str, endpoint_url: str | None) -> Any:
    extra: dict[str, Any] = {}
    if endpoint_url:
        # moto accepts any credentials; fixed ones keep a developer's real profile out of it.
        extra = {"endpoint_url": endpoint_url, "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    _SERVICES.add(service)
    made = _session().create_client(service, region_name=region, config=_CONFIG, **extra)
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
