"""An owner's organization: members (the whole account) and outsourcing grants (some actions on
chosen resources). Who may do what with them is `authorization`; they are stored by the
`OrganizationStore` port, from both sides (the owner's and the person's email)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Member:
    """Someone, by email, with access to the whole of an owner's account."""

    id: str
    owner_id: str
    email: str  # normalised
    role: str  # admin | member
    created_at: datetime


@dataclass(frozen=True)
class Grant:
    """Outsourcing: someone, by email, allowed some actions on chosen resources of an owner's account."""

    id: str
    owner_id: str
    grantee_email: str  # normalised
    resources: tuple[str, ...]
    permissions: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None = None
