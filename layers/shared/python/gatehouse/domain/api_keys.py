"""API keys of an account, made in Gatehouse or brought by the unification of a legacy account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AccountApiKey:
    """An API key of an account: only the SHA-256 of its secret is kept (the secret is 256 random
    bits, so a fast digest is enough; legacy Dedibox keys come with theirs). A key made in
    Gatehouse works in every console (`console` None); a legacy key only in its Dedibox context."""

    key_id: str
    account_id: str
    secret_sha256: str
    name: str
    created_at: datetime
    console: str | None = None
    context: str | None = None
