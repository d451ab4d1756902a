"""Reading the accounts of a wave in one state: a query per page of up to 1,000, handed out in batches.

Big pages keep the queries few (a wave of 100,000 is 100 of them); small batches keep each write
(a transaction of 100, a bulk email of 50) within its service's limits and each retry small.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gatehouse.ports import UnificationStore

PAGE_SIZE = 1000


def batches(store: UnificationStore, wave: str, state: str, batch_size: int,
            page_size: int = PAGE_SIZE) -> Iterator[list[dict[str, Any]]]:
    """The wave's accounts in `state`, `batch_size` at a time (the last batch may be short), across
    pages. Items the caller moves to another state while it reads are not read twice: the cursor is
    a position, not an offset."""
    cursor: Any = None
    pending: list[dict[str, Any]] = []
    while True:
        items, cursor = store.page(wave, state, max(page_size, batch_size), cursor)
        pending += items
        while len(pending) >= batch_size or (cursor is None and pending):
            yield pending[:batch_size]
            pending = pending[batch_size:]
        if cursor is None:
            return
