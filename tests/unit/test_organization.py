"""Organization members, outsourcing and the consoles' access check over fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from gatehouse.api.errors import to_response_parts
from gatehouse.bootstrap import Container
from gatehouse.domain.accounts import Account, Resource, new_account_contexts
from gatehouse.domain.delivery import Email
from gatehouse.errors import (
    ActionRequiredError,
    ConflictError,
    InvalidEmailError,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
    ReauthenticationRequiredError,
)

from tests.bench.unification import PASSWORD as LEGACY_PASSWORD
from tests.bench.unification import generate_lines
from tests.unit.conftest import FAST

PASSWORD = "a quiet harbour at dawn"


@pytest.fixture
def c() -> Container:
    return Container.in_memory(FAST)


def _account(c: Container, email: str, scaleway: tuple[str, ...] = (), dedibox: tuple[str, ...] = (),
             **fields: object) -> Account:
    """An account with one context in each console, holding these resources."""
    account_id = f"acc_{abs(hash(email)) % 10**12:012d}"
    held = {"scaleway": scaleway, "dedibox": dedibox}
    contexts = tuple(replace(x, resources=tuple(Resource(r, "server", r) for r in held[x.console]))
                     for x in new_account_contexts(account_id, "", ["scaleway", "dedibox"]))
    account = Account(id=account_id, email=email, created_at=c.clock.now(), password_hash=c.hasher.hash(PASSWORD),
                      email_verified=True, name=email.split("@")[0].title(), contexts=contexts)
    account = account.evolve(**fields)
    c.accounts.add(account)
    return account


def _owner(c: Container, email: str = "owner@example.com", **fields: object) -> Account:
    return _account(c, email, ("srv-1", "db-9"), ("sd-1",), **fields)


def _signed_in(c: Container, account: Account):
    return c.sessions.authenticate(c.login.login(account.email, PASSWORD, ip="10.0.0.1").token)


def _context(account: Account, console: str = "scaleway") -> str:
    return account.contexts_of(console)[0].id


def check(c: Container, actor: Account, owner: Account, resource: str = "srv-1", action: str = "reboot",
          console: str = "scaleway") -> dict:
    return c.organization.check(console, actor.id, console, _context(owner, console), resource, action)


def test_a_member_reaches_the_whole_account_until_removed(c: Container) -> None:
    owner, bob = _owner(c), _account(c, "bob@example.com")
    assert check(c, bob, owner) == {"allowed": False, "reason": "no_access"}
    made = c.organization.add_member(_signed_in(c, owner), " Bob@Example.com ", "admin")
    for console, resource in (("scaleway", "db-9"), ("dedibox", "sd-1")):
        assert check(c, bob, owner, resource, "delete", console) == {"allowed": True, "reason": "organization_admin"}
    assert check(c, bob, owner, "anything", "delete") == {"allowed": False, "reason": "unknown_resource"}
    listed = c.organization.members(_signed_in(c, owner))["members"]
    assert [(m["id"], m["email"], m["role"]) for m in listed] == [(made["id"], "bob@example.com", "admin")]
    [notice] = c.mailer.to("bob@example.com")
    assert "owner@example.com added you to their organization as admin" in notice.text
    c.organization.remove_member(_signed_in(c, owner), made["id"])
    assert check(c, bob, owner)["allowed"] is False


def test_an_owner_acts_on_its_own_resources_and_nobody_else_on_them(c: Container) -> None:
    owner, eve = _owner(c), _account(c, "eve@example.com", ("srv-eve",))
    assert check(c, owner, owner) == {"allowed": True, "reason": "owner"}
    assert c.organization.check("scaleway", owner.id, "scaleway", None, "srv-1", "read")["reason"] == "owner"
    assert check(c, eve, owner) == {"allowed": False, "reason": "no_access"}
    # Eve's own account, asked about the owner's resource (the hole: it was `owner`), or one nobody has.
    for resource in ("srv-1", "srv-404"):
        for context in (None, _context(eve)):
            assert c.organization.check("scaleway", eve.id, "scaleway", context, resource, "read") == {
                "allowed": False, "reason": "unknown_resource"}
    assert c.organization.check("scaleway", eve.id, "scaleway", None, "srv-eve", "read")["reason"] == "owner"
    # The owner's Dedibox resource is not one of its Scaleway context's.
    assert check(c, owner, owner, "sd-1")["reason"] == "unknown_resource"
    assert c.organization.check("dedibox", owner.id, "scaleway", None, "srv-1", "read")["reason"] == "other_console"
    assert c.organization.check("scaleway", "acc_nobody", "scaleway", None, "srv-1", "read") == {
        "allowed": False, "reason": "unknown_account"}


def test_outsourcing_covers_only_its_resources_and_actions_and_ends_at_its_time(c: Container) -> None:
    owner, ann = _owner(c), _account(c, "ann@example.com")
    auth = _signed_in(c, owner)
    made = c.organization.grant(auth, "ann@example.com", ["srv-1", "srv-1", "db-9"], ["reboot"],
                                c.clock.now() + timedelta(days=2))
    assert check(c, ann, owner, "srv-1", "reboot") == {"allowed": True, "reason": "outsourcing"}
    assert check(c, ann, owner, "db-9", "reboot")["allowed"] is True
    assert check(c, ann, owner, "srv-2", "reboot") == {"allowed": False, "reason": "unknown_resource"}
    assert check(c, ann, owner, "srv-1", "delete")["allowed"] is False
    [listed] = c.organization.grants(auth)["outsourcing"]
    assert (listed["id"], listed["resources"], listed["permissions"]) == (made["id"], ["srv-1", "db-9"], ["reboot"])
    c.clock.advance(2 * 86400 + 1)
    assert check(c, ann, owner, "srv-1", "reboot")["allowed"] is False


def test_a_removed_grant_stops_at_once_and_only_its_owner_removes_it(c: Container) -> None:
    owner, ann = _owner(c), _account(c, "ann@example.com")
    made = c.organization.grant(_signed_in(c, owner), "ann@example.com", ["srv-1"], ["read"], None)
    with pytest.raises(NotFoundError):
        c.organization.remove_grant(_signed_in(c, ann), made["id"])
    assert check(c, ann, owner, "srv-1", "read")["allowed"] is True
    c.organization.remove_grant(_signed_in(c, owner), made["id"])
    assert check(c, ann, owner, "srv-1", "read")["allowed"] is False
    with pytest.raises(NotFoundError):
        c.organization.remove_grant(_signed_in(c, owner), made["id"])


def test_someone_added_before_signing_up_has_access_once_they_do(c: Container) -> None:
    owner = _owner(c)
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


def _unified(c: Container, prefix: str, accounts: int) -> None:
    """Legacy accounts imported and unified over the fakes, as the operator's commands do."""
    assert not c.unification.import_lines(generate_lines(accounts, prefix)).errors
    c.unification.schedule("w", c.clock.now() - timedelta(minutes=1))
    c.unification_notifier.run()
    c.unifier.run()


