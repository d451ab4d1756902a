"""The second-factor store and the code verification store behave the same as fakes and on DynamoDB."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from gatehouse.domain.factors import Factor
from gatehouse.errors import ConditionFailedError

from tests.conformance.conftest import build

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def mfa(impl, request):
    return build("Mfa", impl, request)


def _factor(account_id: str, minutes: int = 0, **kw) -> Factor:
    return Factor(account_id=account_id, id=f"mfa_{uuid.uuid4().hex[:8]}", type=kw.pop("type", "totp"),
                  created_at=NOW + timedelta(minutes=minutes), **kw)


def _acc() -> str:
    return f"acc_{uuid.uuid4().hex[:10]}"


def test_factors_are_listed_per_account_oldest_first_with_their_data(mfa) -> None:
    a, b = _acc(), _acc()
    second = _factor(a, 5, type="webauthn", data={"credential_id": "Y3JlZA", "public_key": "cGs"})
    first = _factor(a, 0, data={"seed": "ZW5j"})
    mfa.add(second)
    mfa.add(first)
    mfa.add(_factor(b))
    assert [f.id for f in mfa.list(a)] == [first.id, second.id]
    assert mfa.get(a, second.id) == second
    assert mfa.get(b, second.id) is None


def test_adding_a_factor_twice_is_refused(mfa) -> None:
    f = _factor(_acc())
    mfa.add(f)
    with pytest.raises(ConditionFailedError):
        mfa.add(f)


def test_deleted_factor_is_gone(mfa) -> None:
    f = _factor(_acc())
    mfa.add(f)
    mfa.delete(f.account_id, f.id)
    assert mfa.get(f.account_id, f.id) is None and mfa.list(f.account_id) == []


def test_counter_only_moves_forward(mfa) -> None:
    f = _factor(_acc(), counter=10)
    mfa.add(f)
    assert mfa.advance(f.account_id, f.id, 10) is False
    assert mfa.advance(f.account_id, f.id, 9) is False
    assert mfa.advance(f.account_id, f.id, 11) is True
    assert mfa.get(f.account_id, f.id).counter == 11
    assert mfa.advance(f.account_id, "mfa_missing", 99) is False


def test_of_many_racing_advances_to_one_step_exactly_one_wins(mfa) -> None:
    f = _factor(_acc())
    mfa.add(f)
    wins: list[bool] = []
    threads = [threading.Thread(target=lambda: wins.append(mfa.advance(f.account_id, f.id, 5)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wins.count(True) == 1


def test_recovery_codes_are_used_once_and_regeneration_kills_the_old_set(mfa) -> None:
    a = _acc()
    assert mfa.recovery_codes_remaining(a) == 0
    mfa.replace_recovery_codes(a, ["h1", "h2", "h3"])
    assert mfa.recovery_codes_remaining(a) == 3
    assert mfa.use_recovery_code(a, "h2") is True
    assert mfa.use_recovery_code(a, "h2") is False
    assert mfa.use_recovery_code(a, "nope") is False
    assert mfa.recovery_codes_remaining(a) == 2
    mfa.replace_recovery_codes(a, ["n1"])
    assert mfa.use_recovery_code(a, "h1") is False
    assert mfa.use_recovery_code(a, "n1") is True
    assert mfa.recovery_codes_remaining(a) == 0
    assert mfa.use_recovery_code(a, "n1") is False
    mfa.replace_recovery_codes(a, ["z"])
    mfa.delete_recovery_codes(a)
    assert mfa.recovery_codes_remaining(a) == 0


def test_of_racing_uses_of_one_recovery_code_exactly_one_wins(mfa) -> None:
    a = _acc()
    mfa.replace_recovery_codes(a, ["h1", "h2"])
    wins: list[bool] = []
    threads = [threading.Thread(target=lambda: wins.append(mfa.use_recovery_code(a, "h1"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wins.count(True) == 1 and mfa.recovery_codes_remaining(a) == 1
