"""The accounts, sessions, one-time and throttle stores behave the same as fakes and on DynamoDB."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from gatehouse.domain.accounts import Account
from gatehouse.domain.sessions import Session, SessionStatus
from gatehouse.domain.throttling import FailureRecord
from gatehouse.errors import ConditionFailedError, ConflictError
from gatehouse.ports import OneTimeItem

from tests.conformance.conftest import build
from tests.support.race import race

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _account(email: str | None = None) -> Account:
    uid = uuid.uuid4().hex[:10]
    return Account(id=f"acc_{uid}", email=email or f"{uid}@Example.com", created_at=NOW, password_hash="h")


def _session(account_id: str, *, minutes: int = 60) -> Session:
    return Session(id=f"ses_{uuid.uuid4().hex}", token_hash=uuid.uuid4().hex, account_id=account_id,
                   status=SessionStatus.AUTHENTICATED, aal=1, created_at=NOW, last_seen_at=NOW,
                   absolute_expires_at=NOW + timedelta(hours=24), idle_expires_at=NOW + timedelta(minutes=minutes))


@pytest.fixture
def accounts(impl, request):
    return build("Accounts", impl, request)


@pytest.fixture
def sessions(impl, request):
    return build("Sessions", impl, request)


@pytest.fixture
def once(impl, request):
    return build("OneTime", impl, request)


@pytest.fixture
def throttle(impl, request):
    return build("Throttle", impl, request)


def test_account_is_found_by_id_and_by_email_whatever_its_case(accounts) -> None:
    account = _account()
    accounts.add(account)
    assert accounts.get(account.id) == account
    assert accounts.get_by_email(account.email.upper()).id == account.id


def test_an_accounts_contexts_keep_their_resources_through_add_and_save(accounts) -> None:
    from gatehouse.domain.accounts import ConsoleContext, Resource

    contexts = (ConsoleContext("dedibox", "dedibox-dbx-1", "jdoe", legacy_id="dbx-1", legacy_access=True,
                               resources=(Resource("srv-1", "server", "sd-1"), Resource("dom-1", "domain", ""))),
                ConsoleContext("scaleway", "scaleway-x", "Scaleway"))
    account = _account().evolve(contexts=contexts)
    accounts.add(account)
    assert accounts.get(account.id).contexts == contexts
    accounts.save(accounts.get(account.id).evolve(name="renamed"))
    assert accounts.get(account.id).contexts == contexts


def test_a_context_stored_before_contexts_had_resources_has_none() -> None:
    from gatehouse.adapters import codec

    stored = codec.account_to_dict(_account())
    stored["contexts"] = [{"console": "scaleway", "id": "scaleway-x", "name": "S", "legacy_id": None,
                           "legacy_access": False}]
    assert codec.account_from_dict(stored).contexts[0].resources == ()


def test_an_email_can_belong_to_one_account_only(accounts) -> None:
    first = _account()
    accounts.add(first)
    with pytest.raises(ConflictError):
        accounts.add(_account(first.email.lower()))


def test_an_alias_finds_its_account_and_cannot_be_claimed_twice(accounts) -> None:
    domain = f"{uuid.uuid4().hex[:8]}.example"
    account = _account()
    accounts.add(account, aliases={"domain": [domain]})
    assert accounts.find_by_alias("domain", domain.upper()).id == account.id
    with pytest.raises(ConflictError):
        accounts.add(_account(), aliases={"domain": [domain]})


def test_a_refused_account_leaves_nothing_behind(accounts) -> None:
    taken, fresh = f"{uuid.uuid4().hex[:8]}.example", f"{uuid.uuid4().hex[:8]}.example"
    accounts.add(_account(), aliases={"domain": [taken]})
    refused = _account()
    with pytest.raises(ConflictError):
        accounts.add(refused, aliases={"domain": [fresh, taken]})
    assert accounts.get(refused.id) is None
    assert accounts.find_by_alias("domain", fresh) is None
    accounts.add(_account(refused.email))  # its email was never claimed


def test_adding_many_accounts_keeps_each_all_or_nothing_and_independent(accounts) -> None:
    taken = f"{uuid.uuid4().hex[:8]}.example"
    accounts.add(_account(), aliases={"domain": [taken]})
    shared = f"{uuid.uuid4().hex[:8]}.example"
    entries = [(_account(), {"domain": [f"{uuid.uuid4().hex[:8]}.example"], "legacy": [uuid.uuid4().hex]})
               for _ in range(40)]  # 4 writes each: two transactions' worth
    entries[5] = (_account(), {"domain": [taken]})  # refused: the alias is taken
    entries[30] = (_account(), {"domain": [shared]})
    entries[31] = (_account(), {"domain": [shared]})  # the same alias twice in one batch: the first wins
    added = accounts.add_many(entries)
    assert added == [i not in (5, 31) for i in range(40)]
    for (account, aliases), ok in zip(entries, added, strict=True):
        assert (accounts.get(account.id) is not None) is ok
        assert (accounts.get_by_email(account.email) is not None) is ok
    assert accounts.find_by_alias("domain", shared).id == entries[30][0].id
    assert accounts.add_many([(entries[0][0], entries[0][1])]) == [False]  # a rerun adds nothing twice


def test_save_refuses_a_stale_version(accounts) -> None:
    account = _account()
    accounts.add(account)
    saved = accounts.save(account.evolve(name="first"))
    assert saved.version == account.version + 1
    with pytest.raises(ConditionFailedError):
        accounts.save(account.evolve(name="stale"))
    assert accounts.get(account.id).name == "first"


def test_changing_email_moves_its_claim(accounts) -> None:
    account = _account()
    accounts.add(account)
    new_email = f"{uuid.uuid4().hex[:8]}@example.org"
    accounts.save(account.evolve(email=new_email))
    assert accounts.get_by_email(new_email).id == account.id
    assert accounts.get_by_email(account.email) is None


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


def _item(kind: str = "t", subject: str = "s", seconds: int = 60, **data) -> OneTimeItem:
    return OneTimeItem(kind=kind, key=uuid.uuid4().hex, subject=subject,
                       expires_at=NOW + timedelta(seconds=seconds), data=data)


def test_a_one_time_item_is_consumed_once(once) -> None:
    item = _item(x="1")
    once.put(item)
    assert once.consume(item.kind, item.key, NOW).data == {"x": "1"}
    assert once.consume(item.kind, item.key, NOW) is None


def test_an_expired_one_time_item_cannot_be_consumed(once) -> None:
    item = _item(seconds=30)
    once.put(item)
    assert once.get(item.kind, item.key, NOW + timedelta(seconds=31)) is None
    assert once.consume(item.kind, item.key, NOW + timedelta(seconds=31)) is None


def test_a_bound_item_is_consumed_only_by_its_binding(once) -> None:
    item = _item(console="scaleway")
    once.put(item)
    assert once.consume(item.kind, item.key, NOW, bound_to={"console": "dedibox"}) is None
    assert once.consume(item.kind, item.key, NOW, bound_to={"console": "scaleway"}) is not None


def test_a_newer_item_kills_the_older_one_of_the_same_subject(once) -> None:
    subject = uuid.uuid4().hex
    older, newer = _item(subject=subject), _item(subject=subject)
    once.replace_latest(older)
    once.replace_latest(newer)
    assert once.get(older.kind, older.key, NOW) is None
    assert once.get(newer.kind, newer.key, NOW) is not None
    once.delete_for_subject(newer.kind, subject)
    assert once.get(newer.kind, newer.key, NOW) is None


def test_eight_racing_consumers_of_one_item_have_one_winner(once) -> None:
    item = _item()
    once.put(item)
    wins = [r for r in race(lambda _: once.consume(item.kind, item.key, NOW)) if r]
    assert len(wins) == 1


def test_failures_count_up_and_clear(throttle) -> None:
    key = uuid.uuid4().hex
    assert throttle.failures(key, NOW).count == 0
    throttle.record_failure(key, NOW, 3600)
    assert throttle.record_failure(key, NOW, 3600).count == 2
    assert throttle.failures(key, NOW).count == 2
    assert throttle.failures(key, NOW + timedelta(hours=2)).count == 0
    throttle.clear(key)
    assert throttle.failures(key, NOW).count == 0


def test_hits_count_within_a_window_and_restart_in_the_next(throttle) -> None:
    key = uuid.uuid4().hex
    start = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert [throttle.hit(key, start, 3600) for _ in range(3)] == [1, 2, 3]
    assert throttle.hit(key, start + timedelta(hours=1), 3600) == 1


def test_an_expired_failure_counter_restarts_at_one(throttle) -> None:
    key = uuid.uuid4().hex
    for _ in range(5):
        throttle.record_failure(key, NOW, 3600)
    later = NOW + timedelta(hours=1, seconds=1)  # expired, and still in the table: TTL deletes late
    assert throttle.failures(key, later).count == 0
    assert throttle.record_failure(key, later, 3600).count == 1
    assert throttle.failures(key, later) == FailureRecord(1, later)
    assert throttle.record_failure(key, later, 3600).count == 2


def test_failures_racing_after_expiry_all_count(throttle) -> None:
    later = NOW + timedelta(minutes=2)
    for round_ in range(5):  # a few rounds: the restarts do not meet every time
        key = uuid.uuid4().hex
        throttle.record_failure(key, NOW, 60)
        counts = [r.count for r in race(lambda _, key=key: throttle.record_failure(key, later, 60))]
        # One restart, and every racer counted on top of it.
        assert sorted(counts) == list(range(1, 9)), (round_, counts)
        assert throttle.failures(key, later).count == 8


def test_an_expired_message_counter_restarts_at_one(throttle) -> None:
    key = uuid.uuid4().hex
    # Keys name their window, so only a changed window length meets an expired item of the same key:
    # window 29,844,360 of a minute ended long before window 29,844,360 of two hours begins.
    minute = datetime.fromtimestamp(29_844_360 * 60, tz=UTC)
    assert [throttle.hit(key, minute, 60) for _ in range(3)] == [1, 2, 3]
    assert throttle.hit(key, datetime.fromtimestamp(29_844_360 * 7200, tz=UTC), 7200) == 1


@pytest.fixture
def outbox(impl, request):
    return build("Outbox", impl, request)


def test_the_outbox_lists_a_bulk_send_per_recipient_whatever_the_case(outbox) -> None:
    from gatehouse.ports import OutboxMessage

    now = datetime.now(UTC)
    tag = uuid.uuid4().hex[:8]
    sent = [OutboxMessage("email", f"{tag}-{i}@example.com", f"subject {i}", "text", "<p>html</p>", now)
            for i in range(30)]
    outbox.record(*sent)
    outbox.record(OutboxMessage("sms", "+33612345678", "", "code", "", now))
    assert outbox.list(f"{tag}-7@EXAMPLE.com") == [sent[7]]
    assert {m.to for m in outbox.list(None)} >= {m.to for m in sent}


@pytest.mark.parametrize(("stored", "typed"), [("xT\u0308@Example.com", "x\u1e97@example.com"),
                                               ("x\u212b@example.com", " X\u00c5@EXAMPLE.com ")])
def test_the_email_claim_is_the_one_normalised_key_whatever_the_spelling(accounts, stored: str, typed: str) -> None:
    # "T" + U+0308 lowers to "t" + U+0308, which composes to "ẗ": one address, one claim.
    uid = uuid.uuid4().hex[:8]
    account = _account(stored.replace("@", f"{uid}@"))
    accounts.add(account)
    assert accounts.get_by_email(typed.replace("@", f"{uid}@")).id == account.id
