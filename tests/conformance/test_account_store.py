"""The account store behaves the same as a fake and on DynamoDB: one account per email and alias, all or nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from gatehouse.domain.accounts import Account
from gatehouse.errors import ConditionFailedError, ConflictError

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _account(email: str | None = None) -> Account:
    uid = uuid.uuid4().hex[:10]
    return Account(id=f"acc_{uid}", email=email or f"{uid}@Example.com", created_at=NOW, password_hash="h")


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


@pytest.mark.parametrize(("stored", "typed"), [("xT\u0308@Example.com", "x\u1e97@example.com"),
                                               ("x\u212b@example.com", " X\u00c5@EXAMPLE.com ")])
def test_the_email_claim_is_the_one_normalised_key_whatever_the_spelling(accounts, stored: str, typed: str) -> None:
    # "T" + U+0308 lowers to "t" + U+0308, which composes to "ẗ": one address, one claim.
    uid = uuid.uuid4().hex[:8]
    account = _account(stored.replace("@", f"{uid}@"))
    accounts.add(account)
    assert accounts.get_by_email(typed.replace("@", f"{uid}@")).id == account.id
