"""The rule of POST /authz/check (domain.authorization.authorize), one case a test, no store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

from gatehouse.domain.accounts import Account, ConsoleContext, Resource
from gatehouse.domain.authorization import Answer, Question, Reach, authorize

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def account(name: str, *contexts: tuple[str, str, tuple[str, ...]]) -> Account:
    """An account with (console, context id, resource ids) contexts."""
    return Account(id=f"acc_{name}", email=f"{name}@example.com", created_at=NOW, contexts=tuple(
        ConsoleContext(console, cid, cid, resources=tuple(Resource(r, "server", r) for r in resources))
        for console, cid, resources in contexts))


OWNER = account("owner", ("scaleway", "scw-owner", ("srv-1", "srv-2")), ("dedibox", "dbx-a", ("sd-a",)),
                ("dedibox", "dbx-b", ("sd-b",)))
BOB = account("bob", ("scaleway", "scw-bob", ("srv-bob",)), ("dedibox", "dbx-bob", ()))


def ask(actor: Account | None, resource: str, context: str | None = None, console: str = "scaleway",
        action: str = "reboot", others: Iterable[Reach] = (), asking: str | None = None) -> Answer:
    return authorize(Question(asking or console, console, context, resource, action), actor, others, NOW)


def test_an_owner_may_act_on_a_resource_of_its_own_contexts_named_or_not() -> None:
    assert ask(OWNER, "srv-1") == Answer(True, "owner")
    assert ask(OWNER, "srv-2", "scw-owner") == Answer(True, "owner")
    assert ask(OWNER, "sd-b", console="dedibox") == Answer(True, "owner")


def test_a_resource_of_nobody_the_account_reaches_is_unknown_even_to_an_account_with_contexts() -> None:
    assert ask(BOB, "srv-1") == Answer(False, "unknown_resource")  # the owner's, not bob's
    assert ask(BOB, "srv-1", "scw-bob") == Answer(False, "unknown_resource")
    assert ask(OWNER, "made-up") == Answer(False, "unknown_resource")


def test_a_resource_of_another_context_of_the_same_account_is_refused_for_the_named_one() -> None:
    assert ask(OWNER, "sd-a", "dbx-a", console="dedibox") == Answer(True, "owner")
    assert ask(OWNER, "sd-a", "dbx-b", console="dedibox") == Answer(False, "unknown_resource")
    # A resource of the Dedibox contexts is not one of the Scaleway console's.
    assert ask(OWNER, "sd-a") == Answer(False, "unknown_resource")


def test_a_named_context_nobody_gave_the_account_is_no_access() -> None:
    assert ask(BOB, "srv-1", "scw-owner") == Answer(False, "no_access")


def test_an_account_without_a_context_in_the_console_has_none_to_act_in() -> None:
    lone = account("lone", ("scaleway", "scw-lone", ("srv-l",)))
    assert ask(lone, "sd-a", console="dedibox") == Answer(False, "no_context")


def test_a_console_asks_only_about_itself_and_an_unknown_account_gets_nothing() -> None:
    assert ask(OWNER, "srv-1", asking="dedibox") == Answer(False, "other_console")
    assert ask(None, "srv-1") == Answer(False, "unknown_account")


def test_a_member_acts_on_any_resource_of_the_organization_but_not_on_unknown_ones() -> None:
    member = (Reach(OWNER, "organization_admin"),)
    assert ask(BOB, "srv-1", "scw-owner", action="delete", others=member) == Answer(True, "organization_admin")
    assert ask(BOB, "srv-2", others=member) == Answer(True, "organization_admin")
    assert ask(BOB, "sd-b", "dbx-b", console="dedibox", others=member) == Answer(True, "organization_admin")
    assert ask(BOB, "srv-9", "scw-owner", others=member) == Answer(False, "unknown_resource")
    assert ask(BOB, "sd-a", "dbx-b", console="dedibox", others=member) == Answer(False, "unknown_resource")
    assert ask(BOB, "srv-bob", others=member) == Answer(True, "owner")


def test_a_grant_covers_its_resources_and_actions_until_it_expires() -> None:
    grant = Reach(OWNER, "outsourcing", frozenset({"srv-1", "srv-gone"}), frozenset({"reboot"}),
                  NOW + timedelta(hours=1))
    assert ask(BOB, "srv-1", "scw-owner", others=(grant,)) == Answer(True, "outsourcing")
    assert ask(BOB, "srv-1", others=(grant,)) == Answer(True, "outsourcing")
    assert ask(BOB, "srv-1", "scw-owner", action="delete", others=(grant,)) == Answer(False, "no_access")
    assert ask(BOB, "srv-2", "scw-owner", others=(grant,)) == Answer(False, "no_access")  # the owner's, not granted
    # Granted, but no longer (or never) one of the owner's resources.
    assert ask(BOB, "srv-gone", "scw-owner", others=(grant,)) == Answer(False, "unknown_resource")
    expired = Reach(OWNER, "outsourcing", grant.resources, grant.permissions, NOW)
    assert ask(BOB, "srv-1", "scw-owner", others=(expired,)) == Answer(False, "no_access")


def test_an_organization_reached_twice_answers_with_whichever_reach_covers_the_action() -> None:
    narrow = Reach(OWNER, "outsourcing", frozenset({"srv-1"}), frozenset({"read"}))
    assert ask(BOB, "srv-1", "scw-owner", others=(narrow, Reach(OWNER, "organization_member"))) == Answer(
        True, "organization_member")


def test_a_yes_from_the_accounts_own_contexts_reads_nobody_elses() -> None:
    def untouched() -> Iterator[Reach]:
        raise AssertionError("the other reaches were read")
        yield  # pragma: no cover

    assert ask(OWNER, "srv-1", others=untouched()) == Answer(True, "owner")
    assert ask(OWNER, "srv-9", "scw-owner", others=untouched()) == Answer(False, "unknown_resource")
