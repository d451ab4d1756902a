"""In-memory fake: organizations."""

from __future__ import annotations

import threading

from gatehouse.domain.organization import Grant, Member
from gatehouse.errors import ConditionFailedError


class MemoryOrganizations:
    def __init__(self) -> None:
        self._members: dict[tuple[str, str], Member] = {}
        self._grants: dict[tuple[str, str], Grant] = {}
        self._lock = threading.Lock()

    def add_member(self, member: Member) -> None:
        with self._lock:
            if any(m.owner_id == member.owner_id and m.email == member.email for m in self._members.values()):
                raise ConditionFailedError()
            self._members[(member.owner_id, member.id)] = member

    def members(self, owner_id: str) -> list[Member]:
        return sorted((m for m in self._members.values() if m.owner_id == owner_id), key=lambda m: (m.created_at, m.id))

    def remove_member(self, owner_id: str, member_id: str) -> bool:
        with self._lock:
            return self._members.pop((owner_id, member_id), None) is not None

    def memberships(self, email: str) -> list[Member]:
        return sorted((m for m in self._members.values() if m.email == email), key=lambda m: (m.owner_id, m.id))

    def add_grant(self, grant: Grant) -> None:
        with self._lock:
            self._grants[(grant.owner_id, grant.id)] = grant

    def grants(self, owner_id: str) -> list[Grant]:
        return sorted((g for g in self._grants.values() if g.owner_id == owner_id), key=lambda g: (g.created_at, g.id))

    def remove_grant(self, owner_id: str, grant_id: str) -> bool:
        with self._lock:
            return self._grants.pop((owner_id, grant_id), None) is not None

    def grants_to(self, email: str) -> list[Grant]:
        return sorted((g for g in self._grants.values() if g.grantee_email == email), key=lambda g: (g.owner_id, g.id))
