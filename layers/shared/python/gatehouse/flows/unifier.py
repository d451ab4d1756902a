"""The unifier: applies the plan of every wave whose time has come, in batches.

Idempotent and resumable, so a run killed anywhere and started again ends where an uninterrupted
one would have:
* the plan is rebuilt from the archive (the records it was made of, listed in the state item) with
  the same pure planner, so it is the same plan;
* the unified account's id is derived from its unified key, and creating it tolerates "already
  exists" when the existing account is this unified key's own;
* API keys and legacy resources are written with their full content (a rewrite changes nothing);
* `notified -> completed` is a conditional update, made last: an account is completed only once
  everything above is done.
Only `notified` accounts are applied: nobody is unified without having been told first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gatehouse.domain.accounts import Account, ConsoleContext, MfaMethod
from gatehouse.domain.api_keys import AccountApiKey
from gatehouse.domain.legacy import DediboxRecord, PasskeyMfa, ScalewayRecord, TotpMfa, parse_record
from gatehouse.domain.unification import (
    PasswordChange,
    RecordGroup,
    RequiredAction,
    UnifiedAccountPlan,
    plan_group,
)
from gatehouse.domain.unification_state import UnifiedState
from gatehouse.errors import ConditionFailedError
from gatehouse.flows.waves import batches
from gatehouse.ports import AccountRepository, ApiKeyStore, Clock, ResourceStore, UnificationStore
from gatehouse.settings import Settings


def account_id_for(unified_key: str) -> str:
    """Deterministic: a rerun finds the account it made, never makes a second one."""
    return "acc_u" + hashlib.sha256(unified_key.encode()).hexdigest()[:24]


def migrated_factor_id(account_id: str) -> str:
    return f"mfa_u{account_id[5:17]}"


@dataclass
class RunReport:
    completed: int = 0
    batches: int = 0
    conflicts: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"completed": self.completed, "batches": self.batches, "conflicts": self.conflicts}


def build_account(p: UnifiedAccountPlan, state: UnifiedState | None, now: datetime,
                  factor_id: str | None = None) -> tuple[Account, dict[str, list[str]]]:
    """The unified account of a plan, and the aliases it claims (Dedibox identifiers, domains).
    `factor_id` is the id of the migrated second factor in the MFA store, if it was stored."""
    account_id = account_id_for(p.unified_key)
    contexts: list[ConsoleContext] = []
    if p.scaleway is not None:
        contexts.append(ConsoleContext("scaleway", f"scaleway-{p.scaleway.legacy_id}", "Scaleway",
                                       legacy_id=p.scaleway.legacy_id))
    else:
        contexts.append(ConsoleContext("scaleway", f"scaleway-{account_id[5:13]}", "Scaleway"))
    for c in p.contexts:
        contexts.append(ConsoleContext("dedibox", f"dedibox-{c.legacy_id}", c.identifier, legacy_id=c.legacy_id,
                                       legacy_access=c.legacy_access))
    mfa: list[MfaMethod] = []
    factor = p.mfa.factor
    fid = factor_id or migrated_factor_id(account_id)
    if isinstance(factor, TotpMfa):
        mfa.append(MfaMethod(fid, "totp", "Authenticator app (migrated)", now))
    elif isinstance(factor, PasskeyMfa):
        mfa.append(MfaMethod(fid, "webauthn", "Passkey (migrated)", now))
    phone = next((c.record.phone for c in p.contexts if c.record.phone), None)
    account = Account(
        id=account_id, email=state.account_email if state is not None else p.email, created_at=now,
        password_hash=p.password.password_hash, email_verified=p.scaleway is not None,
        locale=state.locale if state is not None else "en", phone=phone, contexts=tuple(contexts),
        mfa_methods=tuple(mfa),
        set_password_required=p.password.change is PasswordChange.ERASED,
        mfa_enrolment_required=RequiredAction.ENROLL_MFA in p.required_actions,
        password_changed_at=now if p.password.password_hash else None,
        extra={"unification": {
            "unified_key": p.unified_key, "case": str(p.case),
            "identifiers": {c.identifier.strip().lower(): c.legacy_id for c in p.contexts},
            # Where the migrated second factor's secret is kept (the archive), for the MFA store.
            "mfa_source": ({"console": p.scaleway.console if p.scaleway and p.mfa.source == p.scaleway.legacy_id
                            else "dedibox", "legacy_id": p.mfa.source, "kind": factor.kind}
                           if factor is not None else None),
        }},
    )
    aliases = {"legacy": [c.identifier for c in p.contexts],
               "domain": sorted({d for c in p.contexts for d in c.record.domains})}
    return account, aliases


class Unifier:
    def __init__(self, store: UnificationStore, accounts: AccountRepository, clock: Clock, settings: Settings,
                 api_keys: ApiKeyStore, factors: Mapping[str, Any] | None = None, *,
                 resources: ResourceStore) -> None:
        self._store, self._accounts, self._clock, self._s = store, accounts, clock, settings
        self._api_keys, self._resources = api_keys, resources
        # The second factor registry (bootstrap's): each strategy takes the legacy kinds it `migrates`.
        self._migrators = {kind: f for f in (factors or {}).values() for kind in getattr(f, "migrates", ())}

    def _migrate_factors(self, plans: list[UnifiedAccountPlan], now: datetime) -> dict[str, str]:
        """`_migrate_factor` for a batch, each strategy's factors together (one data key, one
        transaction per 50 factors): per unified key, the id of its migrated factor. Rerun-safe
        without a read: a factor already stored under its id is kept, and none is stored once its
        account exists (`MfaStore.add_many`), so a factor its user deleted stays deleted."""
        ids: dict[str, str] = {}
        pending: dict[str, list[tuple[str, Any, datetime, str]]] = {}
        for p in plans:
            factor = p.mfa.factor
            if factor is None or factor.kind not in self._migrators:
                continue  # no factor, or one no strategy takes (a legacy SMS factor)
            account_id = account_id_for(p.unified_key)
            ids[p.unified_key] = migrated_factor_id(account_id)
            pending.setdefault(factor.kind, []).append((account_id, factor, now, ids[p.unified_key]))
        for kind, entries in pending.items():
            strategy = self._migrators[kind]
            if hasattr(strategy, "migrate_many"):
                strategy.migrate_many(entries)
                continue
            for account_id, factor, created_at, factor_id in entries:
                with suppress(ConditionFailedError):  # a rerun: stored by the run that was interrupted
                    strategy.migrate(account_id, factor, created_at, factor_id)
        return ids

    def run(self, batch_size: int = 100, max_batches: int | None = None,
            progress: Callable[[int], None] | None = None,
            keep_going: Callable[[], bool] = lambda: True) -> RunReport:
        """Apply every due wave's `notified` accounts; `progress(n)` is told of each batch applied.
        Between batches, `keep_going()` may stop the run (a Lambda near its timeout): the next run
        goes on from there."""
        report = RunReport()
        now = self._clock.now()
        for wave, at in self._store.waves():
            if at > now:
                continue
            for items in batches(self._store, wave, "notified", batch_size):
                if (max_batches is not None and report.batches >= max_batches) or not keep_going():
                    return report
                report.batches += 1
                self._apply_batch(items, report)
                if progress is not None:
                    progress(len(items))
        return report

    def _apply_batch(self, items: list[UnifiedState], report: RunReport) -> None:
        keys = [("scaleway", s) for i in items for s in i.members.scaleway]
        keys += [("dedibox", d) for i in items for d in i.members.dedibox]
        archived = self._store.get_archived(keys)  # one batch read for the whole batch
        now = self._clock.now()
        plans: list[tuple[UnifiedState, UnifiedAccountPlan]] = []
        for item in items:
            records = [parse_record(json.loads(archived[("scaleway", s)].raw)) for s in item.members.scaleway]
            records += [parse_record(json.loads(archived[("dedibox", d)].raw)) for d in item.members.dedibox]
            scaleway = tuple(sorted((r for r in records if isinstance(r, ScalewayRecord)), key=lambda r: r.legacy_id))
            dedibox = tuple(sorted((r for r in records if isinstance(r, DediboxRecord)), key=lambda r: r.legacy_id))
            plans.append((item, plan_group(RecordGroup(item.unified_key, item.email, scaleway, dedibox),
                                           self._s.legacy_cutoff)))
        factor_ids = self._migrate_factors([p for _, p in plans], now)
        built: list[tuple[UnifiedState, UnifiedAccountPlan, Account, dict[str, list[str]]]] = []
        for item, p in plans:
            account, aliases = build_account(p, item, now, factor_ids.get(p.unified_key))
            built.append((item, p, account, aliases))
        # The legacy resources, each its own item (an account item could not hold them unbounded),
        # before their account exists, as the second factor is: it never shows without them.
        self._resources.add_imported([(account.id, f"dedibox-{c.legacy_id}", c.record.resources)
                                      for _, p, account, _ in built for c in p.contexts])
        # Each account with its claims, all or nothing; ~20 accounts a transaction.
        added = self._accounts.add_many([(account, aliases) for _, _, account, aliases in built])
        done: list[str] = []
        api_keys: list[AccountApiKey] = []
        for (item, p, account, _), ok in zip(built, added, strict=True):
            if not ok and self._accounts.get(account.id) is None:
                # The email or an alias belongs to another account: an operator must decide.
                report.conflicts.append(item.unified_key)
                continue
            for c in p.contexts:
                # Each legacy key keeps working in its own Dedibox context only, as it did before.
                api_keys += [AccountApiKey(key_id=k.key_id, account_id=account.id, secret_sha256=k.secret_sha256,
                                           name=f"Dedibox {c.identifier}", created_at=now, console="dedibox",
                                           context=f"dedibox-{c.legacy_id}") for k in c.record.api_keys]
            done.append(item.unified_key)
        if api_keys:
            self._api_keys.add_many(api_keys)
        report.completed += len(self._store.transition(done, "notified", "completed", now))
