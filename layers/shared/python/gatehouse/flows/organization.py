"""Organization members and outsourcing, and the access check the consoles ask.

An account is its own organization. Its owner adds members by email: a member reaches the whole
account (role `admin` or `member`, shown to the consoles as the reason). Outsourcing gives
someone, by email, chosen actions on chosen resources only, until an optional expiry. Both are
keyed by email, so a person can be added before they sign up, and both send that person a notice.
Adding either hands over access, so it needs a recent sign-in (on accounts with a second factor),
as managing factors and API keys do, and no pending required action.

The notice goes to a third party, so it says nothing the owner wrote but their email address (no
name, no permission or resource label: whatever they look like, they could be a phishing line),
and an owner sends at most `invitations_per_day` of them (members and grants together). The
notice is sent before anything is stored: an address SES refuses (InvalidEmailError) leaves
neither a member nor a grant behind.

`check` is what a console asks before acting (POST /authz/check, console Basic auth): may this
account do this action on this resource of this context? This gathers the accounts it reaches,
lazily (its own first); the rule is `domain.authorization.authorize`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from gatehouse import messages
from gatehouse.domain.accounts import Account, ConsoleContext, normalise_email
from gatehouse.domain.authorization import OUTSOURCING, Holds, Question, Reach, authorize, held_on_contexts
from gatehouse.domain.delivery import Email
from gatehouse.domain.organization import Grant, Member
from gatehouse.domain.secrets import could_be_id, new_id
from gatehouse.domain.times import iso
from gatehouse.errors import ConditionFailedError, ConflictError, InvalidInputError, NotFoundError, RateLimitedError
from gatehouse.flows.sessions import Authenticated
from gatehouse.ports import AccountRepository, Clock, Mailer, OrganizationStore, ResourceStore, ThrottleStore
from gatehouse.settings import Settings

ROLES = ("admin", "member")
_DAY = 24 * 60 * 60

messages.register("organization_member_added", {
    "en": ("You were added to an organization",
           "$owner added you to their organization as $role: signed in with this address, you reach their "
           "whole account in the Scaleway and Dedibox consoles.\n\nIf you do not know them, contact support."),
    "fr": ("Vous avez été ajouté à une organisation",
           "$owner vous a ajouté à son organisation ($role) : connecté avec cette adresse, vous accédez à tout son "
           "compte dans les consoles Scaleway et Dedibox.\n\nSi vous ne le connaissez pas, contactez le support."),
})
messages.register("outsourcing_granted", {
    "en": ("You were given access to some resources",
           "$owner gave you access to $count resource(s) of their account$until: sign in with this address to "
           "see which, and what you may do with them.\n\nIf you do not know them, contact support."),
    "fr": ("Vous avez reçu un accès à des ressources",
           "$owner vous a donné accès à $count ressource(s) de son compte$until : connectez-vous avec cette adresse "
           "pour voir lesquelles, et ce que vous pouvez en faire.\n\nSi vous ne le connaissez pas, contactez le "
           "support."),
})


def public_member(m: Member) -> dict[str, Any]:
    return {"id": m.id, "email": m.email, "role": m.role, "created_at": iso(m.created_at)}


def public_grant(g: Grant) -> dict[str, Any]:
    return {"id": g.id, "grantee_email": g.grantee_email, "resources": list(g.resources),
            "permissions": list(g.permissions), "created_at": iso(g.created_at),
            "expires_at": iso(g.expires_at) if g.expires_at else None}


class Organization:
    def __init__(self, store: OrganizationStore, accounts: AccountRepository, mailer: Mailer, clock: Clock,
                 settings: Settings, max_members: int = 100, max_grants: int = 200, *,
                 throttle: ThrottleStore, resources: ResourceStore) -> None:
        self._store, self._accounts, self._mailer, self._clock, self._s = store, accounts, mailer, clock, settings
        self._max_members, self._max_grants, self._throttle = max_members, max_grants, throttle
        self._resources = resources

    # --- members ---
    def members(self, auth: Authenticated) -> dict[str, Any]:
        return {"members": [public_member(m) for m in self._store.members(auth.session.account_id)]}

    def _handing_over(self, auth: Authenticated, now: datetime, email: str, field: str, held: int,
                      limit: int) -> tuple[Account, str]:
        """What adding a member and granting share: nothing pending, a recent sign-in, not to oneself,
        within a limit."""
        auth.require_no_pending_actions("share your account")
        auth.require_recent_sign_in(now, self._s.mfa_reauth_seconds)
        owner, email = auth.account, normalise_email(email)
        if email == owner.email_key:
            raise InvalidInputError({field: "You already own this account."})
        if held >= limit:
            raise ConflictError(f"An account has at most {limit} of these: remove one first.")
        return owner, email

    def _notify(self, owner: Account, now: datetime, notice: Email) -> None:
        """Count the notice against the owner's day, then send it; SES's refusal (InvalidEmailError)
        reaches the caller before anything is stored."""
        if self._throttle.hit(f"msg:handover:{owner.id}", now, _DAY) > self._s.invitations_per_day:
            raise RateLimitedError(_DAY - int(now.timestamp()) % _DAY,
                                   f"At most {self._s.invitations_per_day} invitations and grants a day: "
                                   "try again tomorrow.")
        self._mailer.send(notice)

    def add_member(self, auth: Authenticated, email: str, role: str) -> dict[str, Any]:
        now = self._clock.now()
        members = self._store.members(auth.session.account_id)
        owner, email = self._handing_over(auth, now, email, "email", len(members), self._max_members)
        if any(m.email == email for m in members):
            raise ConflictError("This address is already a member of your organization.")
        member = Member(id=new_id("mem"), owner_id=owner.id, email=email, role=role, created_at=now)
        self._notify(owner, now, messages.email("organization_member_added", email, owner.locale,
                                                owner=messages.Plain(owner.email), role=role))
        try:
            self._store.add_member(member)
        except ConditionFailedError:  # a concurrent request added them first: they were told twice
            raise ConflictError("This address is already a member of your organization.") from None
        return {"id": member.id}

    def remove_member(self, auth: Authenticated, member_id: str) -> None:
        if not could_be_id(member_id) or not self._store.remove_member(auth.session.account_id, member_id):
            raise NotFoundError("Your organization has no such member.")

    # --- outsourcing ---
    def grants(self, auth: Authenticated) -> dict[str, Any]:
        return {"outsourcing": [public_grant(g) for g in self._store.grants(auth.session.account_id)]}

    def grant(self, auth: Authenticated, grantee_email: str, resources: Sequence[str], permissions: Sequence[str],
              expires_at: datetime | None) -> dict[str, Any]:
        now = self._clock.now()
        expires_at = expires_at.astimezone(UTC) if expires_at is not None else None
        if expires_at is not None and expires_at <= now:
            raise InvalidInputError({"expires_at": "Give a time in the future (RFC 3339, with its zone)."})
        owner, email = self._handing_over(auth, now, grantee_email, "grantee_email",
                                          len(self._store.grants(auth.session.account_id)), self._max_grants)
        grant = Grant(id=new_id("grt"), owner_id=owner.id, grantee_email=email,
                      resources=tuple(dict.fromkeys(r.strip() for r in resources)),
                      permissions=tuple(dict.fromkeys(p.strip() for p in permissions)),
                      created_at=now, expires_at=expires_at)
        until = f", until {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else ""
        self._notify(owner, now, messages.email("outsourcing_granted", email, owner.locale,
                                                owner=messages.Plain(owner.email), count=str(len(grant.resources)),
                                                until=until))
        self._store.add_grant(grant)
        return {"id": grant.id}

    def remove_grant(self, auth: Authenticated, grant_id: str) -> None:
        if not could_be_id(grant_id) or not self._store.remove_grant(auth.session.account_id, grant_id):
            raise NotFoundError("Your account has no such outsourcing grant.")

    # --- the consoles' question ---
    def check(self, asking_console: str, account_id: str, console: str, context: str | None, resource: str,
              action: str) -> dict[str, Any]:
        actor = self._accounts.get(account_id) if could_be_id(account_id) and console == asking_console else None
        question = Question(asking_console, console, context, resource, action)
        return authorize(question, actor, self._reached(actor), self._clock.now(), self._holds()).as_dict()

    def _holds(self) -> Holds:
        """The resources the consoles registered (PUT /consoles/resources) and the unifier imported,
        one read per owner asked about; an older unified account's, on its contexts, need none."""
        seen: dict[tuple[str, tuple[str, ...]], bool] = {}

        def holds(owner: Account, contexts: Sequence[ConsoleContext], resource: str) -> bool:
            if held_on_contexts(owner, contexts, resource):
                return True
            key = (owner.id, tuple(c.id for c in contexts))
            if key not in seen:
                seen[key] = self._resources.holds(owner.id, key[1], resource)
            return seen[key]

        return holds

    def _reached(self, actor: Account | None) -> Iterator[Reach]:
        """Whose contexts the actor reaches besides its own, read only as far as the rule asks."""
        if actor is None:
            return
        owners: dict[str, Account | None] = {}

        def owner_of(owner_id: str) -> Account | None:  # one read per owner, however many grants
            if owner_id not in owners:
                owners[owner_id] = self._accounts.get(owner_id)
            return owners[owner_id]

        for m in self._store.memberships(actor.email_key):
            if (owner := owner_of(m.owner_id)) is not None:
                yield Reach(owner, f"organization_{m.role}")
        for g in self._store.grants_to(actor.email_key):
            if (owner := owner_of(g.owner_id)) is not None:
                yield Reach(owner, OUTSOURCING, frozenset(g.resources), frozenset(g.permissions), g.expires_at)
