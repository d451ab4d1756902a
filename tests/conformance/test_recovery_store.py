"""The recovery flow store behaves the same as a fake and on DynamoDB (moto): expiry as absence,
one conditional write per wrong code and per completion, and failures that survive a resend."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from gatehouse.ports import RecoveryFlow

from tests.conformance.conftest import build
from tests.support.race import race

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def flows(impl, request):
    return build("RecoveryFlows", impl, request)


def _flow(subject: str | None = None, *, digest: str | None = "d1", minutes: int = 10,
          account_id: str | None = "acc_1") -> RecoveryFlow:
    return RecoveryFlow(id=f"rec_{uuid.uuid4().hex}", strategy="sms", subject=subject or uuid.uuid4().hex,
                        expires_at=NOW + timedelta(minutes=minutes), account_id=account_id, code_digest=digest)


def test_a_created_flow_reads_back_until_it_expires(flows) -> None:
    flow = _flow(account_id=None)
    flows.create(flow)
    assert flows.get(flow.id, NOW) == flow
    assert flows.get(flow.id, NOW + timedelta(minutes=10)) is None
    assert flows.get("rec_missing", NOW) is None


def test_wrong_codes_count_up_to_the_maximum_and_no_further(flows) -> None:
    flow = _flow()
    flows.create(flow)
    assert [flows.record_failure(flow.id, NOW) for _ in range(6)] == [1, 2, 3, 4, 5, None]
    assert flows.get(flow.id, NOW).exhausted
    assert flows.complete(flow.id, "d1", NOW) is None


def test_failures_are_not_counted_on_an_expired_or_missing_flow(flows) -> None:
    flow = _flow()
    flows.create(flow)
    assert flows.record_failure(flow.id, NOW + timedelta(minutes=11)) is None
    assert flows.record_failure("rec_missing", NOW) is None


def test_completion_needs_the_right_digest_and_a_live_flow_and_happens_once(flows) -> None:
    flow = _flow()
    flows.create(flow)
    assert flows.complete(flow.id, "other", NOW) is None
    assert flows.complete(flow.id, "d1", NOW + timedelta(minutes=10)) is None  # expired, still in the table
    assert flows.complete(flow.id, "d1", NOW).id == flow.id
    assert flows.complete(flow.id, "d1", NOW) is None


def test_a_flow_without_a_code_never_completes(flows) -> None:
    flow = _flow(digest=None)
    flows.create(flow)
    assert flows.complete(flow.id, "", NOW) is None


def test_replacing_carries_the_failures_and_ends_the_previous_flow(flows) -> None:
    first = _flow()
    assert flows.replace(first, None, NOW) == first
    assert flows.latest_id("sms", first.subject) == first.id
    flows.record_failure(first.id, NOW)
    flows.record_failure(first.id, NOW)
    second = _flow(first.subject, digest="d2")
    stored = flows.replace(second, first.id, NOW)
    assert stored.failed_attempts == 2 and flows.get(second.id, NOW).failed_attempts == 2
    assert flows.get(first.id, NOW) is None
    assert flows.latest_id("sms", first.subject) == second.id


def test_an_expired_previous_flow_carries_nothing(flows) -> None:
    first = _flow()
    flows.replace(first, None, NOW)
    flows.record_failure(first.id, NOW)
    later = NOW + timedelta(minutes=11)
    second = RecoveryFlow(id=f"rec_{uuid.uuid4().hex}", strategy="sms", subject=first.subject,
                          expires_at=later + timedelta(minutes=10), account_id="acc_1", code_digest="d2")
    assert flows.replace(second, first.id, later).failed_attempts == 0


def test_replacing_a_stale_latest_loses(flows) -> None:
    first = _flow()
    flows.replace(first, None, NOW)
    assert flows.replace(_flow(first.subject), None, NOW) is None
    assert flows.replace(_flow(first.subject), "rec_someone_else", NOW) is None
    assert flows.latest_id("sms", first.subject) == first.id


def test_eight_racing_right_answers_have_one_winner(flows) -> None:
    flow = _flow()
    flows.create(flow)
    wins = [r for r in race(lambda _: flows.complete(flow.id, "d1", NOW)) if r]
    assert len(wins) == 1


def test_racing_wrong_codes_all_count_and_stop_at_the_maximum(flows) -> None:
    flow = _flow()
    flows.create(flow)
    counts = race(lambda _: flows.record_failure(flow.id, NOW))
    assert sorted(c for c in counts if c is not None) == [1, 2, 3, 4, 5]
    assert counts.count(None) == 3
