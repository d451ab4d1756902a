"""The round trips (what several ports need in one call) and the one-write variants of the session
and throttle ports behave the same as fakes and on DynamoDB: the login projection on the email
claim follows every change of the account, a session is read with its account, and each combined
write is all or nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gatehouse.adapters import dynamodb, memory
from gatehouse.adapters.memory import round_trips
from gatehouse.domain.accounts import Account, MfaMethod, is_projection
from gatehouse.domain.factors import Advance, Factor
from gatehouse.domain.one_time import OneTimeItem
from gatehouse.domain.sessions import Session, SessionStatus
from gatehouse.errors import ConditionFailedError

from tests.support.race import race

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass
class Stores:
    accounts: Any
    sessions: Any
    throttle: Any
    once: Any
    login: Any
    session: Any
    console: Any
    mfa: Any = None
    second: Any = None


@pytest.fixture
def stores(impl: str, request: pytest.FixtureRequest) -> Stores:
    if impl == "fake":
        accounts, sessions, throttle, once = (memory.MemoryAccounts(), memory.MemorySessions(),
                                              memory.MemoryThrottle(), memory.MemoryOneTime())
        mfa = memory.MemoryMfa()
        return Stores(accounts, sessions, throttle, once,
                      round_trips.MemoryLoginRoundTrips(accounts, sessions, throttle),
                      round_trips.MemorySessionRoundTrips(accounts, sessions),
                      round_trips.MemoryConsoleRoundTrips(sessions, once), mfa,
                      round_trips.MemorySecondFactorRoundTrips(mfa, sessions, throttle))
    table = request.getfixturevalue("moto_table")
    return Stores(dynamodb.DynamoAccounts(table), dynamodb.DynamoSessions(table), dynamodb.DynamoThrottle(table),
                  dynamodb.DynamoOneTime(table), dynamodb.DynamoLoginRoundTrips(table),
                  dynamodb.DynamoSessionRoundTrips(table), dynamodb.DynamoConsoleRoundTrips(table),
                  dynamodb.DynamoMfa(table), dynamodb.DynamoSecondFactorRoundTrips(table))


def _account(**changes: Any) -> Account:
    uid = uuid.uuid4().hex[:10]
    return Account(id=f"acc_{uid}", email=f"{uid}@Example.com", created_at=NOW, password_hash="$argon2id$one",
                   email_verified=True, name="Ada", phone="+33612345678").evolve(**changes)


def _session(account_id: str, *, minutes: int = 60) -> Session:
    return Session(id=f"ses_{uuid.uuid4().hex}", token_hash=uuid.uuid4().hex, account_id=account_id,
                   status=SessionStatus.AUTHENTICATED, aal=1, created_at=NOW, last_seen_at=NOW,
                   absolute_expires_at=NOW + timedelta(hours=24), idle_expires_at=NOW + timedelta(minutes=minutes))


# --- the login projection ------------------------------------------------------------------------

def test_a_login_reads_the_emails_projection_and_its_counters_at_once(stores: Stores) -> None:
    account = _account()
    stores.accounts.add(account)
    ip_key, email_key = f"login:ip:{uuid.uuid4().hex}", f"login:email:{uuid.uuid4().hex}"
    stores.throttle.record_failure(email_key, NOW, 3600)
    stores.throttle.record_failure(email_key, NOW, 3600)
    read = stores.login.login(account.email.upper(), [ip_key, email_key], NOW)
    assert read.account is not None and read.account.id == account.id
    assert read.account.password_hash == account.password_hash and read.account.required_actions == []
    assert read.failures[ip_key].count == 0 and read.failures[email_key].count == 2
    # Expired counters count nothing, as ThrottleStore.failures says.
    assert stores.login.login(account.email, [email_key], NOW + timedelta(hours=2)).failures[email_key].count == 0


def test_an_unknown_email_reads_no_account_and_the_same_counters(stores: Stores) -> None:
    key = f"login:email:{uuid.uuid4().hex}"
    stores.throttle.record_failure(key, NOW, 3600)
    read = stores.login.login(f"nobody-{uuid.uuid4().hex}@example.com", [key], NOW)
    assert read.account is None and read.failures[key].count == 1


def test_the_projection_follows_every_change_of_what_login_needs(stores: Stores) -> None:
    account = _account(mfa_enrolment_required=True)
    stores.accounts.add(account)
    assert [a.value for a in stores.login.login(account.email, [], NOW).account.required_actions] == ["enroll_mfa"]
    factor = MfaMethod(id="mfa_1", type="totp", name="phone", created_at=NOW)
    saved = stores.accounts.save(account.evolve(password_hash="$argon2id$two", mfa_methods=(factor,)))
    projected = stores.login.login(account.email, [], NOW).account
    assert projected.password_hash == "$argon2id$two" and projected.has_mfa and projected.required_actions == []
    # A changed email moves the projection with its claim.
    moved = stores.accounts.save(saved.evolve(email=f"moved-{uuid.uuid4().hex[:6]}@example.com"))
    assert stores.login.login(account.email, [], NOW).account is None
    assert stores.login.login(moved.email, [], NOW).account.password_hash == "$argon2id$two"
    # A change login does not read (the name) leaves it as it was, and saving still works after.
    again = stores.accounts.save(moved.evolve(name="Grace"))
    assert stores.login.login(moved.email, [], NOW).account.id == again.id


def test_the_projection_is_enough_for_required_actions_and_never_saved(stores: Stores) -> None:
    sso = _account(password_hash=None, extra={"signed_up_with": "google"})
    unified = _account(email_verified=False, extra={"unification": {"state": "completed", "big": "x" * 500}})
    stores.accounts.add(sso)
    stores.accounts.add(unified)
    for account in (sso, unified):
        projected = stores.login.login(account.email, [], NOW).account
        assert projected.required_actions == account.required_actions == []
        assert is_projection(projected) and projected.contexts == () and projected.phone is None
        with pytest.raises(ValueError, match="projection"):
            stores.accounts.save(projected)


def test_accounts_added_in_a_batch_carry_their_projection(stores: Stores) -> None:
    batch = [_account(), _account()]
    assert stores.accounts.add_many([(a, {}) for a in batch]) == [True, True]
    assert [stores.login.login(a.email, [], NOW).account.id for a in batch] == [a.id for a in batch]


def test_a_claim_written_before_it_carried_the_projection_still_logs_in(impl: str, stores: Stores) -> None:
    account = _account()
    stores.accounts.add(account)
    if impl == "dynamodb":  # as the table holds it for accounts made before the projection
        table = stores.accounts._t
        table.client.put_item(TableName=table.name, Item=dynamodb.to_item(
            {"pk": f"CLAIM#email#{account.email_key}", "sk": "C", "account_id": account.id}))
    assert stores.login.login(account.email, [], NOW).account.password_hash == account.password_hash


# --- a session with its account ------------------------------------------------------------------

def test_a_session_is_read_with_its_account(stores: Stores) -> None:
    account = _account()
    stores.accounts.add(account)
    session = _session(account.id, minutes=1)
    stores.sessions.add(session)
    found, owner = stores.session.session(session.token_hash, account.id, NOW)
    assert found == session and owner is not None and owner.id == account.id and owner.phone == account.phone
    assert stores.session.session(session.token_hash, account.id, NOW + timedelta(minutes=2))[0] is None
    assert stores.session.session(uuid.uuid4().hex, "acc_none", NOW) == (None, None)


def test_a_new_session_replacing_another_ends_it_in_the_same_write(stores: Stores) -> None:
    old, new = _session("acc_r"), _session("acc_r")
    stores.sessions.add(old)
    stores.sessions.add(new, replacing=old.token_hash)
    assert stores.sessions.get(old.token_hash, NOW) is None and stores.sessions.get(new.token_hash, NOW) == new
    with pytest.raises(ConditionFailedError):  # a token hash is never reused
        stores.sessions.add(new, replacing=old.token_hash)


def test_starting_a_session_clears_the_counters_and_ends_the_replaced_one(stores: Stores) -> None:
    old, new = _session("acc_s"), _session("acc_s")
    key = f"login:email:{uuid.uuid4().hex}"
    stores.sessions.add(old)
    stores.throttle.record_failure(key, NOW, 3600)
    stores.login.start_session(new, old.token_hash, [key])
    assert stores.sessions.get(new.token_hash, NOW) == new and stores.sessions.get(old.token_hash, NOW) is None
    assert stores.throttle.failures(key, NOW).count == 0


def test_a_hand_off_item_is_stored_only_with_its_live_session(stores: Stores) -> None:
    session = _session("acc_h")
    stores.sessions.add(session)
    item = OneTimeItem(kind="handoff", key=uuid.uuid4().hex, subject="acc_h", expires_at=NOW + timedelta(seconds=60),
                       data={"console": "scaleway", "email": "a@example.com"})
    stores.console.put_with_session(item, session.evolve(console="scaleway"))
    assert stores.sessions.get(session.token_hash, NOW).console == "scaleway"
    assert stores.once.consume("handoff", item.key, NOW).data["email"] == "a@example.com"
    stores.sessions.delete(session.token_hash)
    late = OneTimeItem(kind="handoff", key=uuid.uuid4().hex, subject="acc_h", expires_at=NOW + timedelta(seconds=60))
    with pytest.raises(ConditionFailedError):  # logged out meanwhile: no code either
        stores.console.put_with_session(late, session)
    assert stores.once.get("handoff", late.key, NOW) is None


# --- both failure counters in one write ----------------------------------------------------------

def test_failures_of_several_counters_count_in_one_write_and_restart_when_expired(stores: Stores) -> None:
    live, stale = uuid.uuid4().hex, uuid.uuid4().hex
    stores.throttle.record_failures([(live, 3600), (stale, 60)], NOW)
    later = NOW + timedelta(minutes=2)
    stores.throttle.record_failures([(live, 3600), (stale, 60)], later)  # `stale` expired: restarts at 1
    assert stores.throttle.failures(live, later).count == 2
    assert stores.throttle.failures(stale, later).count == 1
    stores.throttle.record_failures([(live, 3600)], later)
    assert stores.throttle.failures(live, later).count == 3


def test_racing_failures_of_two_counters_all_count(stores: Stores) -> None:
    a, b = uuid.uuid4().hex, uuid.uuid4().hex
    race(lambda _: stores.throttle.record_failures([(a, 3600), (b, 60)], NOW))
    assert stores.throttle.failures(a, NOW).count == 8 and stores.throttle.failures(b, NOW).count == 8


# --- sessions ended by the account's epoch ---------------------------------------------------------

def test_a_kept_session_is_marked_and_the_account_keeps_its_epoch(stores: Stores) -> None:
    account = _account()
    stores.accounts.add(account)
    kept, other = _session(account.id), _session(account.id)
    stores.sessions.add(kept)
    stores.sessions.add(other)
    later = NOW + timedelta(minutes=5)
    stores.sessions.mark_valid_from(kept.token_hash, later)
    stores.accounts.save(account.evolve(sessions_valid_after=later))
    session, owner = stores.session.session(kept.token_hash, account.id, NOW)
    assert owner.sessions_valid_after == later and session.valid_from == later
    assert not session.ended_by(owner.sessions_valid_after)
    assert stores.sessions.get(other.token_hash, NOW).ended_by(owner.sessions_valid_after)
    stores.sessions.delete(kept.token_hash)
    stores.sessions.mark_valid_from(kept.token_hash, later)  # logged out meanwhile: nothing comes back
    assert stores.sessions.get(kept.token_hash, NOW) is None


# --- throttle counters read and counted together -----------------------------------------------

def test_failures_of_several_counters_are_read_at_once(stores: Stores) -> None:
    a, b = uuid.uuid4().hex, uuid.uuid4().hex
    stores.throttle.record_failure(a, NOW, 60)
    read = stores.throttle.failures_many([a, b], NOW)
    assert read[a].count == 1 and read[b].count == 0
    assert stores.throttle.failures_many([a], NOW + timedelta(minutes=2))[a].count == 0


def test_hits_count_together_only_while_every_one_is_within_its_limit(stores: Stores) -> None:
    a, b = uuid.uuid4().hex, uuid.uuid4().hex
    assert stores.throttle.hit_all([(a, 3600, 5), (b, 3600, 2)], NOW)
    assert stores.throttle.hit_all([(a, 3600, 5), (b, 3600, 2)], NOW)
    # `b` is at its limit: nothing counts, and `hit` one by one says where each stands.
    assert not stores.throttle.hit_all([(a, 3600, 5), (b, 3600, 2)], NOW)
    assert stores.throttle.hit(a, NOW, 3600) == 3 and stores.throttle.hit(b, NOW, 3600) == 3
    assert stores.throttle.hit_all([(a, 3600, 5), (b, 3600, 2)], NOW + timedelta(hours=1))  # the next window


def test_racing_hits_never_count_past_the_limit(stores: Stores) -> None:
    key = uuid.uuid4().hex
    allowed = [r for r in race(lambda _: stores.throttle.hit_all([(key, 3600, 3)], NOW)) if r]
    assert len(allowed) == 3


def test_a_save_moving_to_a_taken_email_or_from_a_stale_version_changes_nothing(stores: Stores) -> None:
    mine, theirs = _account(), _account()
    stores.accounts.add(mine)
    stores.accounts.add(theirs)
    with pytest.raises(ConditionFailedError):
        stores.accounts.save(mine.evolve(email=theirs.email, password_hash="$argon2id$stolen"))
    saved = stores.accounts.save(mine.evolve(name="Once"))
    with pytest.raises(ConditionFailedError):
        stores.accounts.save(mine.evolve(password_hash="$argon2id$stale"))  # version 0, the account is at 1
    assert stores.login.login(theirs.email, [], NOW).account.id == theirs.id
    assert stores.login.login(mine.email, [], NOW).account.password_hash == mine.password_hash
    assert stores.accounts.get(mine.id).version == saved.version



# --- a second factor: its factors and counters read at once, its step and session written at once ---

def test_a_second_factor_reads_its_factors_and_counters_at_once(stores: Stores) -> None:
    account_id = f"acc_{uuid.uuid4().hex[:8]}"
    factor = Factor(account_id=account_id, id="mfa_a", type="totp", created_at=NOW, counter=7, data={"seed": "x"})
    stores.mfa.add(factor)
    key = f"mfa:account:{account_id}"
    stores.throttle.record_failure(key, NOW, 3600)
    factors, failures = stores.second.read(account_id, ["mfa_a", "mfa_gone"], [key, "mfa:ip:x"], NOW)
    assert factors == [factor] and failures[key].count == 1 and failures["mfa:ip:x"].count == 0


def test_a_step_and_the_elevated_session_are_written_together_and_once(stores: Stores) -> None:
    account_id = f"acc_{uuid.uuid4().hex[:8]}"
    stores.mfa.add(Factor(account_id=account_id, id="mfa_b", type="totp", created_at=NOW, counter=7))
    waiting = _session(account_id)
    stores.sessions.add(waiting)
    elevated = [_session(account_id) for _ in range(8)]
    won = race(lambda i: stores.second.advance_and_elevate(Advance(account_id, "mfa_b", 8), elevated[i],
                                                           waiting.token_hash))
    assert won.count(True) == 1  # racing requests with one step: one wins
    winner = elevated[won.index(True)]
    assert stores.sessions.get(winner.token_hash, NOW) == winner
    assert stores.sessions.get(waiting.token_hash, NOW) is None
    assert [s for s in elevated if s is not winner and stores.sessions.get(s.token_hash, NOW)] == []
    assert stores.mfa.get(account_id, "mfa_b").counter == 8
    replay = _session(account_id)
    assert not stores.second.advance_and_elevate(Advance(account_id, "mfa_b", 8), replay, winner.token_hash)
    assert stores.sessions.get(replay.token_hash, NOW) is None and stores.sessions.get(winner.token_hash, NOW)
