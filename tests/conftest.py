"""Markers by folder: everything under tests/e2e is `e2e`; Hypothesis without a per-example deadline."""

from __future__ import annotations

import pytest
from gatehouse.adapters import aws
from hypothesis import settings

# moto accepts some parameters DynamoDB refuses: the tests' clients validate every call's parameters
# against the model, the deployed ones do not (gatehouse/adapters/aws.py says why).
aws.PARAMETER_VALIDATION = True

# Property tests check outcomes, not speed: on a loaded 2-core CI machine Hypothesis' default 200 ms
# deadline per example failed tests that were right (timing is `make bench`'s job).
settings.register_profile("gatehouse", deadline=None)
settings.load_profile("gatehouse")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
