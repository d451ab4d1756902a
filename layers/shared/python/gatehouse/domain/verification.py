"""One verification process for every one-time code (allauth's): the email sign-in code, the SMS
reset code, the phone verification code; and every email link (the reset, sign-up, email change
and address confirmation links), whose secret is 256 random bits instead of digits, so its
failures are never counted (a wrong secret is simply not found). Explicit state, persisted after
every change.

A process is found by its `key`: its own subject (the sign-in code of an address, the phone code
of an account), or a flow id handed to the person (a reset flow, whose id must not tell which
account it is for). One live process per (purpose, subject): a new one replaces the older and
keeps its failures, so a resend never buys more guesses; while the live one is exhausted nothing
new starts, so the lockout ends when it expires and not later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Verification:
    purpose: str
    subject: str
    # The code's HMAC under the code pepper, or a link secret's SHA-256 (`domain.secrets.digest`:
    # 256 random bits need no pepper); None for a process nobody can complete (a throttled request's).
    digest: str | None
    expires_at: datetime
    max_failures: int
    failures: int = 0
    data: Mapping[str, Any] = field(default_factory=dict)
    # The handle the person presents back; "" when the process is found by its subject.
    id: str = ""

    @property
    def key(self) -> str:
        return self.id or self.subject

    @property
    def exhausted(self) -> bool:
        return self.failures >= self.max_failures

    def live(self, now: datetime) -> bool:
        return self.expires_at > now
