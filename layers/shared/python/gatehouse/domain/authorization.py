"""The rule behind POST /authz/check: may this account do this action on this resource?

Pure: the flow gathers the accounts whose contexts the asker reaches (its own, the organizations
it is a member of, the owners who granted it outsourcing) and this decides. A resource is known
only if it is one of the resources of a reached context (of the console asked about, and of the
named context when the console names one); anything unknown, expired or not covered is refused,
and the reason says which.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from gatehouse.domain.accounts import Account, ConsoleContext

# Whether any of these contexts of this owner holds the resource: the flow asks its store (each
# resource is its own item), and the contexts' own `resources` (older unified accounts) count too.
Holds = Callable[[Account, Sequence[ConsoleContext], str], bool]


def held_on_contexts(owner: Account, contexts: Sequence[ConsoleContext], resource: str) -> bool:
    return any(r.id == resource for c in contexts for r in c.resources)

OWNER = "owner"
OUTSOURCING = "outsourcing"


@dataclass(frozen=True)
class Question:
    asking_console: str  # the console whose credentials asked
    console: str
    context: str | None
    resource: str
    action: str


@dataclass(frozen=True)
class Reach:
    """One way the asker reaches an owner's contexts. `access` is the reason a yes gives: `owner`,
    `organization_<role>` or `outsourcing`; a grant also limits resources, actions and time."""

    owner: Account
    access: str
    resources: frozenset[str] | None = None
    permissions: frozenset[str] | None = None
    expires_at: datetime | None = None

    def live(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now

    def covers(self, resource: str, action: str) -> bool:
        return (self.resources is None or resource in self.resources) and (
            self.permissions is None or action in self.permissions)


@dataclass(frozen=True)
class Answer:
    allowed: bool
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"allowed": self.allowed, "reason": self.reason}


def authorize(q: Question, actor: Account | None, others: Iterable[Reach], now: datetime,
              holds: Holds = held_on_contexts) -> Answer:
    """The asker's own contexts first, then `others` in order (consumed lazily: the flow may load
    them on demand, and a yes from the asker's own contexts loads nothing).

    Reasons: `other_console` (a console asks about another), `unknown_account`, `no_context` (no
    context of this console is reached at all), `no_access` (the named context is not reached, or
    the reach does not cover this resource and action, or has expired), `unknown_resource` (no
    reached context holds the resource: another account's resource, or another context's when the
    console names one); a yes gives the reach's `access`. `holds` says whether a reach's contexts
    hold the resource, asked once per reach that gets that far.
    """
    if q.console != q.asking_console:
        return Answer(False, "other_console")
    if actor is None:
        return Answer(False, "unknown_account")
    reached_context = holds_resource = False
    for reach in _chain(Reach(actor, OWNER), others):
        contexts = [c for c in reach.owner.contexts_of(q.console) if q.context is None or c.id == q.context]
        if not contexts or not reach.live(now):
            continue
        reached_context = True
        if holds(reach.owner, contexts, q.resource):
            holds_resource = True
            if reach.covers(q.resource, q.action):
                return Answer(True, reach.access)
        if reach.access == OWNER and q.context is not None:
            break  # the named context is the asker's own: nobody else's reach can hold it
    if holds_resource:
        return Answer(False, "no_access")
    if reached_context:
        return Answer(False, "unknown_resource")
    return Answer(False, "no_access" if q.context is not None else "no_context")


def _chain(first: Reach, rest: Iterable[Reach]) -> Iterable[Reach]:
    yield first
    yield from rest
