"""Markers by folder: everything under tests/e2e is `e2e`; Hypothesis without a per-example deadline."""

from __future__ import annotations

import pytest
from hypothesis import settings

# The property tests check what the code does, not how fast: on a machine shared with other runs a
# first example can take 300 ms, and the default 200 ms deadline then fails a correct run.
settings.register_profile("gatehouse", deadline=None)
settings.load_profile("gatehouse")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
