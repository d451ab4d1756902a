"""In-memory fake: sessions."""

from __future__ import annotations

import threading
from datetime import datetime

from gatehouse.domain.sessions import Session
from gatehouse.errors import ConditionFailedError


class MemorySessions:
    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def add(self, session: Session, replacing: str | None = None) -> None:
        with self._lock:
            if session.token_hash in self._sessions:
                raise ConditionFailedError()
            self._sessions[session.token_hash] = session
            if replacing and replacing != session.token_hash:
                self._sessions.pop(replacing, None)

    def save(self, session: Session) -> None:
        with self._lock:
            if session.token_hash not in self._sessions:
                raise ConditionFailedError()
            self._sessions[session.token_hash] = session

    def get(self, token_hash: str, now: datetime) -> Session | None:
        session = self._sessions.get(token_hash)
        return session if session and session.is_live(now) else None

    def mark_valid_from(self, token_hash: str, at: datetime) -> None:
        with self._lock:
            if token_hash in self._sessions:
                self._sessions[token_hash] = self._sessions[token_hash].evolve(valid_from=at)

    def delete(self, token_hash: str) -> None:
        self._sessions.pop(token_hash, None)

    def list_for_account(self, account_id: str, now: datetime) -> list[Session]:
        found = [s for s in self._sessions.values() if s.account_id == account_id and s.is_live(now)]
        return sorted(found, key=lambda s: s.created_at)

    def delete_for_account(self, account_id: str, keep: str | None = None) -> int:
        with self._lock:
            doomed = [h for h, s in self._sessions.items() if s.account_id == account_id and h != keep]
            for h in doomed:
                del self._sessions[h]
            return len(doomed)
