"""The recovery request store behaves the same as a fake and on DynamoDB: pending requests come
oldest first, and a decision is one conditional write that only one of two agents wins."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from gatehouse.ports import RecoveryRequest

from tests.conformance.conftest import build

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(impl, request):
    return build("RecoveryRequests", impl, request)


def _request(n: int, account_id: str | None = "acc_1") -> RecoveryRequest:
    return RecoveryRequest(id=f"rrq_{uuid.uuid4().hex[:12]}", lookup_kind="domain", lookup_value="example.fr",
                           account_id=account_id, new_email="new@example.com", postal_address="1 rue de Paris",
                           phone="+33612345678", created_at=NOW - timedelta(days=3650) + timedelta(minutes=n))


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
    assert store.decide(r.id, "approved", "acc_agent", "documents match", NOW) is True
    assert store.decide(r.id, "rejected", "acc_other", "too late", NOW) is False
    decided = store.get(r.id)
    assert (decided.status, decided.decided_by, decided.note, decided.decided_at) == (
        "approved", "acc_agent", "documents match", NOW)
    assert r.id not in {p.id for p in store.pending(limit=1000)}
    assert store.decide(r.id, "pending", "acc_agent", "reopened", NOW, from_status="approved") is True
    assert r.id in {p.id for p in store.pending(limit=1000)}


def test_of_two_agents_deciding_at_once_one_wins(impl, request) -> None:
    store = build("RecoveryRequests", impl, request)
    r = _request(0)
    store.add(r)
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def decide(n: int) -> None:
        barrier.wait()
        results.append(store.decide(r.id, "approved" if n % 2 else "rejected", f"acc_{n}", "", NOW))

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
