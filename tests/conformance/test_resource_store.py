"""The resource store behaves the same as a fake and on DynamoDB: a resource is known only in the
context of the account it was registered in, registering again updates it, the count per context
holds its limit (updates and deletes included), and imported resources are counted once."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from gatehouse.domain.accounts import Resource
from gatehouse.errors import ConditionFailedError

from tests.conformance.conftest import build


@pytest.fixture
def store(impl, request):
    return build("Resources", impl, request)


def _ids() -> tuple[str, str]:
    u = uuid.uuid4().hex[:10]
    return f"acc_{u}", f"scaleway-{u[:8]}"


def test_a_resource_is_held_by_the_context_it_was_registered_in_only(store) -> None:
    account, context = _ids()
    other_account, _ = _ids()
    assert store.put(account, context, Resource("srv-1", "server", "web-1"), 10) is True
    assert store.holds(account, [context], "srv-1") is True
    assert store.holds(account, ["dedibox-x", context], "srv-1") is True  # several contexts at once
    assert store.holds(account, ["dedibox-x"], "srv-1") is False
    assert store.holds(other_account, [context], "srv-1") is False  # the same context id, another account
    assert store.holds(account, [context], "srv-2") is False
    assert store.holds(account, [], "srv-1") is False


def test_registering_the_same_id_again_updates_it_and_is_not_counted(store) -> None:
    account, context = _ids()
    assert store.put(account, context, Resource("srv-1", "server", "web-1"), 2) is True
    assert store.put(account, context, Resource("srv-1", "baremetal", "renamed"), 2) is False
    assert store.list(account, context) == [Resource("srv-1", "baremetal", "renamed")]
    assert store.put(account, context, Resource("srv-2", "server", ""), 2) is True
    assert store.list(account, context) == [Resource("srv-1", "baremetal", "renamed"), Resource("srv-2", "server", "")]


def test_a_full_context_refuses_new_resources_but_updates_them_and_has_room_after_a_delete(store) -> None:
    account, context = _ids()
    for n in range(3):
        store.put(account, context, Resource(f"srv-{n}", "server", ""), 3)
    with pytest.raises(ConditionFailedError):
        store.put(account, context, Resource("srv-3", "server", ""), 3)
    assert store.holds(account, [context], "srv-3") is False
    assert store.put(account, context, Resource("srv-0", "server", "still mine"), 3) is False
    other_account, _ = _ids()
    assert store.put(other_account, context, Resource("srv-3", "server", ""), 3) is True  # its own count
    assert store.delete(account, context, "srv-1") is True
    assert store.put(account, context, Resource("srv-3", "server", ""), 3) is True
    assert [r.id for r in store.list(account, context)] == ["srv-0", "srv-2", "srv-3"]


def test_a_deleted_resource_is_no_longer_held_and_deleting_it_again_says_so(store) -> None:
    account, context = _ids()
    store.put(account, context, Resource("srv-1", "server", ""), 10)
    assert store.delete(f"acc_{uuid.uuid4().hex[:10]}", context, "srv-1") is False  # not another account's
    assert store.delete(account, "dedibox-x", "srv-1") is False
    assert store.delete(account, context, "srv-1") is True
    assert store.holds(account, [context], "srv-1") is False and store.list(account, context) == []
    assert store.delete(account, context, "srv-1") is False


def test_racing_registrations_at_the_limit_never_pass_it(store) -> None:
    account, context = _ids()
    store.put(account, context, Resource("srv-0", "server", ""), 4)

    def register(n: int) -> bool:
        try:
            return store.put(account, context, Resource(f"srv-{n}", "server", ""), 4)
        except ConditionFailedError:
            return False

    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(register, range(1, 9)))
    assert sum(won) == 3 and len(store.list(account, context)) == 4


def test_imported_resources_are_written_as_they_are_and_counted_once(store) -> None:
    account, context = _ids()
    legacy = [Resource("srv-a", "server", "a"), Resource("srv-b", "server", "b")]
    store.add_imported([(account, context, legacy), (account, "dedibox-empty", [])])
    store.add_imported([(account, context, legacy)])  # a rerun of the unifier
    assert store.list(account, context) == legacy and store.list(account, "dedibox-empty") == []
    assert store.put(account, context, Resource("srv-c", "server", ""), 3) is True  # 2 counted, not 4
    with pytest.raises(ConditionFailedError):
        store.put(account, context, Resource("srv-d", "server", ""), 3)
