"""Choosing a console, switching, and the single-use hand-off code a console exchanges.

Besides its own contexts, an account reaches those of the organizations it is a member of and
of the owners who granted it outsourcing (unexpired): it can open them in the console, which then
asks POST /authz/check before each action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from gatehouse.domain.accounts import ConsoleContext, Resource
from gatehouse.domain.one_time import OneTimeItem
from gatehouse.domain.organization import Grant
from gatehouse.domain.secrets import digest, new_token
from gatehouse.errors import (
    ActionRequiredError,
    ConditionFailedError,
    InvalidCodeError,
    InvalidInputError,
    NotAuthenticatedError,
)
from gatehouse.flows.sessions import Authenticated, SessionService
from gatehouse.ports import AccountRepository, Clock, ConsoleRoundTrips, OneTimeStore, OrganizationStore, ResourceStore
from gatehouse.settings import Settings

KIND = "handoff"


def _resource(r: Resource) -> dict[str, str]:
    return {"id": r.id, "kind": r.kind, "name": r.name}


@dataclass(frozen=True)
class _Shared:
    """Another account's context this one reaches: whose, how, and what of it (a grant's actions)."""

    context: ConsoleContext
    owner: str
    access: str
    resources: list[Resource]
    permissions: list[str] | None = None

    def as_dict(self) -> dict[str, Any]:
        x = self.context
        shown: dict[str, Any] = {"id": x.id, "name": x.name, "legacy_id": x.legacy_id, "owner": self.owner,
                                 "access": self.access, "resources": [_resource(r) for r in self.resources]}
        if self.permissions is not None:
            shown["permissions"] = self.permissions
        return shown


class Consoles:
    def __init__(self, accounts: AccountRepository, once: OneTimeStore, sessions: SessionService, clock: Clock,
                 settings: Settings, organizations: OrganizationStore | None = None,
                 resources: ResourceStore | None = None, trips: ConsoleRoundTrips | None = None) -> None:
        self._accounts, self._once, self._sessions, self._clock, self._s = accounts, once, sessions, clock, settings
        self._organizations, self._resources, self._trips = organizations, resources, trips

    def _resources_of(self, account_id: str, context: ConsoleContext) -> list[Resource]:
        """A context's resources: those a console registered (their own items) and, for an account
        unified before they had them, those kept on the context itself."""
        found = {r.id: r for r in context.resources}
        if self._resources is not None:
            found.update((r.id, r) for r in self._resources.list(account_id, context.id))
        return list(found.values())

    def _shared(self, auth: Authenticated) -> list[tuple[ConsoleContext, str, str]]:
        """(context, its owner's email, how it is reached) of the contexts other accounts share."""
        return [(x.context, x.owner, x.access) for x in self._shared_contexts(auth)]

    def _shared_contexts(self, auth: Authenticated) -> list[_Shared]:
        """The contexts other accounts share with this one, each once: a membership reaches the whole
        account (it wins over any grant of the same owner); an owner's live grants add up. A grant
        shows on the contexts that hold its resources, and, for the ids no context of the owner lists
        (typed by hand), on the contexts whose resources Gatehouse was never told."""
        if self._organizations is None:
            return []
        email, now = auth.account.email_key, self._clock.now()
        whole: dict[str, str] = {}
        for m in self._organizations.memberships(email):
            whole.setdefault(m.owner_id, f"organization_{m.role}")
        granted: dict[str, list[Grant]] = {}
        for g in self._organizations.grants_to(email):
            if g.owner_id not in whole and (g.expires_at is None or g.expires_at > now):
                granted.setdefault(g.owner_id, []).append(g)
        shared: dict[str, _Shared] = {}
        for owner_id in [*whole, *granted]:
            owner = self._accounts.get(owner_id)
            if owner is None:
                continue
            held_by = {context.id: self._resources_of(owner.id, context) for context in owner.contexts}
            if owner_id in whole:
                for context in owner.contexts:
                    shared.setdefault(context.id, _Shared(context, owner.email, whole[owner_id],
                                                          held_by[context.id]))
                continue
            grants = granted[owner_id]
            listed = {r.id for rs in held_by.values() for r in rs}
            for context in owner.contexts:
                context_resources = held_by[context.id]
                # Per grant: the resources of this context it names (or, for a context that lists none,
                # the ids it names that no context lists); its actions count where it holds something.
                held: dict[str, Resource] = {}
                permissions: set[str] = set()
                for g in grants:
                    mine = ([r for r in context_resources if r.id in g.resources] if context_resources
                            else [Resource(i, "", i) for i in g.resources if i not in listed])
                    if mine:
                        held.update((r.id, r) for r in mine)
                        permissions.update(g.permissions)
                if held:
                    shared.setdefault(context.id, _Shared(context, owner.email, "outsourcing", list(held.values()),
                                                          sorted(permissions)))
        return list(shared.values())

    def list(self, auth: Authenticated) -> dict[str, Any]:
        account = auth.account
        shared = self._shared_contexts(auth)
        return {
            "consoles": [
                {"id": c.id, "name": c.name, "url": c.url,
                 "contexts": [{"id": x.id, "name": x.name, "legacy_id": x.legacy_id,
                               "resources": [_resource(r) for r in self._resources_of(account.id, x)]}
                              for x in account.contexts_of(c.id)]
                 + [s.as_dict() for s in shared if s.context.console == c.id]}
                for c in self._s.consoles
            ],
            "current": auth.session.console,
            "context": auth.session.context,
        }

    def _gate(self, auth: Authenticated) -> None:
        if actions := auth.account.required_actions:
            raise ActionRequiredError(required_actions=[a.value for a in actions])

    def check_allowed(self, auth: Authenticated) -> None:
        self._gate(auth)

    def select(self, auth: Authenticated, console_id: str, context_id: str | None) -> dict[str, Any]:
        self._gate(auth)
        console = self._s.console(console_id)
        if console is None:
            raise InvalidInputError({"console": f"Unknown console; choose one of "
                                                f"{', '.join(c.id for c in self._s.consoles)}."})
        contexts = auth.account.contexts_of(console_id)
        context = next((c for c in contexts if c.id == context_id), None) if context_id else next(iter(contexts), None)
        if context is None and context_id:
            shared = (x for x, _, _ in self._shared(auth) if x.console == console_id and x.id == context_id)
            context = next(shared, None)
        if context is None:
            raise InvalidInputError({"context": "This account has no such context in this console."})
        code = new_token()
        # The code carries what its exchange answers, so that the exchange is one conditional delete.
        item = OneTimeItem(
            kind=KIND, key=digest(code), subject=auth.account.id,
            expires_at=self._clock.now() + timedelta(seconds=self._s.handoff_code_seconds),
            data={"console": console_id, "context": context.id, "account_id": auth.account.id,
                  "aal": auth.session.aal, "email": auth.account.email,
                  # A shared context never opens its owner's legacy console.
                  "legacy_access": any(c.id == context.id and c.legacy_access for c in auth.account.contexts)},
        )
        session = auth.session.evolve(console=console_id, context=context.id)
        try:
            if self._trips is not None:  # both in one write
                self._trips.put_with_session(item, session)
            else:
                self._sessions.save(session)
                self._once.put(item)
        except ConditionFailedError as exc:  # logged out meanwhile: no code for an ended session
            raise NotAuthenticatedError() from exc
        separator = "&" if "?" in console.url else "?"
        return {"console": console_id, "context": context.id,
                "redirect_url": f"{console.url}{separator}{urlencode({'code': code})}"}

    def exchange(self, console_id: str, code: str) -> dict[str, Any]:
        """One conditional delete, bound to the console: a used, expired or other console's code fails."""
        item = self._once.consume(KIND, digest(code), self._clock.now(), bound_to={"console": console_id})
        if item is None:
            raise InvalidCodeError("This code is invalid, expired, already used, or meant for another console.")
        if "email" in item.data:
            email, legacy_access = str(item.data["email"]), bool(item.data.get("legacy_access"))
        else:  # a code stored before it carried its answer (a minute's worth, at a deployment)
            account = self._accounts.get(item.data["account_id"])
            if account is None:
                raise InvalidCodeError()
            context = next((c for c in account.contexts if c.id == item.data["context"]), None)
            email, legacy_access = account.email, bool(context and context.legacy_access)
        return {"account_id": item.data["account_id"], "email": email, "console": console_id,
                "context": item.data["context"], "aal": int(item.data.get("aal", 1)),
                "legacy_access": legacy_access}
