"""One-time codes by email: an explicit verification process (allauth's), persisted per change.

A process holds the code's digest (an HMAC under the server's code pepper, never a digest of
public values alone), its expiry and its failed attempts. Each attempt is one
conditional write: a wrong code counts one failure (refused once the process is exhausted or
expired), a right one consumes the process (so two racing right answers cannot both win).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from gatehouse.domain.secrets import code_message, new_numeric_code, same
from gatehouse.ports import Clock, CodePepper, Verification, VerificationStore


class CodeVerification:
    def __init__(self, store: VerificationStore, clock: Clock, pepper: CodePepper, *, kind: str, digits: int,
                 ttl_seconds: int, max_attempts: int) -> None:
        self._store, self._clock, self._pepper, self.kind = store, clock, pepper, kind
        self._digits, self._ttl, self._max = digits, ttl_seconds, max_attempts

    def _digest(self, subject: str, code: str) -> str:
        # 10^6 to 10^8 codes are guessable offline from anything the item holds: only the pepper,
        # which the table never holds unwrapped, makes the stored digest useless to a dump.
        return self._pepper.hmac(code_message(f"{self.kind}:{subject}", code))

    def start(self, subject: str, data: Mapping[str, Any]) -> str:
        """A new process for `subject` (killing any older one); returns the code to send."""
        code = new_numeric_code(self._digits)
        self._store.start(Verification(
            kind=self.kind, subject=subject, code_hash=self._digest(subject, code),
            expires_at=self._clock.now() + timedelta(seconds=self._ttl), max_attempts=self._max,
            data=dict(data),
        ))
        return code

    def check(self, subject: str, code: str) -> Verification | None:
        """The completed process when `code` is right; None otherwise (wrong, used, expired, dead)."""
        code = "".join(code.split())
        now = self._clock.now()
        current = self._store.get(self.kind, subject, now)
        if current is None:
            return None
        offered = self._digest(subject, code)
        if same(offered, current.code_hash):
            return self._store.complete(self.kind, subject, offered, now)
        self._store.fail(self.kind, subject, now)
        return None
