"""Choosing a console, switching, and the single-use hand-off code a console exchanges.

Besides its own contexts, an account reaches those of the organizations it is a member of and
of the owners who granted it outsourcing (unexpired): it can open them in the console, which then
asks POST /authz/check before each action.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from gatehouse.domain.accounts import ConsoleContext
from gatehouse.domain.secrets import digest, new_token
from gatehouse.errors import ActionRequiredError, InvalidCodeError, InvalidInputError
from gatehouse.flows.sessions import Authenticated, SessionService
from gatehouse.ports import AccountRepository, Clock, OneTimeItem, OneTimeStore, OrganizationStore
from gatehouse.settings import Settings

KIND = "handoff"


class Consoles:
    def __init__(self, accounts: AccountRepository, once: OneTimeStore, sessions: SessionService, clock: Clock,
                 settings: Settings, organizations: OrganizationStore | None = None) -> None:
        self._accounts, self._once, self._sessions, self._clock, self._s = accounts, once, sessions, clock, settings
        self._organizations = organizations

    def _shared(self, auth: Authenticated) -> list[tuple[ConsoleContext, str, str]]:
        """(context, its owner's email, how it is reached) of the contexts other accounts share."""
        if self._organizations is None:
            return []
        email, now = auth.account.email_key, self._clock.now()
        reached = [(m.owner_id, f"organization_{m.role}") for m in self._organizations.memberships(email)]
        reached += [(g.owner_id, "outsourcing") for g in self._organizations.grants_to(email)
                    if g.expires_at is None or g.expires_at > now]
        shared: dict[str, tuple[ConsoleContext, str, str]] = {}
        for owner_id, access in reached:
            owner = self._accounts.get(owner_id)
            if owner is None:
                continue
            for context in owner.contexts:
                shared.setdefault(context.id, (context, owner.email, access))
        return list(shared.values())

    def list(self, auth: Authenticated) -> dict[str, Any]:
        account = auth.account
        shared = self._shared(auth)
        return {
            "consoles": [
                {"id": c.id, "name": c.name, "url": c.url,
                 "contexts": [{"id": x.id, "name": x.name, "legacy_id": x.legacy_id}
                              for x in account.contexts_of(c.id)]
                 + [{"id": x.id, "name": x.name, "legacy_id": x.legacy_id, "owner": owner, "access": access}
                    for x, owner, access in shared if x.console == c.id]}
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
        self._once.put(OneTimeItem(
            kind=KIND, key=digest(code), subject=auth.account.id,
            expires_at=self._clock.now() + timedelta(seconds=self._s.handoff_code_seconds),
            data={"console": console_id, "context": context.id, "account_id": auth.account.id,
                  "aal": auth.session.aal},
        ))
        self._sessions.save(auth.session.evolve(console=console_id, context=context.id))
        separator = "&" if "?" in console.url else "?"
        return {"console": console_id, "context": context.id,
                "redirect_url": f"{console.url}{separator}{urlencode({'code': code})}"}

    def exchange(self, console_id: str, code: str) -> dict[str, Any]:
        """One conditional delete, bound to the console: a used, expired or other console's code fails."""
        item = self._once.consume(KIND, digest(code), self._clock.now(), bound_to={"console": console_id})
        if item is None:
            raise InvalidCodeError("This code is invalid, expired, already used, or meant for another console.")
        account = self._accounts.get(item.data["account_id"])
        if account is None:
            raise InvalidCodeError()
        context = next((c for c in account.contexts if c.id == item.data["context"]), None)
        return {"account_id": account.id, "email": account.email, "console": console_id,
                "context": item.data["context"], "aal": int(item.data.get("aal", 1)),
                "legacy_access": bool(context and context.legacy_access)}
