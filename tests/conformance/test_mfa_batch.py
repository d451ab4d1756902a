"""`MfaStore.add_many`, the unifier's batch of migrated factors, behaves the same as a fake and on
DynamoDB: a factor already stored is kept, and none is stored once its account exists (a rerun
never brings back a factor its user deleted)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from gatehouse.domain.accounts import Account
from gatehouse.ports import Factor

from tests.conformance.conftest import build

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def stores(impl: str, request: pytest.FixtureRequest) -> tuple[Any, Any]:
    """An MFA store and the accounts store beside it (one table; the fake bound as `Stores.memory` does)."""
    mfa, accounts = build("Mfa", impl, request), build("Accounts", impl, request)
    if impl == "fake":
        mfa.accounts = accounts
    return mfa, accounts


def _factor(account_id: str | None = None, seed: str = "ZW5j") -> Factor:
    return Factor(account_id=account_id or f"acc_{uuid.uuid4().hex[:10]}", id=f"mfa_{uuid.uuid4().hex[:8]}",
                  type="totp", created_at=NOW, data={"seed": seed})


def _account(account_id: str) -> Account:
    return Account(id=account_id, email=f"{account_id}@example.com", created_at=NOW, password_hash="h")


def test_a_batch_of_factors_is_stored_each_as_given(stores: tuple[Any, Any]) -> None:
    mfa, _ = stores
    factors = [_factor() for _ in range(3)]
    assert list(mfa.add_many(factors)) == [True, True, True]
    assert [mfa.get(f.account_id, f.id) for f in factors] == factors
    assert list(mfa.add_many([])) == []


def test_a_factor_already_stored_under_its_id_is_kept_and_the_rest_of_the_batch_is_stored(
        stores: tuple[Any, Any]) -> None:
    mfa, _ = stores
    first = _factor(seed="first")
    mfa.add(first)
    assert mfa.advance(first.account_id, first.id, 7)  # used since: a rerun must not reset it
    again = Factor(account_id=first.account_id, id=first.id, type="totp", created_at=NOW, data={"seed": "other"})
    others = [_factor() for _ in range(2)]
    assert list(mfa.add_many([others[0], again, others[1]])) == [True, False, True]
    kept = mfa.get(first.account_id, first.id)
    assert (kept.counter, kept.data) == (7, {"seed": "first"})
    assert [mfa.get(f.account_id, f.id) for f in others] == others


def test_once_its_account_exists_a_deleted_factor_is_not_brought_back(stores: tuple[Any, Any]) -> None:
    mfa, accounts = stores
    factor, other = _factor(), _factor()
    assert list(mfa.add_many([factor])) == [True]
    accounts.add(_account(factor.account_id))  # the interrupted run got as far as the account
    mfa.delete(factor.account_id, factor.id)  # and its user then removed the factor
    assert list(mfa.add_many([factor, other])) == [False, True]  # the rerun
    assert mfa.get(factor.account_id, factor.id) is None
    assert mfa.list(factor.account_id) == []
    assert mfa.get(other.account_id, other.id) == other


def test_a_batch_larger_than_one_transaction_reports_each_factor(stores: tuple[Any, Any]) -> None:
    mfa, accounts = stores
    factors = [_factor() for _ in range(120)]
    for f in factors[10:13]:
        mfa.add(f)
    accounts.add(_account(factors[70].account_id))
    stored = list(mfa.add_many(factors))
    assert stored == [not (10 <= i < 13 or i == 70) for i in range(120)]
    assert mfa.get(factors[70].account_id, factors[70].id) is None
    assert all(mfa.get(f.account_id, f.id) == f for f in factors[:70] + factors[71:])
