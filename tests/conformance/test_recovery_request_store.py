"""The recovery request store behaves the same as a fake and on DynamoDB: pending requests come
oldest first, a decision is one conditional write that only one of two agents wins, a hold's end
is one transition that only one of the scheduled run and a cancel wins, due requests are listed by
when they are due, and every download is kept."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from gatehouse.domain.recovery_requests import RecoveryRequest

from tests.conformance.conftest import build
from tests.support.race import race

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(impl, request):
    return build("RecoveryRequests", impl, request)


def _request(n: int, account_id: str | None = "acc_1") -> RecoveryRequest:
    rid = f"rrq_{uuid.uuid4().hex[:12]}"
    return RecoveryRequest(id=rid, lookup_kind="domain", lookup_value="example.fr",
                           account_id=account_id, new_email="new@example.com", postal_address="1 rue de Paris",
                           phone="+33612345678", created_at=NOW - timedelta(days=3650) + timedelta(minutes=n),
                           documents={"identity_1": f"recovery-requests/{rid}/identity_1-x",
                                      "last_bill": f"recovery-requests/{rid}/last_bill-y"})


def test_a_request_is_kept_as_given_and_pending_ones_come_oldest_first(store) -> None:
    later, earlier, unmatched = _request(2), _request(1), _request(3, account_id=None)
    for r in (later, earlier, unmatched):
        store.add(r)
    assert store.get(unmatched.id) == unmatched and store.get("rrq_nope") is None
    mine = [r for r in store.pending(limit=1000) if r.id in {later.id, earlier.id, unmatched.id}]
    assert mine == [earlier, later, unmatched]


def test_a_decision_is_taken_once_and_leaves_the_queue(store) -> None:
    r = _request(0)
    store.add(r)
    hold = NOW + timedelta(days=3)
    assert store.decide(r.id, "approved", "acc_agent", "documents match", NOW, due_at=hold) is True
    assert store.decide(r.id, "rejected", "acc_other", "too late", NOW) is False
    decided = store.get(r.id)
    assert (decided.status, decided.decided_by, decided.note, decided.decided_at, decided.effective_at,
            decided.due_at, decided.documents) == ("approved", "acc_agent", "documents match", NOW, hold, hold,
                                                   r.documents)
    assert r.id not in {p.id for p in store.pending(limit=1000)}
    assert store.decide(r.id, "pending", "acc_agent", "reopened", NOW, from_status="approved") is True
    assert r.id in {p.id for p in store.pending(limit=1000)}


def test_of_two_agents_deciding_at_once_one_wins(impl, request) -> None:
    store = build("RecoveryRequests", impl, request)
    r = _request(0)
    store.add(r)
    results = race(lambda n: store.decide(r.id, "approved" if n % 2 else "rejected", f"acc_{n}", "", NOW))
    assert sorted(results) == [False] * 7 + [True]


def _mine(found: list[RecoveryRequest], *requests: RecoveryRequest) -> list[str]:
    ids = {r.id for r in requests}
    return [r.id for r in found if r.id in ids]


def test_due_requests_come_once_due_most_overdue_first_and_leave_once_their_documents_are_deleted(store) -> None:
    # Far in the future, so that other tests' requests on the shared table are never due before these.
    base = NOW + timedelta(days=20000)
    soon, later, rejected = _request(0), _request(1), _request(2)
    for r in (soon, later, rejected):
        store.add(r)
    store.decide(later.id, "approved", "acc_agent", "", base, due_at=base + timedelta(hours=72, microseconds=1))
    store.decide(soon.id, "approved", "acc_agent", "", base, due_at=base + timedelta(hours=72))
    store.decide(rejected.id, "rejected", "acc_agent", "", base, due_at=base + timedelta(days=30))
    assert _mine(store.due("approved", base + timedelta(hours=71), limit=1000), soon, later) == []
    assert _mine(store.due("approved", base + timedelta(hours=72), limit=1000), soon, later) == [soon.id]
    assert _mine(store.due("approved", base + timedelta(hours=73), limit=1000), soon, later) == [soon.id, later.id]
    assert store.move(soon.id, "approved", "applied", base + timedelta(days=30)) is True
    assert store.move(soon.id, "approved", "cancelled", None) is False
    assert _mine(store.due("approved", base + timedelta(hours=73), limit=1000), soon, later) == [later.id]
    moved = store.get(soon.id)
    assert (moved.status, moved.decided_by, moved.effective_at) == ("applied", "acc_agent", base + timedelta(hours=72))
    at_purge = base + timedelta(days=30)
    assert _mine(store.due("applied", at_purge, limit=1000), soon) == [soon.id]
    assert _mine(store.due("rejected", at_purge, limit=1000), rejected) == [rejected.id]
    store.documents_deleted(soon.id, at_purge)
    assert _mine(store.due("applied", at_purge + timedelta(days=1), limit=1000), soon) == []
    assert store.get(soon.id).documents_deleted_at == at_purge


def test_a_request_sent_back_to_support_is_queued_at_its_place(store) -> None:
    first, second = _request(0), _request(1)
    for r in (first, second):
        store.add(r)
    store.decide(first.id, "approved", "acc_agent", "", NOW, due_at=NOW + timedelta(days=3))
    assert store.move(first.id, "approved", "pending", None) is True
    back = store.get(first.id)
    assert (back.status, back.due_at) == ("pending", None)
    assert _mine(store.pending(limit=1000), first, second) == [first.id, second.id]


def test_every_download_is_kept_with_who_and_when(store) -> None:
    r = _request(0)
    store.add(r)
    store.record_download(r.id, "identity_1", "acc_agent", NOW)
    store.record_download(r.id, "last_bill", "acc_other", NOW + timedelta(seconds=5))
    assert store.get(r.id).downloads == (
        {"document": "identity_1", "by": "acc_agent", "at": "2026-11-30T12:00:00Z"},
        {"document": "last_bill", "by": "acc_other", "at": "2026-11-30T12:00:05Z"})


def test_of_the_scheduled_run_and_a_cancel_one_wins(impl, request) -> None:
    store = build("RecoveryRequests", impl, request)
    r = _request(0)
    store.add(r)
    store.decide(r.id, "approved", "acc_agent", "", NOW, due_at=NOW)
    results = race(lambda n: store.move(r.id, "approved", "applied" if n % 2 else "cancelled", NOW))
    assert sorted(results) == [False] * 7 + [True]
