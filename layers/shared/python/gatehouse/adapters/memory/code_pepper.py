"""In-memory fake: code pepper."""

from __future__ import annotations

import os

from gatehouse.domain.secrets import hmac_hex


class FakeCodePepper:
    """The code pepper in memory: a random secret per instance, or the one given (what a new cold
    start over the same stored secret sees)."""

    def __init__(self, secret: bytes | None = None) -> None:
        self.secret = secret if secret is not None else os.urandom(32)

    def hmac(self, message: str) -> str:
        return hmac_hex(self.secret, message)
