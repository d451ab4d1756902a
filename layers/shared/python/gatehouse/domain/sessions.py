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
    # When it began for `Account.sessions_valid_after`: its creation, or the password change it survived.
    valid_from: datetime | None = None

    @property
    def expires_at(self) -> datetime:
        """What the table's TTL sees: the earlier of the two deadlines."""
        return min(self.idle_expires_at, self.absolute_expires_at)

    def is_live(self, now: datetime) -> bool:
        return now < self.expires_at

    def ended_by(self, valid_after: datetime | None) -> bool:
        """Whether an account's `sessions_valid_after` ended this session: one created at that very
        instant too (the safe side), but not the one a change kept (`valid_from` is that instant)."""
        if valid_after is None:
            return False
        return self.valid_from < valid_after if self.valid_from is not None else self.created_at <= valid_after

    @property
    def fully_authenticated(self) -> bool:
        return self.status is SessionStatus.AUTHENTICATED

    def needs_touch(self, now: datetime, every_seconds: int) -> bool:
        return (now - self.last_seen_at).total_seconds() >= every_seconds

    def touched(self, now: datetime, idle_seconds: int) -> Session:
        return replace(self, last_seen_at=now, idle_expires_at=now + timedelta(seconds=idle_seconds))

    def evolve(self, **changes: object) -> Session:
        return replace(self, **changes)  # type: ignore[arg-type]
