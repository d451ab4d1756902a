"""The unifier's migrated second factors over fakes: sealed and stored a batch at a time, and
rerun-safe: a rerun of an interrupted batch keeps a factor already stored and never brings back
one its user deleted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import pytest
from gatehouse.adapters.memory import FakeKeyVault, MemoryMfa
from gatehouse.bootstrap import Container
from gatehouse.ports import Factor
from gatehouse.strategies.totp import METHOD

from tests.bench.unification import TOTP_SEED, generate_lines


class CountingVault(FakeKeyVault):
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def encrypt(self, plaintext: bytes, context: Mapping[str, str]) -> bytes:
        self.calls["encrypt"] += 1
        return super().encrypt(plaintext, context)

    def seal_many(self, items: Sequence[tuple[bytes, Mapping[str, str]]]) -> list[bytes]:
        self.calls["seal_many"] += 1
        return [super(CountingVault, self).encrypt(p, c) for p, c in items]


def notified(n: int, prefix: str, **parts: Any) -> Container:
    c = Container.in_memory(**parts)
    assert not c.unification.import_lines(generate_lines(n, prefix)).errors
    c.unification.schedule("w1", c.clock.now() - timedelta(minutes=1))
    c.unification_notifier.run()
    return c


def totp_factors(c: Container) -> list[Factor]:
    store = c.mfa_store
    assert isinstance(store, MemoryMfa)
    return sorted((f for f in store._factors.values() if f.type == METHOD), key=lambda f: f.account_id)


def crash_at(monkeypatch: pytest.MonkeyPatch, target: object, name: str) -> None:
    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("killed")

    monkeypatch.setattr(target, name, crash)


def test_the_seeds_of_a_batch_are_sealed_together_and_open_to_the_legacy_seed() -> None:
    vault = CountingVault()
    c = notified(40, "s", key_vault=vault)
    report = c.unifier.run(batch_size=10)
    factors = totp_factors(c)
    assert report.completed > 30 and len(factors) >= 8
    assert 1 <= vault.calls["seal_many"] <= report.batches  # one a batch with seeds
    assert vault.calls["encrypt"] == 0  # never one data key per seed
    totp = c.totp
    for f in factors:
        assert totp._open(f.account_id, f.id, f.data["seed"]) == TOTP_SEED
        account = c.accounts.get(f.account_id)
        assert account is not None and [m.id for m in account.mfa_methods] == [f.id]


def test_a_rerun_of_a_batch_interrupted_before_its_accounts_keeps_the_factors_already_stored(
        monkeypatch: pytest.MonkeyPatch) -> None:
    c = notified(40, "k")
    with monkeypatch.context() as m:
        crash_at(m, c.accounts, "add_many")
        with pytest.raises(RuntimeError):
            c.unifier.run()
    stored = totp_factors(c)
    assert stored and all(c.accounts.get(f.account_id) is None for f in stored)
    assert c.mfa_store.advance(stored[0].account_id, stored[0].id, 9)  # changed since: must stay as it is
    report = c.unifier.run()
    assert report.completed > 30 and report.conflicts == []
    after = totp_factors(c)
    assert [(f.account_id, f.id, f.data) for f in after] == [(f.account_id, f.id, f.data) for f in stored]
    assert after[0].counter == 9


def test_a_rerun_after_the_accounts_were_made_does_not_bring_back_a_factor_its_user_deleted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    c = notified(40, "x")
    with monkeypatch.context() as m:
        crash_at(m, c.unification_store, "transition")  # killed after the accounts, before `completed`
        with pytest.raises(RuntimeError):
            c.unifier.run()
    deleted, *kept = totp_factors(c)
    assert c.accounts.get(deleted.account_id) is not None
    c.mfa_store.delete(deleted.account_id, deleted.id)  # its user signed in and removed it
    report = c.unifier.run()
    assert report.completed > 30 and report.conflicts == []
    assert c.mfa_store.get(deleted.account_id, deleted.id) is None
    assert c.mfa_store.list(deleted.account_id) == []
    assert [f.id for f in totp_factors(c)] == [f.id for f in kept]
