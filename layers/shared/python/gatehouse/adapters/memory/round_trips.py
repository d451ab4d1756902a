"""In-memory fakes: the round-trip ports (what several ports need together), over the other fakes."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from gatehouse.adapters import codec
from gatehouse.adapters.memory.accounts import MemoryAccounts
from gatehouse.adapters.memory.mfa import MemoryMfa
from gatehouse.adapters.memory.one_time import MemoryOneTime
from gatehouse.adapters.memory.sessions import MemorySessions
from gatehouse.adapters.memory.throttle import MemoryThrottle
from gatehouse.domain.accounts import Account
from gatehouse.domain.factors import Advance, Factor
from gatehouse.domain.login import LoginRead
from gatehouse.domain.one_time import OneTimeItem
from gatehouse.domain.sessions import Session
from gatehouse.domain.throttling import FailureRecord

_LOCK = threading.Lock()


class MemoryLoginRoundTrips:
    def __init__(self, accounts: MemoryAccounts, sessions: MemorySessions, throttle: MemoryThrottle) -> None:
        self._accounts, self._sessions, self._throttle = accounts, sessions, throttle

    def login(self, email: str, counters: Sequence[str], now: datetime) -> LoginRead:
        account = self._accounts.get_by_email(email)
        # What the DynamoDB claim item carries, no more: a flow that needs more must read the account.
        projected = codec.account_from_dict(codec.login_projection(account)) if account else None
        return LoginRead(account=projected, failures={k: self._throttle.failures(k, now) for k in counters})

    def start_session(self, session: Session, replacing: str | None, cleared: Sequence[str]) -> None:
        with _LOCK:
            self._sessions.add(session, replacing=replacing)
            for key in cleared:
                self._throttle.clear(key)


class MemorySessionRoundTrips:
    def __init__(self, accounts: MemoryAccounts, sessions: MemorySessions) -> None:
        self._accounts, self._sessions = accounts, sessions

    def session(self, token_hash: str, account_id: str, now: datetime) -> tuple[Session | None, Account | None]:
        return self._sessions.get(token_hash, now), self._accounts.get(account_id)


class MemoryConsoleRoundTrips:
    def __init__(self, sessions: MemorySessions, once: MemoryOneTime) -> None:
        self._sessions, self._once = sessions, once

    def put_with_session(self, item: OneTimeItem, session: Session) -> None:
        with _LOCK:
            self._sessions.save(session)  # ConditionFailedError before the item is stored
            self._once.put(item)


class MemorySecondFactorRoundTrips:
    def __init__(self, mfa: MemoryMfa, sessions: MemorySessions, throttle: MemoryThrottle) -> None:
        self._mfa, self._sessions, self._throttle = mfa, sessions, throttle

    def read(self, account_id: str, factor_ids: Sequence[str], counters: Sequence[str], now: datetime
             ) -> tuple[list[Factor], dict[str, FailureRecord]]:
        factors = [f for f in (self._mfa.get(account_id, i) for i in factor_ids) if f is not None]
        return factors, {k: self._throttle.failures(k, now) for k in counters}

    def advance_and_elevate(self, advance: Advance, session: Session, replacing: str) -> bool:
        with _LOCK:
            if not self._mfa.advance(advance.account_id, advance.factor_id, advance.counter):
                return False
            self._sessions.add(session, replacing=replacing)
            return True
