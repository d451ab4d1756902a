"""Enrolled second factors, as their strategies (TOTP, WebAuthn) keep them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Factor:
    """The secret side of an enrolled second factor, in its own item (Account.mfa_methods is only
    the public summary). `counter` only ever grows: a TOTP's last accepted time step, a WebAuthn
    credential's sign count; `data` holds the type's own fields (an encrypted seed, a public key)."""

    account_id: str
    id: str
    type: str
    created_at: datetime
    counter: int = 0
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Advance:
    """A second factor's counter to move (a TOTP's time step), not yet written."""

    account_id: str
    factor_id: str
    counter: int
