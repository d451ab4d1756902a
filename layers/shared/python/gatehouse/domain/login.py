"""What a login strategy tells the login flow (Kratos' strategies): who the answer claims to be and
which failure budget it spends, then what it proved. The flow does the rest once: throttling, the
hash upgrade, proving the mailbox, starting the session, and the result's shape."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from gatehouse.domain.accounts import Account
from gatehouse.domain.throttling import FailureRecord


@dataclass(frozen=True)
class Claimant:
    """Read before the answer is checked. `throttle_key` names the guess budget the attempt spends
    (an email, so every way in with a password shares one); None when the strategy's own one-time
    state counts failures (a code, a passkey's challenge). `account` is what the strategy had to
    read to name that budget, if anything."""

    throttle_key: str | None = None
    account: Account | None = None
    # A strategy that can read the throttle's counters with its own lookup, in one round trip, says
    # so here; the flow calls it with the counter keys and passes what it read back in `read`.
    prefetch: Callable[[Sequence[str], datetime], LoginRead] | None = None
    read: LoginRead | None = None


@dataclass(frozen=True)
class FirstFactor:
    """A proven first factor. `method` is recorded in the session; `aal` 2 when the factor was itself
    multi-factor (a passkey with user verification); `password`, when one checked out, lets the
    flow upgrade its hash; `proves_email` when the answer came through the mailbox; `console` and
    `context` pin the session to one console context; `refusal`, raised once the success is
    counted, when the factor is right but may not sign in this way."""

    account: Account
    method: str
    aal: int = 1
    password: str | None = None
    proves_email: bool = False
    console: str | None = None
    context: str | None = None
    refusal: Exception | None = None


@dataclass(frozen=True)
class LoginRead:
    """What a password login reads in one round trip: the account as its email's login projection
    (enough to check the password and start the session, never saved), and the throttle counters
    the attempt spends, by key."""

    account: Account | None
    failures: Mapping[str, FailureRecord]
