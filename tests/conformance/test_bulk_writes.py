"""The unifier's bulk writes (API keys, imported resources), which go 100 items a transaction on
DynamoDB, behave the same as fakes past one transaction's worth and with an item given twice."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gatehouse.domain.accounts import Resource
from gatehouse.ports import AccountApiKey

from tests.conformance.conftest import build

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def api_keys(impl: str, request: pytest.FixtureRequest) -> Any:
    return build("ApiKeys", impl, request)


@pytest.fixture
def resources(impl: str, request: pytest.FixtureRequest) -> Any:
    return build("Resources", impl, request)


def test_more_api_keys_than_one_transaction_holds_are_all_stored_and_listed(api_keys: Any) -> None:
    account = f"acc_{uuid.uuid4().hex[:12]}"
    keys = [AccountApiKey(key_id=f"key_{uuid.uuid4().hex[:12]}", account_id=account, secret_sha256="ab" * 32,
                          name=f"key {n}", created_at=NOW + timedelta(minutes=n), console="dedibox",
                          context=f"dedibox-d{n}") for n in range(70)]  # 140 items on DynamoDB
    api_keys.add_many(keys + keys[:3])  # the same key twice in one call
    assert api_keys.list(account) == keys
    assert all(api_keys.get(k.key_id) == k for k in keys)


def test_more_imported_resources_than_one_transaction_holds_are_all_written(resources: Any) -> None:
    u = uuid.uuid4().hex[:10]
    entries = [(f"acc_{u}", f"dedibox-{u}{n}", [Resource(f"srv-{n}-{i}", "server", f"s{i}") for i in range(3)])
               for n in range(50)]  # 150 resources
    resources.add_imported(entries[:1] + [(a, c, legacy + legacy[:1]) for a, c, legacy in entries[1:]])
    for account, context, legacy in entries:
        assert resources.list(account, context) == legacy
