"""botocore clients, made once per cold start from one botocore session, pointed at moto on the local stage.

Timeouts are short and retries few: a Lambda behind API Gateway has 29 s in all, and a hanging
dependency should become a 503 with Retry-After, not a timeout.

CPU per call (issue #14, `python -m tests.bench.cpu --profile`): botocore's own work per call is
most of a request's CPU after the password hash, so the clients skip what buys nothing here:
- retries "standard", not "adaptive": adaptive adds a client-side rate limiter that measures every
  response's send rate; a Lambda sandbox serves one request at a time, so it has nothing to pace,
  and standard mode keeps the same retry of throttling and 5xx with backoff and the retry quota.
- no parameter validation where deployed: botocore walks every parameter against the model before
  each call. Our parameters are built by our adapters (`ddb_types`, `adapters/dynamodb`), never
  passed through from a request, and DynamoDB itself refuses a malformed one (ValidationException,
  SerializationException): a ClientError that `translated` does not mistake for an outage, which
  a route answers with a 500 in the contract's shape. moto is more lenient than DynamoDB (a
  GetItem key `{"S": 123}` finds nothing there), so the test suite turns validation back on
  (`PARAMETER_VALIDATION`, set by tests/conftest.py): a malformed parameter our code builds fails
  in the tests, naming the parameter (tests/unit/test_aws_clients.py shows both). The e2e stacks
  and the bench run as deployed.
- DynamoDB's endpoint is resolved once, when the client is made, instead of by the endpoint
  rules at every call: a table's endpoint does not depend on the call (no account-id endpoints,
  no FIPS or dual-stack per call here), so evaluating them again per call is work for nothing.

Cold start: the clients come from botocore directly (boto3's session would import boto3, its
resource factory and s3transfer for nothing), and the session's data loader skips botocore's scan
of every service's model directory (about 400 directory listings and 2,000 stats, before each
first model load) that only checks that the service asked for exists. The first client no longer
parses botocore's 1.2 MB endpoints.json either (`_PartitionDefaultsResolver`): about 60 ms of
`login`'s first request down to about 20, measured on this machine under load.
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
from botocore.regions import EndpointResolver

from gatehouse.errors import DependencyUnavailableError
from gatehouse.settings import Settings

_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 3, "mode": "standard"},
                 parameter_validation=False)
_VALIDATING = _CONFIG.merge(Config(parameter_validation=True))
# True in the test suite's processes only (see the module's docstring); read when a client is made.
PARAMETER_VALIDATION = False
# Services whose endpoint never depends on the call's parameters here (S3's does: bucket addressing).
_FIXED_ENDPOINT = {"dynamodb"}

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


# Services whose legacy endpoint data has no exception we reach: their signing name, scope and
# default URL are the partition's defaults in every commercial region (S3's are not: its global
# endpoint, its partition endpoint). tests/unit/test_aws_clients.py compares them region by region.
_DEFAULTS_ENOUGH = frozenset({"dynamodb", "kms", "sns", "ses", "sesv2", "secretsmanager"})


class _PartitionDefaultsResolver(EndpointResolver):
    """botocore's legacy endpoint resolver, without parsing endpoints.json for the services above.

    endpoints.json (1.2 MB, ~17 ms of the first client's ~45) feeds only this resolver, which every
    client asks once, when it is made, for its region's signing name and scope and a default URL;
    the URL of each call comes from the service's endpoint rules (DynamoDB's from `meta.endpoint_url`,
    see `_client`). For `_DEFAULTS_ENOUGH` the answers come from the partitions' defaults, built
    from partitions.json (0.3 ms, which the rules load anyway); any other service (S3) gets the
    whole file, parsed the first time one asks.
    """

    def __init__(self, loader: Loader) -> None:
        super().__init__(legacy_endpoints(loader.load_data("partitions")), uses_builtin_data=True)
        self._loader = loader
        self._full: EndpointResolver | None = None

    def _resolver_for(self, service_name: str) -> EndpointResolver:
        if service_name in _DEFAULTS_ENOUGH:
            return self
        if self._full is None:
            self._full = EndpointResolver(self._loader.load_data("endpoints"), uses_builtin_data=True)
        return self._full

    def construct_endpoint(self, service_name: str, region_name: str | None = None, *args: Any,
                           **kwargs: Any) -> Any:
        resolver = self._resolver_for(service_name)
        if resolver is self:
            return super().construct_endpoint(service_name, region_name, *args, **kwargs)
        return resolver.construct_endpoint(service_name, region_name, *args, **kwargs)

    def get_available_endpoints(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        resolver = self._resolver_for(service_name)
        if resolver is self:
            return super().get_available_endpoints(service_name, *args, **kwargs)
        return resolver.get_available_endpoints(service_name, *args, **kwargs)

    def get_service_endpoints_data(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        resolver = self._resolver_for(service_name)
        if resolver is self:
            return super().get_service_endpoints_data(service_name, *args, **kwargs)
        return resolver.get_service_endpoints_data(service_name, *args, **kwargs)


def legacy_endpoints(partitions: dict[str, Any]) -> dict[str, Any]:
    """endpoints.json's shape from partitions.json: each partition's defaults, no per-service entries."""
    out = []
    for p in partitions["partitions"]:
        outputs = p["outputs"]
        suffix = outputs["dnsSuffix"]
        variants = []
        if outputs.get("supportsFIPS"):
            variants.append({"dnsSuffix": suffix, "hostname": "{service}-fips.{region}.{dnsSuffix}", "tags": ["fips"]})
        if outputs.get("supportsDualStack"):
            dual = outputs.get("dualStackDnsSuffix", suffix)
            if outputs.get("supportsFIPS"):
                variants.append({"dnsSuffix": dual, "hostname": "{service}-fips.{region}.{dnsSuffix}",
                                 "tags": ["dualstack", "fips"]})
            variants.append({"dnsSuffix": dual, "hostname": "{service}.{region}.{dnsSuffix}", "tags": ["dualstack"]})
        out.append({"partition": p["id"], "partitionName": outputs.get("name", p["id"]), "dnsSuffix": suffix,
                    "regionRegex": p["regionRegex"], "regions": {r: {} for r in p.get("regions", {})},
                    "defaults": {"hostname": "{service}.{region}.{dnsSuffix}", "protocols": ["https"],
                                 "signatureVersions": ["v4"], "variants": variants},
                    "services": {}})
    return {"partitions": out, "version": 3}


_SERVICES: set[str] = set()


@cache
def _session() -> botocore.session.Session:
    """One botocore session per process: its endpoints, retry rules and models are loaded once for all clients."""
    session = botocore.session.Session()
    loader = _NamedServicesLoader(_SERVICES)
    session.register_component("data_loader", loader)
    register = getattr(session, "_register_internal_component", None)
    if register is not None:  # private in botocore: one without it parses endpoints.json as before
        register("endpoint_resolver", _PartitionDefaultsResolver(loader))
    return session


def client(service: str, settings: Settings) -> Any:
    """The service's client for these settings, made when first used (see `_Deferred`)."""
    return _Deferred(service, settings.region, settings.aws_endpoint_url)


