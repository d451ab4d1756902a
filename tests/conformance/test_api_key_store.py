"""The API key store behaves the same as a fake and on DynamoDB: a key is found by its id and
listed with its account, an id is never taken twice, and only its account deletes it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from gatehouse.domain.api_keys import AccountApiKey
from gatehouse.errors import ConditionFailedError

from tests.conformance.conftest import build

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(impl, request):
    return build("ApiKeys", impl, request)


def _key(account_id: str, n: int = 0, **changes) -> AccountApiKey:
    values = {"key_id": f"key_{uuid.uuid4().hex[:12]}", "account_id": account_id, "secret_sha256": "ab" * 32,
              "name": f"key {n}", "created_at": NOW + timedelta(minutes=n)}
    return AccountApiKey(**{**values, **changes})


def _account() -> str:
    return f"acc_{uuid.uuid4().hex[:12]}"


def test_a_key_is_found_by_its_id_and_listed_with_its_account_oldest_first(store) -> None:
    account = _account()
    later, earlier = _key(account, 2), _key(account, 1, console="dedibox", context="dedibox-d1")
    store.add(later)
    store.add(earlier)
    store.add(_key(_account()))  # someone else's
    assert store.get(earlier.key_id) == earlier
    assert store.get("key_nobody") is None
    assert store.list(account) == [earlier, later]


def test_a_key_id_is_never_taken_twice(store) -> None:
    key = _key(_account())
    store.add(key)
    with pytest.raises(ConditionFailedError):
        store.add(_key(_account(), key_id=key.key_id))
    assert store.get(key.key_id) == key


def test_only_its_account_deletes_a_key_and_a_deleted_key_is_gone_everywhere(store) -> None:
    account = _account()
    key = _key(account)
    store.add(key)
    assert store.delete(_account(), key.key_id) is False
    assert store.get(key.key_id) == key
    assert store.delete(account, key.key_id) is True
    assert store.get(key.key_id) is None and store.list(account) == []
    assert store.delete(account, key.key_id) is False


def test_keys_added_in_bulk_twice_are_stored_once(store) -> None:
    account = _account()
    keys = [_key(account, n, console="dedibox", context=f"dedibox-d{n}") for n in range(30)]
    store.add_many(keys)
    store.add_many(keys)  # a rerun of the unifier
    assert store.list(account) == keys
    assert store.get(keys[29].key_id) == keys[29]
