"""Test helpers for SSO: an RSA key made in the test, tokens signed with it, a scripted HTTP transport."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from gatehouse.domain.http import HttpResponse

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TENANT_ONE = "9188040d-6c67-4c5b-b112-36a304b66dad"
TENANT_TWO = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SigningKey:
    def __init__(self, kid: str = "k1") -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def jwk(self, **extra: Any) -> dict[str, Any]:
        data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**data, "kid": self.kid, "use": "sig", "alg": "RS256", **extra}

    def sign(self, claims: Mapping[str, Any], **header: Any) -> str:
        return jwt.encode(dict(claims), self.private, algorithm="RS256", headers={"kid": self.kid, **header})

    def forge(self, claims: Mapping[str, Any], alg: str) -> str:
        """A token PyJWT would refuse to make: `none`, or HS256 keyed with our public key."""
        head = b64(json.dumps({"alg": alg, "kid": self.kid, "typ": "JWT"}).encode())
        body = b64(json.dumps(dict(claims)).encode())
        signing_input = f"{head}.{body}".encode()
        if alg == "none":
            return f"{head}.{body}."
        sig = hmac.new(self.public_pem, signing_input, hashlib.sha256).digest()
        return f"{head}.{body}.{b64(sig)}"


def json_response(body: Any, status: int = 200, content_type: str = "application/json") -> HttpResponse:
    return HttpResponse(status, {"content-type": content_type}, json.dumps(body).encode())


@dataclass
class Call:
    method: str
    url: str
    headers: dict[str, str]
    form: dict[str, str] | None


@dataclass
class FakeHttp:
    """Answers by (method, URL without query): a response, or a function of the call."""

    routes: dict[tuple[str, str], HttpResponse | Callable[[Call], HttpResponse]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)

    def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                form: Mapping[str, str] | None = None) -> HttpResponse:
        call = Call(method, url, dict(headers or {}), dict(form) if form is not None else None)
        self.calls.append(call)
        answer = self.routes.get((method, url.split("?")[0]))
        if answer is None:
            return json_response({"message": "Not Found"}, 404)
        return answer(call) if callable(answer) else answer

    def count(self, method: str, url: str) -> int:
        return sum(1 for c in self.calls if c.method == method and c.url.split("?")[0] == url)


def form_response(body: Mapping[str, str], status: int = 200) -> HttpResponse:
    from urllib.parse import urlencode

    return HttpResponse(status, {"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
                        urlencode(dict(body)).encode())


__all__ = ["NOW", "TENANT_ONE", "TENANT_TWO", "Call", "FakeHttp", "SigningKey", "form_response",
           "json_response"]
