"""Browser sessions: assurance level, status, and the two timeouts (idle and absolute)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum


class SessionStatus(StrEnum):
    AUTHENTICATED = "authenticated"
    MFA_REQUIRED = "mfa_required"


@dataclass(frozen=True)
class Session:
    id: str
    token_hash: str
    account_id: str
    status: SessionStatus
    aal: int
    created_at: datetime
    last_seen_at: datetime
    absolute_expires_at: datetime
    idle_expires_at: datetime
    user_agent: str = ""
    auth_methods: tuple[str, ...] = ()
    authenticated_at: datetime | None = None
    console: str | None = None
    context: str | None = None
    mfa_failures: int = 0

    @property
    def expires_at(self) -> datetime:
        """What the table's TTL sees: the earlier of the two deadlines."""
        return min(self.idle_expires_at, self.absolute_expires_at)

    def is_live(self, now: datetime) -> bool:
        return now < self.expires_at

    @property
    def fully_authenticated(self) -> bool:
        return self.status is SessionStatus.AUTHENTICATED

    def needs_touch(self, now: datetime, every_seconds: int) -> bool:
        return (now - self.last_seen_at).total_seconds() >= every_seconds

    def touched(self, now: datetime, idle_seconds: int) -> Session:
        return replace(self, last_seen_at=now, idle_expires_at=now + timedelta(seconds=idle_seconds))

    def evolve(self, **changes: object) -> Session:
        return replace(self, **changes)  # type: ignore[arg-type]
