"""The one verification process behaves the same as a fake and on DynamoDB (moto): found by its
subject or by a flow id, a new one replaces the older and keeps its failures, an exhausted one is
not replaced, expiry is absence, and every failure and completion is one conditional write."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from gatehouse.domain.verification import Verification

from tests.conformance.conftest import build

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(impl, request):
    return build("Verifications", impl, request)


@pytest.fixture(params=["by subject", "by flow id"])
def by_id(request) -> bool:
    return request.param == "by flow id"


def _process(subject: str, *, by_id: bool, digest: str | None = "right", minutes: int = 10,
             max_failures: int = 3) -> Verification:
    return Verification(purpose="code", subject=subject, digest=digest, expires_at=NOW + timedelta(minutes=minutes),
                        max_failures=max_failures, data={"account_id": "acc_1"},
                        id=f"rec_{uuid.uuid4().hex}" if by_id else "")


def _race(n: int, attempt: Callable[[], object]) -> list[object]:
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(attempt())) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_a_started_process_reads_back_by_its_key_until_it_expires(store, by_id) -> None:
    v = store.start(_process(uuid.uuid4().hex, by_id=by_id), NOW)
    assert store.get("code", v.key, NOW) == v
    assert store.get("code", v.key, NOW + timedelta(minutes=10)) is None
    assert store.get("other", v.key, NOW) is None


def test_failures_count_up_to_the_maximum_and_no_further(store, by_id) -> None:
    v = store.start(_process(uuid.uuid4().hex, by_id=by_id), NOW)
    assert [getattr(store.fail("code", v.key, NOW), "failures", None) for _ in range(4)] == [1, 2, 3, None]
    assert store.get("code", v.key, NOW).exhausted
    assert store.complete("code", v.key, "right", NOW) is None


def test_completes_once_with_the_right_digest_only(store, by_id) -> None:
    v = store.start(_process(uuid.uuid4().hex, by_id=by_id), NOW)
    assert store.complete("code", v.key, "wrong", NOW) is None
    done = store.complete("code", v.key, "right", NOW)
    assert done is not None and done.data == {"account_id": "acc_1"}
    assert store.complete("code", v.key, "right", NOW) is None
    assert store.get("code", v.key, NOW) is None


def test_an_expired_process_can_neither_fail_nor_complete(store, by_id) -> None:
    v = store.start(_process(uuid.uuid4().hex, by_id=by_id), NOW)
    later = NOW + timedelta(minutes=11)
    assert store.fail("code", v.key, later) is None
    assert store.complete("code", v.key, "right", later) is None


def test_a_new_process_replaces_the_older_and_keeps_its_failures(store, by_id) -> None:
    subject = uuid.uuid4().hex
    first = store.start(_process(subject, by_id=by_id), NOW)
    store.fail("code", first.key, NOW)
    second = store.start(_process(subject, by_id=by_id, digest="newer"), NOW + timedelta(minutes=1))
    assert second.failures == 1
    assert store.get("code", second.key, NOW).failures == 1
    assert store.complete("code", second.key, "right", NOW) is None
    if by_id:
        assert store.get("code", first.key, NOW) is None
    assert store.complete("code", second.key, "newer", NOW) is not None


def test_an_expired_older_process_hands_down_no_failures(store, by_id) -> None:
    subject = uuid.uuid4().hex
    first = store.start(_process(subject, by_id=by_id), NOW)
    store.fail("code", first.key, NOW)
    later = NOW + timedelta(minutes=30)
    fresh = Verification(purpose="code", subject=subject, digest="newer", expires_at=later + timedelta(minutes=10),
                         max_failures=3, id=f"rec_{uuid.uuid4().hex}" if by_id else "")
    assert store.start(fresh, later).failures == 0
    assert store.get("code", fresh.key, later).failures == 0


def test_an_exhausted_process_is_not_replaced_until_it_expires(store, by_id) -> None:
    subject = uuid.uuid4().hex
    first = store.start(_process(subject, by_id=by_id), NOW)
    for _ in range(3):
        store.fail("code", first.key, NOW)
    assert store.start(_process(subject, by_id=by_id, digest="newer"), NOW) is None
    assert store.get("code", first.key, NOW).exhausted
    assert store.start(_process(subject, by_id=by_id, digest="newer"), NOW + timedelta(minutes=10)) is not None


def test_a_created_process_replaces_nothing_and_never_completes(store) -> None:
    v = Verification(purpose="code", subject="-", digest=None, expires_at=NOW + timedelta(minutes=10),
                     max_failures=3, id=f"rec_{uuid.uuid4().hex}")
    store.create(v)
    assert store.get("code", v.key, NOW) == v
    assert store.complete("code", v.key, "right", NOW) is None


def test_of_eight_racing_right_answers_exactly_one_completes(store, by_id) -> None:
    v = store.start(_process(uuid.uuid4().hex, by_id=by_id), NOW)
    wins = _race(8, lambda: store.complete("code", v.key, "right", NOW))
    assert sum(w is not None for w in wins) == 1


def test_racing_failures_all_count(store, by_id) -> None:
    v = store.start(_process(uuid.uuid4().hex, by_id=by_id, max_failures=100), NOW)
    _race(8, lambda: store.fail("code", v.key, NOW))
    assert store.get("code", v.key, NOW).failures == 8



def test_an_item_written_before_the_one_process_is_absent_and_does_not_block_a_new_code(request) -> None:
    # A sign-in code stored in the old shape (code_hash, failed_attempts, max_attempts) and still
    # live at deploy: never completed, and a new code for the same subject replaces it.
    from gatehouse.adapters import dynamodb

    table = request.getfixturevalue("moto_table")
    store = dynamodb.DynamoVerifications(table)
    subject = uuid.uuid4().hex
    table.put({"pk": f"VERIFY#code#{subject}", "sk": "V", "code_hash": "right", "failed_attempts": 5,
               "max_attempts": 5, "expires_at": int((NOW + timedelta(minutes=5)).timestamp()), "data": {}})
    assert store.get("code", subject, NOW) is None
    assert store.complete("code", subject, "right", NOW) is None
    started = store.start(_process(subject, by_id=False, digest="newer"), NOW)
    assert started is not None and started.failures == 0
    assert store.complete("code", subject, "newer", NOW) is not None


def test_a_link_is_its_subjects_process_a_newer_one_kills_it_and_of_eight_racing_uses_one_wins(store) -> None:
    # The reset email link (strategies.email_link): found by its subject, its secret's SHA-256 as
    # the digest, one write per link; a newer link's start overwrites the older's digest.
    from gatehouse.domain.secrets import digest

    subject = f"acc_{uuid.uuid4().hex}"

    def link(secret: str) -> Verification:
        return Verification(purpose="reset_email", subject=subject, digest=digest(secret),
                            expires_at=NOW + timedelta(minutes=30), max_failures=1, data={"account_id": subject})

    store.start(link("older"), NOW)
    store.start(link("newer"), NOW)
    assert store.get("reset_email", subject, NOW).digest == digest("newer")
    assert _race(8, lambda: store.complete("reset_email", subject, digest("older"), NOW)) == [None] * 8
    wins = _race(8, lambda: store.complete("reset_email", subject, digest("newer"), NOW))
    assert sum(w is not None for w in wins) == 1
    assert store.get("reset_email", subject, NOW) is None
