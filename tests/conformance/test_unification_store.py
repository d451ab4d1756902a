"""The unification store behaves the same as a fake and on DynamoDB: archive as it came, state
transitions and notification claims as conditional writes, paging."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from gatehouse.domain.archive import ArchivedRecord

from tests.conformance.conftest import build
from tests.support.race import race

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(impl, request):
    return build("Unification", impl, request)


def _uid() -> str:
    return uuid.uuid4().hex[:10]


def _planned(wave: str, n: int) -> list[dict]:
    return [{"unified_key": f"k-{wave}-{i:03d}", "wave": wave, "email": f"{wave}-{i}@example.com",
             "changes": {"password": "unchanged", "mfa": "erased"}, "members": {"scaleway": [], "dedibox": [f"d{i}"]}}
            for i in range(n)]


def test_archive_keeps_records_as_they_came_and_tells_new_same_and_conflict(store) -> None:
    uid = _uid()
    raw = '{"console": "dedibox",  "legacy_id": "' + uid + '", "note": "spacing kept"}'
    assert store.archive([ArchivedRecord("dedibox", uid, raw)]) == ["new"]
    assert store.archive([ArchivedRecord("dedibox", uid, raw)]) == ["same"]
    assert store.archive([ArchivedRecord("dedibox", uid, raw + " ")]) == ["conflict"]
    assert store.get_archived([("dedibox", uid)])[("dedibox", uid)].raw == raw
    assert any(r.legacy_id == uid and r.raw == raw for r in store.iter_archive())


def test_planning_twice_creates_each_account_once_and_never_moves_it_back(store) -> None:
    wave = f"w{_uid()}"
    items = _planned(wave, 3)
    assert store.plan_accounts(items) == 3
    store.transition([items[0]["unified_key"]], "scheduled", "notified", NOW)
    assert store.plan_accounts(items) == 0
    assert store.count(wave, "scheduled") == 2 and store.count(wave, "notified") == 1
    assert store.find_by_email(items[0]["email"].upper())["state"] == "notified"


def test_pages_cover_every_account_once(store) -> None:
    wave = f"w{_uid()}"
    store.plan_accounts(_planned(wave, 7))
    seen, cursor = [], None
    while True:
        page, cursor = store.page(wave, "scheduled", 3, cursor)
        seen += [i["unified_key"] for i in page]
        if cursor is None:
            break
    assert sorted(seen) == sorted(i["unified_key"] for i in _planned(wave, 7))


def test_batches_are_full_and_cover_every_account_once_while_they_move_on(store) -> None:
    from gatehouse.flows.waves import batches

    wave = f"w{_uid()}"
    store.plan_accounts(_planned(wave, 75))
    sizes, seen = [], []
    for batch in batches(store, wave, "scheduled", batch_size=10, page_size=4):
        sizes.append(len(batch))
        keys = [i.unified_key for i in batch]
        seen += keys
        assert store.transition(keys, "scheduled", "notified", NOW) == keys  # as the notifier does
    assert sizes == [10] * 7 + [5]
    assert sorted(seen) == sorted(i["unified_key"] for i in _planned(wave, 75))
    assert (store.count(wave, "scheduled"), store.count(wave, "notified")) == (0, 75)


def test_a_transition_happens_only_from_the_expected_state(store) -> None:
    wave = f"w{_uid()}"
    keys = [i["unified_key"] for i in _planned(wave, 3)]
    store.plan_accounts(_planned(wave, 3))
    assert store.transition(keys[:1], "scheduled", "notified", NOW) == keys[:1]
    assert store.transition(keys, "scheduled", "notified", NOW) == keys[1:]
    assert store.transition(keys, "scheduled", "notified", NOW) == []
    assert store.get_states(keys[:1])[keys[0]]["notified_at"]


def test_told_accounts_stay_completed_and_counted_but_leave_the_completed_pages(store) -> None:
    wave = f"w{_uid()}"
    items = _planned(wave, 4)
    keys = [i["unified_key"] for i in items]
    store.plan_accounts(items)
    store.transition(keys, "scheduled", "notified", NOW)
    store.transition(keys[:3], "notified", "completed", NOW)
    assert store.mark_told(keys[:2] + keys[3:], NOW) == keys[:2]  # the notified one is not completed
    assert store.mark_told(keys[:1], NOW) == keys[:1]  # telling twice is harmless
    assert [i["unified_key"] for i in store.page(wave, "completed", 10)[0]] == [keys[2]]
    assert store.count(wave, "completed") == 3 and store.count(wave, "completed", untold=True) == 1
    assert store.get_states(keys[:1])[keys[0]]["state"] == "completed"
    assert store.find_by_email(items[0]["email"])["state"] == "completed"


def test_a_batch_claim_wins_exactly_the_accounts_nobody_claimed_yet(store) -> None:
    keys = [f"c{_uid()}-{i}" for i in range(20)]
    assert store.claim(keys[:5], "announce", NOW, 60) == keys[:5]
    # One transaction on DynamoDB: the five lost conditions must not sink the fifteen others.
    assert store.claim(keys, "announce", NOW, 60) == keys[5:]


def test_of_racing_claims_only_one_wins_each_account(impl, request) -> None:
    if impl == "dynamodb":
        from gatehouse.adapters.dynamodb import DynamoUnification

        # moto's in-process transactions are not thread-safe; single conditional writes are the
        # same condition, raced for real.
        store = DynamoUnification(request.getfixturevalue("moto_table"), transaction_size=1)
    else:
        store = build("Unification", impl, request)
    keys = [f"c{_uid()}-{i}" for i in range(20)]
    won: list[list[str]] = []
    errors: list[BaseException] = []

    def claim() -> None:
        try:
            won.append(store.claim(keys, "announce", NOW, 60))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(won) == 4
    assert sorted(k for w in won for k in w) == sorted(keys)


def test_of_imports_racing_with_two_versions_of_a_record_one_wins_and_the_other_is_told(impl, request) -> None:
    if impl == "dynamodb":
        from gatehouse.adapters.dynamodb import DynamoUnification

        store = DynamoUnification(request.getfixturevalue("moto_table"), transaction_size=1)  # see above
    else:
        store = build("Unification", impl, request)
    legacy_ids = [f"race-{_uid()}" for _ in range(10)]
    outcomes = race(lambda n: store.archive([ArchivedRecord("dedibox", i, f'{{"v": "{"ab"[n]}"}}')
                                             for i in legacy_ids]), 2)
    assert len(outcomes) == 2
    for first, second in zip(*outcomes, strict=True):
        assert sorted((first, second)) == ["conflict", "new"]


def test_a_claim_whose_sender_crashed_can_be_taken_again_after_its_lease_but_a_sent_one_never(store) -> None:
    crashed, sent = f"c{_uid()}", f"c{_uid()}"
    assert store.claim([crashed, sent], "complete", NOW, 60) == [crashed, sent]
    store.mark_sent([sent], "complete", NOW)
    assert store.claim([crashed, sent], "complete", NOW + timedelta(seconds=30), 60) == []
    later = NOW + timedelta(seconds=61)
    assert store.claim([crashed, sent], "complete", later, 60) == [crashed]
    assert store.sent([crashed, sent], "complete") == {sent}


def test_waves_are_listed_with_their_time(store) -> None:
    wave = f"w{_uid()}"
    store.put_wave(wave, NOW)
    assert (wave, NOW) in store.waves()