def test_the_resources_of_unified_dedibox_contexts_are_known_each_to_its_own_context(c: Container) -> None:
    _unified(c, "r", 6)  # n=5: several Dedibox accounts (a, b) and a Scaleway one, one email
    owner = c.accounts.get_by_email("r-5@example.fr")
    # Each its own item in the resource store, none on the account item (which has a size limit).
    assert [(x.id, [r.id for r in c.resource_store.list(owner.id, x.id)]) for x in owner.contexts_of("dedibox")] == [
        ("dedibox-dbx-r-5a", ["srv-r-5a"]), ("dedibox-dbx-r-5b", ["srv-r-5b"])]
    assert all(x.resources == () for x in owner.contexts)
    ask = c.organization.check
    assert ask("dedibox", owner.id, "dedibox", None, "srv-r-5b", "reboot") == {"allowed": True, "reason": "owner"}
    assert ask("dedibox", owner.id, "dedibox", "dedibox-dbx-r-5a", "srv-r-5a", "reboot")["allowed"] is True
    assert ask("dedibox", owner.id, "dedibox", "dedibox-dbx-r-5a", "srv-r-5b", "reboot") == {
        "allowed": False, "reason": "unknown_resource"}
    # Another unified account's server is not this one's.
    assert ask("dedibox", owner.id, "dedibox", None, "srv-r-0", "reboot")["reason"] == "unknown_resource"
    # Members and grantees of the unified account reach its legacy resources, grantees only those granted.
    bob, ann = _account(c, "bob@example.com"), _account(c, "ann@example.com")
    auth = c.sessions.authenticate(c.login.login(owner.email, LEGACY_PASSWORD, ip="10.0.0.1").token)
    c.organization.add_member(auth, bob.email, "member")
    c.organization.grant(auth, ann.email, ["srv-r-5a"], ["reboot"], None)
    assert ask("dedibox", bob.id, "dedibox", "dedibox-dbx-r-5b", "srv-r-5b", "delete") == {
        "allowed": True, "reason": "organization_member"}
    assert ask("dedibox", ann.id, "dedibox", "dedibox-dbx-r-5a", "srv-r-5a", "reboot") == {
        "allowed": True, "reason": "outsourcing"}
    assert ask("dedibox", ann.id, "dedibox", "dedibox-dbx-r-5b", "srv-r-5b", "reboot") == {
        "allowed": False, "reason": "no_access"}
    assert ask("dedibox", ann.id, "dedibox", "dedibox-dbx-r-5a", "srv-r-5b", "reboot") == {
        "allowed": False, "reason": "unknown_resource"}


