"""The session store behaves the same as a fake and on DynamoDB."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from gatehouse.domain.sessions import Session, SessionStatus
from gatehouse.errors import ConditionFailedError

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _session(account_id: str, *, minutes: int = 60) -> Session:
    return Session(id=f"ses_{uuid.uuid4().hex}", token_hash=uuid.uuid4().hex, account_id=account_id,
                   status=SessionStatus.AUTHENTICATED, aal=1, created_at=NOW, last_seen_at=NOW,
                   absolute_expires_at=NOW + timedelta(hours=24), idle_expires_at=NOW + timedelta(minutes=minutes))


def test_an_expired_session_still_in_the_table_is_absent(sessions) -> None:
    session = _session("acc_x", minutes=1)
    sessions.add(session)
    assert sessions.get(session.token_hash, NOW) == session
    assert sessions.get(session.token_hash, NOW + timedelta(minutes=2)) is None


def test_sessions_are_listed_and_ended_per_account_keeping_one(sessions) -> None:
    account_id = f"acc_{uuid.uuid4().hex}"
    kept, other = _session(account_id), _session(account_id)
    sessions.add(kept)
    sessions.add(other)
    assert {s.id for s in sessions.list_for_account(account_id, NOW)} == {kept.id, other.id}
    assert sessions.delete_for_account(account_id, keep=kept.token_hash) == 1
    assert [s.id for s in sessions.list_for_account(account_id, NOW)] == [kept.id]


def test_saving_a_deleted_session_fails(sessions) -> None:
    session = _session("acc_y")
    sessions.add(session)
    sessions.delete(session.token_hash)
    with pytest.raises(ConditionFailedError):
        sessions.save(session)
