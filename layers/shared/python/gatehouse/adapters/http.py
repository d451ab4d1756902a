"""Outbound HTTP with the standard library: a few calls per sign-in do not need a client library."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

from gatehouse.domain.http import HttpResponse
from gatehouse.errors import DependencyUnavailableError


class UrllibHttp:
    def __init__(self, timeout_seconds: float = 5.0, *, allow_http: bool = False) -> None:
        # Plain http only on the local stage (loopback stand-ins); providers are reached over TLS.
        self._timeout, self._allow_http = timeout_seconds, allow_http

    def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                form: Mapping[str, str] | None = None) -> HttpResponse:
        scheme = urlsplit(url).scheme
        if scheme != "https" and not (self._allow_http and scheme == "http"):
            raise DependencyUnavailableError(message="A provider URL is not https.")
        data = urlencode(dict(form)).encode() if form is not None else None
        all_headers = {"User-Agent": "gatehouse", **(headers or {})}
        if data is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(url, data=data, headers=all_headers, method=method)  # noqa: S310 (checked above)
        try:
            with urllib.request.urlopen(req, timeout=self._timeout) as r:  # noqa: S310
                return HttpResponse(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
        except urllib.error.HTTPError as e:
            return HttpResponse(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise DependencyUnavailableError(message="The identity provider could not be reached.") from exc
