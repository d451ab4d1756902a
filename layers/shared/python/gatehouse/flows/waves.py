"""Reading the accounts of a wave in one state: a query per page of up to 1,000, handed out in batches.

Big pages keep the queries few (a wave of 100,000 is 100 of them); small batches keep each write
(a transaction of 100, a bulk email of 50) within its service's limits and each retry small.

Also the one place the flows turn the store's state items into `UnifiedState` and back: the port
still exchanges mappings (`UnifiedState.to_mapping`'s form) until its adapters take the type.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gatehouse.domain.unification_state import UnifiedState
from gatehouse.ports import UnificationStore

PAGE_SIZE = 1000


def batches(store: UnificationStore, wave: str, state: str, batch_size: int,
            page_size: int = PAGE_SIZE) -> Iterator[list[UnifiedState]]:
    """The wave's accounts in `state`, `batch_size` at a time (the last batch may be short), across
    pages. Items the caller moves to another state while it reads are not read twice: the cursor is
    a position, not an offset."""
    cursor: Any = None
    pending: list[UnifiedState] = []
    while True:
        items, cursor = store.page(wave, state, max(page_size, batch_size), cursor)
        pending += [UnifiedState.from_mapping(i) for i in items]
        while len(pending) >= batch_size or (cursor is None and pending):
            yield pending[:batch_size]
            pending = pending[batch_size:]
        if cursor is None:
            return


def plan_states(store: UnificationStore, states: list[UnifiedState]) -> int:
    """`plan_accounts` of these states: how many were new."""
    return store.plan_accounts([s.to_mapping() for s in states])


def state_of(store: UnificationStore, unified_key: str) -> UnifiedState | None:
    found = store.get_states([unified_key]).get(unified_key)
    return UnifiedState.from_mapping(found) if found is not None else None


def state_by_email(store: UnificationStore, email: str) -> UnifiedState | None:
    found = store.find_by_email(email)
    return UnifiedState.from_mapping(found) if found is not None else None
