"""Organization members and outsourcing, and the access check the consoles ask.

An account is its own organization. Its owner adds members by email: a member reaches the whole
account (role `admin` or `member`, shown to the consoles as the reason). Outsourcing gives
someone, by email, chosen actions on chosen resources only, until an optional expiry. Both are
keyed by email, so a person can be added before they sign up, and both send that person a notice.
Adding either hands over access, so it needs a recent sign-in (on accounts with a second factor),
as managing factors and API keys do.

`check` is what a console asks before acting (POST /authz/check, console Basic auth): may this
account do this action on this resource of this context? The context names whose resource it
is: one of the account's own contexts, or one of an organization it belongs to or was granted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from gatehouse import messages
from gatehouse.adapters.codec import iso
from gatehouse.domain.accounts import Account, normalise_email
from gatehouse.domain.secrets import could_be_id, new_id
from gatehouse.errors import ConditionFailedError, ConflictError, InvalidInputError, NotFoundError
from gatehouse.flows.sessions import Authenticated
from gatehouse.ports import AccountRepository, Clock, Grant, Mailer, Member, OrganizationStore
from gatehouse.settings import Settings

ROLES = ("admin", "member")

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
           "$owner gave you access to $count resource(s) of their account ($permissions)$until.\n\n"
           "If you do not know them, contact support."),
    "fr": ("Vous avez reçu un accès à des ressources",
           "$owner vous a donné accès à $count ressource(s) de son compte ($permissions)$until.\n\n"
           "Si vous ne le connaissez pas, contactez le support."),
})


def public_member(m: Member) -> dict[str, Any]:
    return {"id": m.id, "email": m.email, "role": m.role, "created_at": iso(m.created_at)}


def public_grant(g: Grant) -> dict[str, Any]:
    return {"id": g.id, "grantee_email": g.grantee_email, "resources": list(g.resources),
            "permissions": list(g.permissions), "created_at": iso(g.created_at),
            "expires_at": iso(g.expires_at) if g.expires_at else None}


class Organization:
    def __init__(self, store: OrganizationStore, accounts: AccountRepository, mailer: Mailer, clock: Clock,
                 settings: Settings, max_members: int = 100, max_grants: int = 200) -> None:
        self._store, self._accounts, self._mailer, self._clock, self._s = store, accounts, mailer, clock, settings
        self._max_members, self._max_grants = max_members, max_grants

    # --- members ---
    def members(self, auth: Authenticated) -> dict[str, Any]:
        return {"members": [public_member(m) for m in self._store.members(auth.session.account_id)]}

    def _handing_over(self, auth: Authenticated, now: datetime, email: str, field: str, held: int,
                      limit: int) -> tuple[Account, str]:
        """What adding a member and granting share: a recent sign-in, not to oneself, within a limit."""
        auth.require_recent_sign_in(now, self._s.mfa_reauth_seconds)
        owner, email = auth.account, normalise_email(email)
        if email == owner.email_key:
            raise InvalidInputError({field: "You already own this account."})
        if held >= limit:
            raise ConflictError(f"An account has at most {limit} of these: remove one first.")
        return owner, email

    def add_member(self, auth: Authenticated, email: str, role: str) -> dict[str, Any]:
        now = self._clock.now()
        owner, email = self._handing_over(auth, now, email, "email", len(self._store.members(auth.session.account_id)),
                                          self._max_members)
        member = Member(id=new_id("mem"), owner_id=owner.id, email=email, role=role, created_at=now)
        try:
            self._store.add_member(member)
        except ConditionFailedError:
            raise ConflictError("This address is already a member of your organization.") from None
        self._mailer.send(messages.email("organization_member_added", email, owner.locale,
                                         owner=owner.name or owner.email, role=role))
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
        self._store.add_grant(grant)
        until = f", until {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else ""
        self._mailer.send(messages.email("outsourcing_granted", email, owner.locale, owner=owner.name or owner.email,
                                         count=str(len(grant.resources)),
                                         permissions=", ".join(grant.permissions), until=until))
        return {"id": grant.id}

    def remove_grant(self, auth: Authenticated, grant_id: str) -> None:
        if not could_be_id(grant_id) or not self._store.remove_grant(auth.session.account_id, grant_id):
            raise NotFoundError("Your account has no such outsourcing grant.")

    # --- the consoles' question ---
    def check(self, asking_console: str, account_id: str, console: str, context: str | None, resource: str,
              action: str) -> dict[str, Any]:
        """Whose resource it is comes from the context; then: the owner, a member, or a grant covering
        this resource and action, not expired. Anything else, and any doubt, is a refusal."""
        if console != asking_console:
            return _answer(False, "other_console")
        actor = self._accounts.get(account_id) if could_be_id(account_id) else None
        if actor is None:
            return _answer(False, "unknown_account")
        own = [c.id for c in actor.contexts_of(console)]
        if context is None or context in own:
            return _answer(bool(own), "owner" if own else "no_context")
        for m in self._store.memberships(actor.email_key):
            if _has_context(self._accounts.get(m.owner_id), console, context):
                return _answer(True, f"organization_{m.role}")
        now = self._clock.now()
        for g in self._store.grants_to(actor.email_key):
            if (g.expires_at is None or g.expires_at > now) and resource in g.resources \
                    and action in g.permissions and _has_context(self._accounts.get(g.owner_id), console, context):
                return _answer(True, "outsourcing")
        return _answer(False, "no_access")


def _has_context(owner: Account | None, console: str, context: str) -> bool:
    return owner is not None and any(c.id == context for c in owner.contexts_of(console))


def _answer(allowed: bool, reason: str) -> dict[str, Any]:
    return {"allowed": allowed, "reason": reason}