def test_while_an_action_is_pending_the_account_can_neither_add_members_nor_grant_nor_make_keys(
        c: Container) -> None:
    owner = _owner(c, email_verified=False)
    auth = _signed_in(c, owner)
    for attempt in (lambda: c.organization.add_member(auth, "bob@example.com", "member"),
                    lambda: c.organization.grant(auth, "ann@example.com", ["srv-1"], ["read"], None),
                    lambda: c.api_keys.create(auth, "ci")):
        with pytest.raises(ActionRequiredError) as refused:
            attempt()
        assert refused.value.details == {"required_actions": ["verify_email"]}
        assert to_response_parts(refused.value)[0] == 403
    assert c.mailer.sent == [] and c.api_key_store.list(owner.id) == []
    assert c.organization.members(auth) == {"members": []} and c.organization.grants(auth) == {"outsourcing": []}


def test_a_third_party_is_told_the_owners_address_and_nothing_else_the_owner_wrote(c: Container) -> None:
    link = '<a href="https://evil.example/login">Reset here</a> https://evil.example'
    owner = _owner(c, "https://evil.example@example.com", name=link, organization=link)
    auth = _signed_in(c, owner)
    c.organization.add_member(auth, "bob@example.com", "member")
    c.organization.grant(auth, "ann@example.com", ["https://evil.example/srv"], ["https://evil.example/do"], None)
    for notice in c.mailer.sent:
        assert "evil.example/" not in notice.text + notice.html and "Reset here" not in notice.text + notice.html
        # The address is shown as it is in the text part, and never becomes a link in the HTML part.
        assert notice.text.startswith("https://evil.example@example.com ")
        assert "https://evil.example@example.com" in notice.html and "<a " not in notice.html


def test_invitations_and_grants_share_a_daily_budget_then_429_until_the_next_day() -> None:
    c = Container.in_memory(FAST.with_overrides(invitations_per_day=3))
    owner = _owner(c)
    auth = _signed_in(c, owner)
    c.organization.add_member(auth, "m1@example.com", "member")
    c.organization.grant(auth, "g1@example.com", ["srv-1"], ["read"], None)
    c.organization.add_member(auth, "m2@example.com", "member")
    for attempt in (lambda: c.organization.add_member(auth, "m3@example.com", "member"),
                    lambda: c.organization.grant(auth, "g2@example.com", ["srv-1"], ["read"], None)):
        with pytest.raises(RateLimitedError) as limited:
            attempt()
        now = int(c.clock.now().timestamp())
        assert limited.value.retry_after == 86400 - now % 86400  # until the UTC day ends
        assert to_response_parts(limited.value)[2] == {"Retry-After": str(limited.value.retry_after)}
    assert len(c.mailer.sent) == 3 and {m["email"] for m in c.organization.members(auth)["members"]} == {
        "m1@example.com", "m2@example.com"}
    assert len(c.organization.grants(auth)["outsourcing"]) == 1
    # Another owner has its own budget; the next day this one has its whole budget again.
    c.organization.add_member(_signed_in(c, _account(c, "other@example.com")), "m3@example.com", "member")
    c.clock.advance(limited.value.retry_after)
    c.organization.add_member(_signed_in(c, owner), "m3@example.com", "member")


class RefusingMailer:
    """SES as it answers for an address it will not deliver to (the adapter turns that into InvalidEmailError)."""

    def __init__(self, refused: str) -> None:
        self.refused, self.sent = refused, []  # type: ignore[var-annotated]

    def send(self, email: Email) -> None:
        if email.to == self.refused:
            raise InvalidEmailError()
        self.sent.append(email)


