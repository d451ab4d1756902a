"""Things used once: an email link, a console hand-off code, a WebAuthn or SSO challenge."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class OneTimeItem:
    """Anything used once: an email link, a hand-off code, a challenge. Stored under its digest."""

    kind: str
    key: str
    subject: str
    expires_at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)
