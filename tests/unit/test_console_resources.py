"""The resources a console registers in its contexts (PUT and DELETE /consoles/resources), and the
check that then knows them, over fakes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from gatehouse.api.errors import to_response_parts
from gatehouse.bootstrap import Container
from gatehouse.domain.accounts import Account, Resource, new_account_contexts
from gatehouse.errors import ConflictError, ForbiddenError, NotFoundError

from tests.unit.conftest import FAST

PASSWORD = "a quiet harbour at dawn"
SERVER = Resource("srv-8f2c", "server", "web-1")


@pytest.fixture
def c() -> Container:
    return Container.in_memory(FAST)


def _new_account(c: Container, email: str) -> Account:
    """As a sign-up makes it: one context in each console, with no resources."""
    account_id = f"acc_{abs(hash(email)) % 10**12:012d}"
    account = Account(id=account_id, email=email, created_at=c.clock.now(), password_hash=c.hasher.hash(PASSWORD),
                      email_verified=True, contexts=new_account_contexts(account_id, "", ["scaleway", "dedibox"]))
    c.accounts.add(account)
    return account


def _ctx(account: Account, console: str = "scaleway") -> str:
    return account.contexts_of(console)[0].id


def _check(c: Container, actor: Account, context: str | None, resource: str = SERVER.id, action: str = "reboot",
           console: str = "scaleway") -> dict:
    return c.organization.check(console, actor.id, console, context, resource, action)


def test_a_new_accounts_console_registers_a_server_and_the_check_then_knows_it_until_deleted(c: Container) -> None:
    owner, eve = _new_account(c, "owner@example.com"), _new_account(c, "eve@example.com")
    context = _ctx(owner)
    assert _check(c, owner, context) == {"allowed": False, "reason": "unknown_resource"}  # what sign-up left

    made = c.console_resources.register("scaleway", owner.id, context, SERVER)
    assert made == {"account_id": owner.id, "context": context, "created": True,
                    "resource": {"id": "srv-8f2c", "kind": "server", "name": "web-1"}}
    for asked in (context, None):
        assert _check(c, owner, asked) == {"allowed": True, "reason": "owner"}
    # Nobody else's, and not in the account's other console or another context.
    for context_asked in (None, _ctx(eve)):
        assert _check(c, eve, context_asked) == {"allowed": False, "reason": "unknown_resource"}
    assert _check(c, owner, _ctx(owner, "dedibox"), console="dedibox")["reason"] == "unknown_resource"

    c.console_resources.remove("scaleway", owner.id, context, SERVER.id)
    assert _check(c, owner, context) == {"allowed": False, "reason": "unknown_resource"}
    with pytest.raises(NotFoundError):  # deleting again: nothing is there
        c.console_resources.remove("scaleway", owner.id, context, SERVER.id)


def test_registering_the_same_id_again_updates_its_kind_and_name(c: Container) -> None:
    owner = _new_account(c, "owner@example.com")
    c.console_resources.register("scaleway", owner.id, _ctx(owner), SERVER)
    again = c.console_resources.register("scaleway", owner.id, _ctx(owner), Resource(SERVER.id, "baremetal", "db"))
    assert (again["created"], again["resource"]) == (False, {"id": SERVER.id, "kind": "baremetal", "name": "db"})
    assert c.resource_store.list(owner.id, _ctx(owner)) == [Resource(SERVER.id, "baremetal", "db")]


def test_a_console_registers_and_deletes_in_its_own_consoles_contexts_only(c: Container) -> None:
    owner = _new_account(c, "owner@example.com")
    dedibox = _ctx(owner, "dedibox")
    with pytest.raises(ForbiddenError) as refused:
        c.console_resources.register("scaleway", owner.id, dedibox, SERVER)
    assert to_response_parts(refused.value)[0] == 403
    assert c.resource_store.list(owner.id, dedibox) == []
    c.console_resources.register("dedibox", owner.id, dedibox, SERVER)
    with pytest.raises(ForbiddenError):
        c.console_resources.remove("scaleway", owner.id, dedibox, SERVER.id)
    assert _check(c, owner, dedibox, console="dedibox")["allowed"] is True


def test_an_unknown_account_or_context_is_not_found(c: Container) -> None:
    owner = _new_account(c, "owner@example.com")
    for account_id, context in (("acc_nobody", _ctx(owner)), (owner.id, "scaleway-nothere"),
                                ("a" * 600, _ctx(owner))):
        for attempt in (lambda: c.console_resources.register("scaleway", account_id, context, SERVER),
                        lambda: c.console_resources.remove("scaleway", account_id, context, SERVER.id)):
            with pytest.raises(NotFoundError) as missing:
                attempt()
            assert to_response_parts(missing.value)[0] == 404


def test_a_full_context_refuses_a_new_resource_but_still_updates_its_own(c: Container) -> None:
    c = Container.in_memory(replace(FAST, resources_per_context=2))
    owner = _new_account(c, "owner@example.com")
    for n in (1, 2):
        c.console_resources.register("scaleway", owner.id, _ctx(owner), Resource(f"srv-{n}", "server", ""))
    with pytest.raises(ConflictError) as full:
        c.console_resources.register("scaleway", owner.id, _ctx(owner), Resource("srv-3", "server", ""))
    assert to_response_parts(full.value)[0] == 409 and "at most 2" in str(full.value)
    updated = c.console_resources.register("scaleway", owner.id, _ctx(owner), Resource("srv-2", "vm", "x"))
    assert updated["created"] is False
    # Another context has its own room.
    assert c.console_resources.register("dedibox", owner.id, _ctx(owner, "dedibox"),
                                        Resource("srv-3", "server", ""))["created"] is True


def test_members_and_grantees_reach_a_registered_resource_as_the_rules_say(c: Container) -> None:
    owner = _new_account(c, "owner@example.com")
    bob, ann = _new_account(c, "bob@example.com"), _new_account(c, "ann@example.com")
    context = _ctx(owner)
    for r in (SERVER, Resource("srv-other", "server", "")):
        c.console_resources.register("scaleway", owner.id, context, r)
    auth = c.sessions.authenticate(c.login.login(owner.email, PASSWORD, ip="10.0.0.1").token)
    c.organization.add_member(auth, bob.email, "admin")
    c.organization.grant(auth, ann.email, [SERVER.id], ["reboot"], None)
    assert _check(c, bob, context, "srv-other", "delete") == {"allowed": True, "reason": "organization_admin"}
    assert _check(c, ann, context) == {"allowed": True, "reason": "outsourcing"}
    assert _check(c, ann, context, action="delete") == {"allowed": False, "reason": "no_access"}
    assert _check(c, ann, context, "srv-other") == {"allowed": False, "reason": "no_access"}
    c.console_resources.remove("scaleway", owner.id, context, SERVER.id)
    assert _check(c, ann, context) == {"allowed": False, "reason": "unknown_resource"}
    assert _check(c, bob, context) == {"allowed": False, "reason": "unknown_resource"}


def test_a_resource_kept_on_an_older_unified_accounts_context_is_known_and_deleted_there_too(c: Container) -> None:
    owner = _new_account(c, "owner@example.com")
    dedibox = _ctx(owner, "dedibox")
    # Unified before resources had their own items: the legacy server is on the account item.
    older = tuple(replace(x, resources=(Resource("sd-1", "server", "old"),)) if x.id == dedibox else x
                  for x in owner.contexts)
    owner = c.accounts.save(owner.evolve(contexts=older))
    assert _check(c, owner, dedibox, "sd-1", console="dedibox")["allowed"] is True
    c.console_resources.remove("dedibox", owner.id, dedibox, "sd-1")
    assert _check(c, owner, dedibox, "sd-1", console="dedibox") == {"allowed": False, "reason": "unknown_resource"}
    assert all(x.resources == () for x in c.accounts.get(owner.id).contexts)


def test_the_check_reads_each_owners_contexts_once_however_many_reaches_name_them(c: Container) -> None:
    owner, bob = _new_account(c, "owner@example.com"), _new_account(c, "bob@example.com")
    auth = c.sessions.authenticate(c.login.login(owner.email, PASSWORD, ip="10.0.0.1").token)
    c.organization.add_member(auth, bob.email, "member")
    c.organization.grant(auth, bob.email, ["srv-x"], ["read"], None)
    asked: list[tuple[str, tuple[str, ...]]] = []
    holds = c.resource_store.holds

    def counting(account_id: str, contexts, resource_id: str) -> bool:
        asked.append((account_id, tuple(contexts)))
        return holds(account_id, contexts, resource_id)

    c.resource_store.holds = counting
    assert _check(c, bob, None, "srv-x") == {"allowed": False, "reason": "unknown_resource"}
    assert asked == [(bob.id, (_ctx(bob),)), (owner.id, (_ctx(owner),))]
