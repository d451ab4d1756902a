"""Identities at single sign-on providers, each linked to one account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class LinkedIdentity:
    """An identity at a provider, linked to one account. `key` is the provider's stable id (Google's
    `sub`, Microsoft's `tid:oid`, GitHub's numeric id), never an email; `email` is what the provider
    vouched for when it was linked, shown in settings."""

    id: str
    provider: str
    key: str
    account_id: str
    email: str | None
    linked_at: datetime
    last_used_at: datetime | None = None
