"""Where one planned unified account stands: what the state store keeps of its plan (enough for
the emails, GET /unification and rebuilding the group from the archive, never a hash or a seed)
and the state it moved to, `scheduled -> notified -> completed` (then told of it).

The store ports still exchange these as mappings; `to_mapping` and `from_mapping` are the one
translation, and `flows.waves` the one place on the flow side that calls them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gatehouse.domain.times import iso, parse_iso


@dataclass(frozen=True)
class Members:
    """The legacy ids the unified account is made of: its group, read back from the archive."""

    scaleway: tuple[str, ...] = ()
    dedibox: tuple[str, ...] = ()


@dataclass(frozen=True)
class Changes:
    """What changes for the user (the plan's `PasswordChange` and `MfaChange` values)."""

    password: str = "unchanged"
    mfa: str = "unchanged"


@dataclass(frozen=True)
class UnifiedState:
    unified_key: str
    wave: str
    email: str  # the group's (normalised) email, the key `find_by_email` looks up
    # The address the unified account gets and the emails go to, as the kept record spells it.
    account_email: str
    members: Members
    changes: Changes = field(default_factory=Changes)
    locale: str = "en"
    case: str | None = None
    required_actions: tuple[str, ...] = ()
    legacy_access: bool = False
    scheduled_at: datetime | None = None
    # Written by the store's transitions, never by a plan.
    state: str = "scheduled"
    notified_at: datetime | None = None
    completed_at: datetime | None = None
    told_at: datetime | None = None

    def to_mapping(self) -> dict[str, Any]:
        """The item's fields as stored (the times the store writes only once set)."""
        item: dict[str, Any] = {
            "unified_key": self.unified_key, "wave": self.wave, "email": self.email,
            "account_email": self.account_email, "locale": self.locale, "case": self.case,
            "changes": {"password": self.changes.password, "mfa": self.changes.mfa},
            "required_actions": list(self.required_actions), "legacy_access": self.legacy_access,
            "members": {"scaleway": list(self.members.scaleway), "dedibox": list(self.members.dedibox)},
            # Plain isoformat, as scheduling has always written it (the transitions' times are RFC 3339).
            "scheduled_at": self.scheduled_at.isoformat() if self.scheduled_at is not None else None,
            "state": self.state,
        }
        for name in ("notified_at", "completed_at", "told_at"):
            value = getattr(self, name)
            if value is not None:
                item[name] = iso(value)
        return item

    @classmethod
    def from_mapping(cls, item: Mapping[str, Any]) -> UnifiedState:
        """Any stored item, those written before a field existed included (a missing field takes its
        default); the store's own keys are ignored."""
        members = item.get("members") or {}
        changes = item.get("changes") or {}
        scheduled_at = item.get("scheduled_at")
        return cls(
            unified_key=str(item["unified_key"]), wave=str(item["wave"]), email=str(item["email"]),
            account_email=str(item.get("account_email") or item["email"]),
            members=Members(tuple(members.get("scaleway") or ()), tuple(members.get("dedibox") or ())),
            changes=Changes(str(changes.get("password", "unchanged")), str(changes.get("mfa", "unchanged"))),
            locale=item.get("locale") or "en",
            case=item.get("case"), required_actions=tuple(item.get("required_actions") or ()),
            legacy_access=bool(item.get("legacy_access")),
            scheduled_at=datetime.fromisoformat(scheduled_at) if scheduled_at else None,
            state=str(item.get("state") or "scheduled"),
            notified_at=parse_iso(item.get("notified_at")), completed_at=parse_iso(item.get("completed_at")),
            told_at=parse_iso(item.get("told_at")),
        )
