"""Account unification as operators and users meet it: import legacy records, plan (dry run),
schedule a wave, count states; and, after unification, what a user sees (GET /unification). The
legacy console's own login (POST /login/legacy) is a login strategy (`strategies.legacy_identifier`).
Legacy API keys are API keys like any other (`flows.api_keys`), each bound to its Dedibox context.

The rules themselves are the pure planner (`domain.unification`); applying a plan is
`flows.unifier`, mailing is `flows.notifier`. Everything streams and works in batches: an import
reads its file line by line, and the state lives in DynamoDB, paged, never all in memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gatehouse.domain.accounts import Account
from gatehouse.domain.archive import ArchivedRecord
from gatehouse.domain.legacy import (
    InvalidLegacyRecord,
    LegacyRecord,
    TotpMfa,
    parse_line,
    parse_record,
)
from gatehouse.domain.unification import UnifiedAccountPlan, plan_groups
from gatehouse.domain.unification_state import Changes, Members, UnifiedState
from gatehouse.flows.waves import plan_states, state_by_email, state_of
from gatehouse.ports import AccountRepository, Clock, RecordGrouper, UnificationStore
from gatehouse.settings import Settings

STATES = ("scheduled", "notified", "completed")
WAVE_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
SUPPORT_BEFORE, SUPPORT_AFTER = "scaleway", "dedibox"


@dataclass
class ImportReport:
    read: int = 0
    new: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"read": self.read, "new": self.new, "unchanged": self.unchanged, "invalid": len(self.errors)}


def check_totp_seed(record: LegacyRecord) -> None:
    """A seed that cannot produce a code would lock its owner out at the first login after
    unification: refuse it at import, where an operator can still fix the file."""
    if isinstance(record.mfa, TotpMfa):
        import pyotp

        try:
            code = pyotp.TOTP(record.mfa.secret).now()
        except Exception as exc:  # pyotp raises binascii/ValueError on odd seeds
            raise InvalidLegacyRecord("TOTP secret does not produce a code", "mfa.secret",
                                      legacy_id=record.legacy_id) from exc
        if not (len(code) == 6 and code.isdigit()):
            raise InvalidLegacyRecord("TOTP secret does not produce a 6-digit code", "mfa.secret",
                                      legacy_id=record.legacy_id)


def locale_of(record: LegacyRecord | None, email: str) -> str:
    """Legacy records carry no language; a `locale` field wins if present, else .fr addresses get French."""
    if record is not None:
        raw = record.raw_dict().get("locale")
        if raw in ("en", "fr"):
            return str(raw)
    return "fr" if email.lower().endswith(".fr") else "en"


def planned_state(p: UnifiedAccountPlan, wave: str, now: datetime) -> UnifiedState:
    """What the state store keeps of a plan: enough for emails, GET /unification and to rebuild
    the group from the archive (members), never a hash or a seed."""
    first = p.scaleway or (p.contexts[0].record if p.contexts else None)
    return UnifiedState(
        unified_key=p.unified_key, wave=wave, email=p.email,
        account_email=first.email if first is not None else p.email,
        locale=locale_of(first, p.email), case=str(p.case),
        changes=Changes(password=str(p.password.change), mfa=str(p.mfa.change)),
        required_actions=tuple(str(a) for a in p.required_actions),
        legacy_access=any(c.legacy_access for c in p.contexts),
        members=Members(scaleway=tuple(s.legacy_id for s in (*((p.scaleway,) if p.scaleway else ()),
                                                               *p.merged_scaleway)),
                        dedibox=p.dedibox_legacy_ids),
        scheduled_at=now,
    )


class Unification:
    def __init__(self, store: UnificationStore, accounts: AccountRepository, clock: Clock, settings: Settings,
                 grouper: RecordGrouper) -> None:
        self._store, self._accounts, self._clock, self._s = store, accounts, clock, settings
        self._grouper = grouper

    # --- operators ----------------------------------------------------------------------
    def import_lines(self, lines: Iterable[str], batch_size: int = 100) -> ImportReport:
        """Archive each valid line as it came; report every problem of each bad one, by number and in
        line order. Streams: one batch in memory at a time. A legacy id already archived with other
        content is a bad line."""
        report = ImportReport()
        batch: list[tuple[int, ArchivedRecord]] = []
        # (line number, message): a batch's conflicts are known only when it is written, after the
        # lines read since; the report lists them in line order all the same.
        errors: list[tuple[int, str]] = []

        def flush() -> None:
            outcome = self._store.archive([r for _, r in batch])
            for (number, r), result in zip(batch, outcome, strict=True):
                if result == "new":
                    report.new += 1
                elif result == "same":
                    report.unchanged += 1
                else:
                    errors.append((number, f"line {number}, record {r.legacy_id!r}: {r.console} legacy id already "
                                           "imported with different content: keep only one version"))
            batch.clear()

        for number, line in enumerate(lines, start=1):
            text = line.rstrip("\r\n")
            if not text.strip():
                continue  # a blank line (a trailing newline) is no record
            report.read += 1
            try:
                record = parse_line(text, number)
                check_totp_seed(record)
            except InvalidLegacyRecord as exc:
                at_line = exc if exc.line_number is not None else exc.at_line(number)
                errors.extend((number, str(problem)) for problem in at_line.problems)
                continue
            batch.append((number, ArchivedRecord(record.console, record.legacy_id, text)))
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
        report.errors = [text for _, text in sorted(errors, key=lambda e: e[0])]
        return report

    def records(self) -> Iterator[LegacyRecord]:
        for archived in self._store.iter_archive():
            yield parse_record(json.loads(archived.raw))

    def plan(self) -> Iterator[UnifiedAccountPlan]:
        return plan_groups(self._grouper.groups(self.records()), cutoff=self._s.legacy_cutoff)

    def schedule(self, wave: str, at: datetime, batch_size: int = 100,
                 progress: Callable[[int], None] | None = None) -> dict[str, int]:
        """Record the wave and put every affected planned account in it, `scheduled` (idempotent);
        `progress(n)` is told of each batch written."""
        if not WAVE_NAME.fullmatch(wave):
            raise ValueError(f"invalid wave name {wave!r}: 1 to 64 letters, digits, '.', '_' or '-'")
        if at.tzinfo is None:
            raise ValueError("a wave's time needs a time zone, e.g. 2026-12-01T09:00:00Z")
        self._store.put_wave(wave, at)
        now = self._clock.now()
        planned = new = 0
        batch: list[UnifiedState] = []
        for p in self.plan():
            if not p.affected:
                continue
            planned += 1
            batch.append(planned_state(p, wave, now))
            if len(batch) >= batch_size:
                new += plan_states(self._store, batch)
                if progress is not None:
                    progress(len(batch))
                batch = []
        if batch:
            new += plan_states(self._store, batch)
            if progress is not None:
                progress(len(batch))
        return {"planned": planned, "scheduled": new}

    def status(self) -> dict[str, dict[str, int]]:
        return {wave: {state: self._store.count(wave, state) for state in STATES}
                for wave, _ in self._store.waves()}

    # --- users --------------------------------------------------------------------------
    def _state_of(self, account: Account) -> UnifiedState | None:
        info = account.extra.get("unification")
        if isinstance(info, dict) and info.get("unified_key"):
            found = state_of(self._store, str(info["unified_key"]))
            if found is not None:
                return found
        return state_by_email(self._store, account.email)

    def view(self, account: Account) -> dict[str, Any]:
        """GET /unification: where the account stands, what changes for it, whom to ask."""
        state = self._state_of(account)
        if state is None:
            return {"state": "not_affected", "changes": {"password": "unchanged", "mfa": "unchanged"},
                    "support": SUPPORT_BEFORE, "legacy_access": False}
        return {"state": state.state, "changes": {"password": state.changes.password, "mfa": state.changes.mfa},
                "support": SUPPORT_AFTER if state.state == "completed" else SUPPORT_BEFORE,
                "legacy_access": state.legacy_access, "case": state.case,
                "required_actions": list(state.required_actions)}
