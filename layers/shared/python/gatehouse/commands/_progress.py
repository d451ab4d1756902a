"""Progress bars for the operator's commands: a unification moves 100,000s of accounts."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def bar(desc: str, total: int | None = None, unit: str = "accounts",
        delay: float = 0.5) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (stdout keeps the command's JSON), shown once a command has run
    half a second; yields `advance(n)`."""
    from tqdm import tqdm

    with tqdm(total=total, desc=desc, unit=f" {unit}", file=sys.stderr, mininterval=0.5, delay=delay,
              dynamic_ncols=True) as progress:
        yield progress.update


def lines_of(path: str) -> int:
    """Count a file's lines (fast, streamed) so an import's bar has a total."""
    count = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            count += block.count(b"\n")
    return count


def tracked(lines: Any, advance: Callable[[int], None]) -> Iterator[str]:
    for line in lines:
        advance(1)
        yield line
