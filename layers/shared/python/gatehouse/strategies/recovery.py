"""The values the recovery flow and its strategies exchange: the key a person gives, what a
strategy is given to start a flow, and the claim it returns. Here, not in the flow, because a
strategy may not import a flow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from gatehouse.domain.accounts import Account, normalise_email
from gatehouse.errors import InvalidInputError

LOOKUP_KEYS = ("identifier", "email", "domain")
@dataclass(frozen=True)
class Lookup:
    """The one key a person remembers: an account id or legacy Dedibox identifier, an email, or a
    domain name linked to the account."""

    kind: str
    value: str

    @classmethod
    def parse(cls, allowed: Sequence[str] = LOOKUP_KEYS, **keys: str | None) -> Lookup:
        """The one key given among `allowed` (a request may accept fewer than all three)."""
        given = {k: v.strip() for k, v in keys.items() if k in allowed and v is not None and v.strip()}
        if len(given) != 1:
            message = f"Give exactly one of {', '.join(allowed[:-1])} or {allowed[-1]}."
            raise InvalidInputError({k: message for k in allowed}, message)
        kind, value = next(iter(given.items()))
        return cls(kind, value)

    @property
    def key(self) -> str:
        """The normalised value: what uniqueness claims are stored under."""
        if self.kind == "email":
            return normalise_email(self.value)
        if self.kind == "domain":
            return self.value.lower().rstrip(".")
        return self.value


@dataclass(frozen=True)
class Start:
    """What a strategy needs to start a flow. `account` is None for an unknown key."""

    flow_id: str
    subject: str
    account: Account | None
    lookup: Lookup
    now: datetime


@dataclass(frozen=True)
class Claim:
    """A secret that checked out but is not consumed yet: the policy runs in between, so a weak
    password does not burn the link or the code."""

    account_id: str
    ref: str
    digest: str = ""
