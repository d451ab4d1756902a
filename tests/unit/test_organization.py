"""Organization members, outsourcing and the consoles' access check over fakes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from gatehouse.bootstrap import Container
from gatehouse.domain.accounts import Account, new_account_contexts
from gatehouse.errors import ConflictError, InvalidInputError, NotFoundError, ReauthenticationRequiredError

from tests.unit.conftest import FAST

PASSWORD = "a quiet harbour at dawn"


@pytest.fixture
def c() -> Container:
    return Container.in_memory(FAST)


def _account(c: Container, email: str) -> Account:
    account_id = f"acc_{abs(hash(email)) % 10**12:012d}"
    account = Account(id=account_id, email=email, created_at=c.clock.now(), password_hash=c.hasher.hash(PASSWORD),
                      email_verified=True, name=email.split("@")[0].title(),
                      contexts=new_account_contexts(account_id, "", ["scaleway", "dedibox"]))
    c.accounts.add(account)
    return account


def _signed_in(c: Container, account: Account):
    return c.sessions.authenticate(c.login.login(account.email, PASSWORD, ip="10.0.0.1").token)


def _context(account: Account, console: str = "scaleway") -> str:
    return account.contexts_of(console)[0].id


def check(c: Container, actor: Account, owner: Account, resource: str = "srv-1", action: str = "reboot",
          console: str = "scaleway") -> dict:
    return c.organization.check(console, actor.id, console, _context(owner, console), resource, action)


def test_a_member_reaches_the_whole_account_until_removed(c: Container) -> None:
    owner, bob = _account(c, "owner@example.com"), _account(c, "bob@example.com")
    assert check(c, bob, owner) == {"allowed": False, "reason": "no_access"}
    made = c.organization.add_member(_signed_in(c, owner), " Bob@Example.com ", "admin")
    for console in ("scaleway", "dedibox"):
        assert check(c, bob, owner, "anything", "delete", console) == {"allowed": True, "reason": "organization_admin"}
    listed = c.organization.members(_signed_in(c, owner))["members"]
    assert [(m["id"], m["email"], m["role"]) for m in listed] == [(made["id"], "bob@example.com", "admin")]
    [notice] = c.mailer.to("bob@example.com")
    assert "Owner added you to their organization as admin" in notice.text
    c.organization.remove_member(_signed_in(c, owner), made["id"])
    assert check(c, bob, owner)["allowed"] is False


def test_an_owner_acts_on_its_own_contexts_and_nobody_else_on_them(c: Container) -> None:
    owner, eve = _account(c, "owner@example.com"), _account(c, "eve@example.com")
    assert check(c, owner, owner) == {"allowed": True, "reason": "owner"}
    assert c.organization.check("scaleway", owner.id, "scaleway", None, "srv-1", "read")["reason"] == "owner"
    assert check(c, eve, owner) == {"allowed": False, "reason": "no_access"}
    assert c.organization.check("dedibox", owner.id, "scaleway", None, "srv-1", "read")["reason"] == "other_console"
    assert c.organization.check("scaleway", "acc_nobody", "scaleway", None, "srv-1", "read") == {
        "allowed": False, "reason": "unknown_account"}


def test_outsourcing_covers_only_its_resources_and_actions_and_ends_at_its_time(c: Container) -> None:
    owner, ann = _account(c, "owner@example.com"), _account(c, "ann@example.com")
    auth = _signed_in(c, owner)
    made = c.organization.grant(auth, "ann@example.com", ["srv-1", "srv-1", "db-9"], ["reboot"],
                                c.clock.now() + timedelta(days=2))
    assert check(c, ann, owner, "srv-1", "reboot") == {"allowed": True, "reason": "outsourcing"}
    assert check(c, ann, owner, "db-9", "reboot")["allowed"] is True
    assert check(c, ann, owner, "srv-2", "reboot") == {"allowed": False, "reason": "no_access"}
    assert check(c, ann, owner, "srv-1", "delete")["allowed"] is False
    [listed] = c.organization.grants(auth)["outsourcing"]
    assert (listed["id"], listed["resources"], listed["permissions"]) == (made["id"], ["srv-1", "db-9"], ["reboot"])
    c.clock.advance(2 * 86400 + 1)
    assert check(c, ann, owner, "srv-1", "reboot")["allowed"] is False


def test_a_removed_grant_stops_at_once_and_only_its_owner_removes_it(c: Container) -> None:
    owner, ann = _account(c, "owner@example.com"), _account(c, "ann@example.com")
    made = c.organization.grant(_signed_in(c, owner), "ann@example.com", ["srv-1"], ["read"], None)
    with pytest.raises(NotFoundError):
        c.organization.remove_grant(_signed_in(c, ann), made["id"])
    assert check(c, ann, owner, "srv-1", "read")["allowed"] is True
    c.organization.remove_grant(_signed_in(c, owner), made["id"])
    assert check(c, ann, owner, "srv-1", "read")["allowed"] is False
    with pytest.raises(NotFoundError):
        c.organization.remove_grant(_signed_in(c, owner), made["id"])


def test_someone_added_before_signing_up_has_access_once_they_do(c: Container) -> None:
    owner = _account(c, "owner@example.com")
    c.organization.add_member(_signed_in(c, owner), "later@example.com", "member")
    later = _account(c, "later@example.com")
    assert check(c, later, owner) == {"allowed": True, "reason": "organization_member"}


def test_refusals_adding_oneself_twice_or_a_past_expiry(c: Container) -> None:
    owner = _account(c, "owner@example.com")
    auth = _signed_in(c, owner)
    with pytest.raises(InvalidInputError):
        c.organization.add_member(auth, "OWNER@example.com", "member")
    c.organization.add_member(auth, "bob@example.com", "member")
    with pytest.raises(ConflictError):
        c.organization.add_member(auth, "bob@example.com", "admin")
    with pytest.raises(InvalidInputError):
        c.organization.grant(auth, "ann@example.com", ["srv-1"], ["read"], c.clock.now() - timedelta(seconds=1))
    assert c.organization.grants(auth) == {"outsourcing": []}


def test_handing_over_access_needs_a_recent_sign_in_once_the_account_has_a_second_factor(c: Container) -> None:
    import pyotp

    owner = _account(c, "owner@example.com")
    auth = _signed_in(c, owner)
    seed = c.mfa.begin(auth, "totp")["secret"]
    c.mfa.finish(auth, "totp", {"code": pyotp.TOTP(seed).at(c.clock.now())})
    c.clock.advance(11 * 60)
    auth = c.sessions.authenticate(auth.token)
    with pytest.raises(ReauthenticationRequiredError):
        c.organization.add_member(auth, "bob@example.com", "admin")
    with pytest.raises(ReauthenticationRequiredError):
        c.organization.grant(auth, "bob@example.com", ["srv-1"], ["read"], None)


def test_shared_contexts_are_offered_in_the_consoles_and_can_be_opened_while_access_lasts(c: Container) -> None:
    owner, bob, ann = (_account(c, f"{n}@example.com") for n in ("owner", "bob", "ann"))
    c.organization.add_member(_signed_in(c, owner), bob.email, "member")
    made = c.organization.grant(_signed_in(c, owner), ann.email, ["srv-1"], ["read"], None)
    for who, access in ((bob, "organization_member"), (ann, "outsourcing")):
        auth = _signed_in(c, who)
        scaleway = next(x for x in c.consoles.list(auth)["consoles"] if x["id"] == "scaleway")
        assert [(x["id"], x.get("owner"), x.get("access")) for x in scaleway["contexts"]] == [
            (_context(who), None, None), (_context(owner), owner.email, access)]
        assert c.consoles.select(auth, "scaleway", _context(owner))["context"] == _context(owner)
    c.organization.remove_grant(_signed_in(c, owner), made["id"])
    with pytest.raises(InvalidInputError):
        c.consoles.select(_signed_in(c, ann), "scaleway", _context(owner))
    with pytest.raises(InvalidInputError):
        c.consoles.select(_signed_in(c, _account(c, "eve@example.com")), "scaleway", _context(owner))
