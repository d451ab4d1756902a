"""The resources a console registers in its contexts, so that POST /authz/check knows them.

A console creates a server, a domain, ... in a context of an account, then registers it here
(PUT /consoles/resources, console Basic auth); from then on the check answers for it (owner,
members, grantees as the rules say); once the console deletes it here, the check no longer knows
it. A console registers only in its own console's contexts. Registering the same id again updates
its kind and name (a console may retry, or sync, freely); a context holds at most
`resources_per_context` of them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gatehouse.domain.accounts import Account, ConsoleContext, Resource
from gatehouse.domain.secrets import could_be_id
from gatehouse.errors import ConditionFailedError, ConflictError, ForbiddenError, NotFoundError
from gatehouse.ports import AccountRepository, ResourceStore
from gatehouse.settings import Settings


def public_resource(r: Resource) -> dict[str, Any]:
    return {"id": r.id, "kind": r.kind, "name": r.name}


class ConsoleResources:
    def __init__(self, store: ResourceStore, accounts: AccountRepository, settings: Settings) -> None:
        self._store, self._accounts, self._s = store, accounts, settings

    def _context(self, asking_console: str, account_id: str, context_id: str) -> tuple[Account, ConsoleContext]:
        account = self._accounts.get(account_id) if could_be_id(account_id) else None
        context = next((c for c in account.contexts if c.id == context_id), None) if account else None
        if account is None or context is None:
            raise NotFoundError("No such account, or it has no such context.")
        if context.console != asking_console:
            raise ForbiddenError(f"This context is the {context.console} console's: a console registers "
                                 "resources in its own contexts only.")
        return account, context

    def register(self, asking_console: str, account_id: str, context_id: str, resource: Resource) -> dict[str, Any]:
        account, context = self._context(asking_console, account_id, context_id)
        limit = self._s.resources_per_context
        try:
            created = self._store.put(account.id, context.id, resource, limit)
        except ConditionFailedError:
            raise ConflictError(f"A context holds at most {limit} resources: delete one first.") from None
        return {"account_id": account.id, "context": context.id, "resource": public_resource(resource),
                "created": created}

    def remove(self, asking_console: str, account_id: str, context_id: str, resource_id: str) -> None:
        account, context = self._context(asking_console, account_id, context_id)
        removed = self._store.delete(account.id, context.id, resource_id)
        if any(r.id == resource_id for r in context.resources):
            self._forget_imported(account, context.id, resource_id)
            removed = True
        if not removed:
            raise NotFoundError("This context holds no such resource.")

    def _forget_imported(self, account: Account, context_id: str, resource_id: str) -> None:
        """Accounts unified before resources had their own items keep theirs on the context: drop it there."""
        for _ in range(3):
            contexts = tuple(c if c.id != context_id else
                             replace(c, resources=tuple(r for r in c.resources if r.id != resource_id))
                             for c in account.contexts)
            try:
                self._accounts.save(account.evolve(contexts=contexts))
                return
            except ConditionFailedError:
                fresh = self._accounts.get(account.id)
                if fresh is None:
                    return
                account = fresh
        raise ConflictError("The account changed meanwhile: try again.")
