"""The linked-identity store behaves the same as a fake and on DynamoDB: an identity is found by
(provider, key) and listed with its account, it is never linked twice (whoever races), a sign-in
records its use, and only its account unlinks it."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from gatehouse.domain.identities import LinkedIdentity
from gatehouse.errors import ConditionFailedError

from tests.conformance.conftest import build

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(impl, request):
    return build("Identities", impl, request)


def _identity(account_id: str, provider: str = "google", n: int = 0, **changes) -> LinkedIdentity:
    values = {"id": f"idn_{uuid.uuid4().hex[:12]}", "provider": provider, "key": uuid.uuid4().hex,
              "account_id": account_id, "email": "ada@example.com", "linked_at": NOW + timedelta(minutes=n)}
    return LinkedIdentity(**{**values, **changes})


def _account() -> str:
    return f"acc_{uuid.uuid4().hex[:12]}"


def test_an_identity_is_found_by_provider_and_key_and_listed_with_its_account(store):
    account = _account()
    later = _identity(account, "github", 2, key="583231", email=None)
    earlier = _identity(account, "microsoft", 1, key=f"{uuid.uuid4()}:{uuid.uuid4()}")
    store.link(later)
    store.link(earlier)
    store.link(_identity(_account()))
    assert store.get("github", "583231") == later
    assert store.get("google", "583231") is None  # the same key at another provider is someone else
    assert store.list(account) == [earlier, later]


def test_an_identity_is_never_linked_twice_even_by_racing_requests(store):
    key = uuid.uuid4().hex
    first = _identity(_account(), key=key)
    store.link(first)
    with pytest.raises(ConditionFailedError):
        store.link(_identity(_account(), key=key))
    assert store.get("google", key) == first

    racing_key, wins, barrier = uuid.uuid4().hex, [], threading.Barrier(4)

    def race() -> None:
        barrier.wait()
        try:
            store.link(_identity(_account(), key=racing_key))
            wins.append(1)
        except ConditionFailedError:
            pass

    threads = [threading.Thread(target=race) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1


def test_a_sign_in_records_when_it_was_last_used(store):
    account = _account()
    identity = _identity(account)
    store.link(identity)
    store.touch(identity, NOW + timedelta(days=3))
    assert store.get("google", identity.key).last_used_at == NOW + timedelta(days=3)
    assert store.list(account)[0].last_used_at == NOW + timedelta(days=3)


def test_only_its_account_unlinks_an_identity(store):
    account = _account()
    identity = _identity(account)
    store.link(identity)
    assert store.unlink(_account(), identity.id) is None
    assert store.get("google", identity.key) == identity
    assert store.unlink(account, identity.id) == identity
    assert store.get("google", identity.key) is None and store.list(account) == []
    assert store.unlink(account, identity.id) is None
    store.link(_identity(_account(), key=identity.key))  # the identity can be linked again, elsewhere
