"""Throttling of guesses (login, codes) and of messages (resets, sign-ups), shared by the flows.

Keys are digests of the normalised email, never the account id, so an unknown email is throttled
exactly like a known one and the 429 tells an attacker nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gatehouse.domain.accounts import normalise_email
from gatehouse.domain.secrets import digest
from gatehouse.domain.throttling import FailureRecord, retry_after
from gatehouse.errors import RateLimitedError
from gatehouse.ports import Clock, ThrottleStore
from gatehouse.settings import Settings

_DAY = 24 * 60 * 60


class GuessThrottle:
    """Exponential back-off per account, a loose fixed window per source IP."""

    def __init__(self, store: ThrottleStore, clock: Clock, settings: Settings, scope: str = "login") -> None:
        self._store, self._clock, self._s, self._scope = store, clock, settings, scope

    def _account_key(self, email: str) -> str:
        return f"{self._scope}:email:{digest(normalise_email(email))}"

    def _ip_key(self, ip: str) -> str:
        return f"{self._scope}:ip:{ip}"

    def counter_keys(self, email: str, ip: str) -> tuple[str, str]:
        """The store keys `check` reads, for a caller that reads them with its own lookup."""
        return self._ip_key(ip), self._account_key(email)

    def check(self, email: str, ip: str, known: Mapping[str, FailureRecord] | None = None) -> int:
        """Raise RateLimitedError before any password is even looked at; else the failures so far.
        `known`: the counters of `counter_keys` as the caller already read them."""
        now = self._clock.now()
        ip_key, account_key = self.counter_keys(email, ip)
        ip_record = known[ip_key] if known and ip_key in known else self._store.failures(ip_key, now)
        if ip_record.count >= self._s.ip_failures_per_window:
            raise RateLimitedError(self._s.ip_window_seconds)
        record = known[account_key] if known and account_key in known else self._store.failures(account_key, now)
        if record.count >= self._s.login_failures_before_reset:
            raise RateLimitedError(_DAY, "Too many failed attempts: reset your password to sign in again.")
        wait = retry_after(record, now, self._s.login_failures_before_backoff, self._s.login_backoff_max_seconds)
        if wait:
            raise RateLimitedError(wait)
        return record.count

    def failed(self, email: str, ip: str) -> None:
        # Both counters in one write: a wrong password costs a known and an unknown email the same.
        self._store.record_failures([(self._account_key(email), _DAY), (self._ip_key(ip), self._s.ip_window_seconds)],
                                    self._clock.now())

    def succeeded(self, email: str, failures_so_far: int) -> None:
        if failures_so_far:  # most logins have none: no write for them
            self._store.clear(self._account_key(email))

    def clear_keys(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._store.clear(key)

    def reset(self, email: str) -> None:
        """After a password reset the account starts again with a clean slate."""
        self._store.clear(self._account_key(email))


class SecondFactorThrottle:
    """Second-factor guesses: an exponential back-off per account id (capped at
    `mfa_backoff_max_seconds`) and the same loose window per source IP as logins. Never a lock:
    whoever gets this far knows the password, and a rule that ended in "reset your password" would
    let them keep the owner out of their own account for a day."""

    def __init__(self, store: ThrottleStore, clock: Clock, settings: Settings) -> None:
        self._store, self._clock, self._s = store, clock, settings

    @staticmethod
    def _account_key(account_id: str) -> str:
        return f"mfa:account:{account_id}"

    @staticmethod
    def _ip_key(ip: str) -> str:
        return f"mfa:ip:{ip}"

    def counter_keys(self, account_id: str, ip: str) -> tuple[str, str]:
        """The store keys `check` reads, for a caller that reads them with its own lookup."""
        return self._ip_key(ip), self._account_key(account_id)

    def check(self, account_id: str, ip: str, *, backoff: bool = True,
              known: Mapping[str, FailureRecord] | None = None) -> int:
        """Raise RateLimitedError while the source IP is over its window or, with `backoff`, while the
        account waits out its back-off; else the account's failures so far. `known`: the counters
        of `counter_keys` as the caller already read them."""
        now = self._clock.now()
        both = known or self._store.failures_many([self._ip_key(ip), self._account_key(account_id)], now)
        if both[self._ip_key(ip)].count >= self._s.ip_failures_per_window:
            raise RateLimitedError(self._s.ip_window_seconds)
        record = both[self._account_key(account_id)]
        if backoff:
            wait = retry_after(record, now, self._s.login_failures_before_backoff, self._s.mfa_backoff_max_seconds)
            if wait:
                raise RateLimitedError(wait)
        return record.count

    def failed(self, account_id: str, ip: str) -> None:
        self._store.record_failures([(self._account_key(account_id), _DAY),
                                     (self._ip_key(ip), self._s.ip_window_seconds)], self._clock.now())

    def succeeded(self, account_id: str, failures_so_far: int) -> None:
        if failures_so_far:
            self._store.clear(self._account_key(account_id))


class MessageThrottle:
    """At most `limit` messages per key per window; callers stay silent when it says no."""

    def __init__(self, store: ThrottleStore, clock: Clock, limit: int = 5, window_seconds: int = 3600) -> None:
        self._store, self._clock, self._limit, self._window = store, clock, limit, window_seconds

    def allow(self, key: str) -> bool:
        return self._store.hit(f"msg:{key}", self._clock.now(), self._window) <= self._limit


def allow_all(*checks: tuple[MessageThrottle, str]) -> bool:
    """`throttle.allow(key) and ...` for each check, in that order, counted in one write while every
    one is within its limit (the common case); otherwise one by one, exactly as `allow` would."""
    if checks and all(t._store is checks[0][0]._store and t._clock is checks[0][0]._clock for t, _ in checks):
        entries = [(f"msg:{key}", t._window, t._limit) for t, key in checks]
        if checks[0][0]._store.hit_all(entries, checks[0][0]._clock.now()):
            return True
    return all(t.allow(key) for t, key in checks)
