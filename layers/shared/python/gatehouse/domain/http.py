"""An identity provider's answer as the sign-in strategies read it (token endpoints, key sets,
GitHub's API); the `HttpClient` port makes the call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]  # names lower-cased
    body: bytes