class _Deferred:
    """A client made at its first use, then the process's one for its service, region and endpoint.

    The container builds every adapter a route's flow may need, and the adapters take their client
    when built: a password login built an SES client (the mailer) and a KMS one (the code pepper)
    that it never calls, each a service model to load and a client class to make at a cold start.
    Every attribute is the client's own (a test may still set one here, as on a client).
    """

    def __init__(self, service: str, region: str, endpoint_url: str | None) -> None:
        self._deferred = (service, region, endpoint_url)

    def __getattr__(self, name: str) -> Any:
        return getattr(_client(*self.__dict__["_deferred"]), name)

    def __repr__(self) -> str:
        return f"<deferred {self._deferred[0]} client>"


@cache
def _client(service: str, region: str, endpoint_url: str | None) -> Any:
    extra: dict[str, Any] = {}
    if endpoint_url:
        # moto accepts any credentials; fixed ones keep a developer's real profile out of it.
        extra = {"endpoint_url": endpoint_url, "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    _SERVICES.add(service)
    config = _VALIDATING if PARAMETER_VALIDATION else _CONFIG
    made = _session().create_client(service, region_name=region, config=config, **extra)
    if service in _FIXED_ENDPOINT and getattr(made, "_ruleset_resolver", None) is not None:
        # botocore then uses `meta.endpoint_url` (`_resolve_endpoint_ruleset`: "if self._ruleset_resolver
        # is None"), the regional endpoint resolved when the client was made: the URL the rules give a
        # table when no account-id endpoint is asked for (tests/unit/test_aws_clients.py checks it).
        # A private attribute: a botocore without it keeps resolving per call.
        made._ruleset_resolver = None
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