def test_an_address_ses_refuses_is_a_400_and_leaves_neither_member_nor_grant() -> None:
    c = Container.in_memory(FAST, mailer=RefusingMailer("bounce@example.com"))
    owner = _owner(c)
    auth = _signed_in(c, owner)
    for attempt in (lambda: c.organization.add_member(auth, "Bounce@example.com", "admin"),
                    lambda: c.organization.grant(auth, "bounce@example.com", ["srv-1"], ["read"], None)):
        with pytest.raises(InvalidEmailError) as refused:
            attempt()
        assert to_response_parts(refused.value)[:2] == (400, {"error": {
            "code": "invalid_email", "message": InvalidEmailError.message, "details": {}}})
    assert c.organization.members(auth) == {"members": []} and c.organization.grants(auth) == {"outsourcing": []}
    bounce = _account(c, "bounce@example.com")
    assert check(c, bounce, owner, "srv-1", "read") == {"allowed": False, "reason": "no_access"}
    # The address is not taken by the failed attempt: a good one goes through at once.
    c.organization.add_member(auth, "bob@example.com", "admin")
    assert [m["email"] for m in c.organization.members(auth)["members"]] == ["bob@example.com"]


def test_the_consoles_list_tells_own_contexts_from_shared_ones_and_what_a_grant_reaches(c: Container) -> None:
    owner = _owner(c)  # scaleway: srv-1, db-9; dedibox: sd-1
    ann, bob = _account(c, "ann@example.com"), _account(c, "bob@example.com")
    auth = _signed_in(c, owner)
    c.organization.grant(auth, ann.email, ["srv-1"], ["read"], None)
    c.organization.grant(auth, ann.email, ["db-9", "srv-1"], ["reboot"], None)
    c.organization.grant(auth, ann.email, ["sd-1"], ["read"], c.clock.now() + timedelta(minutes=5))
    c.organization.add_member(auth, bob.email, "admin")
    c.organization.grant(auth, bob.email, ["srv-1"], ["read"], None)

    def contexts(who: Account) -> dict[str, list[dict[str, object]]]:
        return {x["id"]: x["contexts"] for x in c.consoles.list(_signed_in(c, who))["consoles"]}

    own = contexts(owner)
    assert [(x.get("owner"), [r["id"] for r in x["resources"]]) for x in own["scaleway"]] == [
        (None, ["srv-1", "db-9"])]
    shared = contexts(ann)
    assert [(x.get("owner"), x.get("access"), [r["id"] for r in x["resources"]], x.get("permissions"))
            for x in shared["scaleway"]] == [
        (None, None, [], None), (owner.email, "outsourcing", ["srv-1", "db-9"], ["read", "reboot"])]
    assert [x.get("permissions") for x in shared["dedibox"]] == [None, ["read"]]
    # A membership reaches the whole account, whatever the same owner granted besides.
    assert [(x.get("access"), "permissions" in x) for x in contexts(bob)["scaleway"]] == [
        (None, False), ("organization_admin", False)]
    c.clock.advance(6 * 60)  # type: ignore[attr-defined]
    assert [x.get("owner") for x in contexts(ann)["dedibox"]] == [None]


def test_a_grant_of_ids_no_context_lists_shows_on_the_owners_contexts_that_list_none(c: Container) -> None:
    owner = _account(c, "owner@example.com", dedibox=("sd-1",))
    ann = _account(c, "ann@example.com")
    c.organization.grant(_signed_in(c, owner), ann.email, ["typed-1"], ["read"], None)
    listed = {x["id"]: x["contexts"] for x in c.consoles.list(_signed_in(c, ann))["consoles"]}
    assert [(x.get("owner"), [r["id"] for r in x["resources"]]) for x in listed["scaleway"]] == [
        (None, []), (owner.email, ["typed-1"])]
    assert [x.get("owner") for x in listed["dedibox"]] == [None]  # sd-1's context does not hold it


def test_the_consoles_list_shows_the_resources_a_console_registered_to_the_owner_and_a_grantee(c: Container) -> None:
    from gatehouse.domain.accounts import Resource

    owner, ann = _account(c, "owner@example.com"), _account(c, "ann@example.com")
    context = _context(owner)
    c.console_resources.register("scaleway", owner.id, context, Resource("srv-new", "server", "web-1"))
    auth = _signed_in(c, owner)
    c.organization.grant(auth, ann.email, ["srv-new"], ["read"], None)

    def scaleway(who: Account) -> list[dict[str, object]]:
        return next(x["contexts"] for x in c.consoles.list(_signed_in(c, who))["consoles"] if x["id"] == "scaleway")

    assert [[r["id"] for r in x["resources"]] for x in scaleway(owner)] == [["srv-new"]]
    assert [(x.get("owner"), [r["id"] for r in x["resources"]]) for x in scaleway(ann)] == [
        (None, []), (owner.email, ["srv-new"])]
