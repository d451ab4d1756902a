"""In-memory fake: unification."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from gatehouse.adapters import codec
from gatehouse.domain.accounts import normalise_email
from gatehouse.domain.archive import ArchivedRecord


class MemoryUnification:
    """Fake of the unification store: the same outcomes as DynamoDB, with a call counter."""

    def __init__(self) -> None:
        self._archive: dict[tuple[str, str], str] = {}
        self._states: dict[str, dict[str, Any]] = {}
        self._emails: dict[str, str] = {}
        self._waves: dict[str, datetime] = {}
        self._claims: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def archive(self, records: list[ArchivedRecord]) -> list[str]:
        outcome = []
        with self._lock:
            for r in records:
                existing = self._archive.get((r.console, r.legacy_id))
                if existing is None:
                    self._archive[(r.console, r.legacy_id)] = r.raw
                    outcome.append("new")
                else:
                    outcome.append("same" if existing == r.raw else "conflict")
        return outcome

    def iter_archive(self) -> Iterable[ArchivedRecord]:
        for (console, legacy_id), raw in sorted(self._archive.items()):
            yield ArchivedRecord(console, legacy_id, raw)

    def get_archived(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], ArchivedRecord]:
        return {k: ArchivedRecord(k[0], k[1], self._archive[k]) for k in keys if k in self._archive}

    def plan_accounts(self, items: list[dict[str, Any]]) -> int:
        new = 0
        with self._lock:
            for i in items:
                if i["unified_key"] not in self._states:
                    self._states[i["unified_key"]] = {**i, "state": "scheduled"}
                    self._emails[normalise_email(i["email"])] = i["unified_key"]
                    new += 1
        return new

    def put_wave(self, name: str, at: datetime) -> None:
        self._waves[name] = at

    def waves(self) -> list[tuple[str, datetime]]:
        return sorted(self._waves.items())

    def page(self, wave: str, state: str, limit: int, cursor: Any = None) -> tuple[list[dict[str, Any]], Any]:
        keys = sorted(k for k, v in self._states.items() if v["wave"] == wave and v["state"] == state
                      and "told_at" not in v and (cursor is None or k > cursor))
        chosen = keys[:limit]
        next_cursor = chosen[-1] if len(keys) > limit else None
        return [dict(self._states[k]) for k in chosen], next_cursor

    def get_states(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        return {k: dict(self._states[k]) for k in keys if k in self._states}

    def find_by_email(self, email: str) -> dict[str, Any] | None:
        key = self._emails.get(normalise_email(email))
        return dict(self._states[key]) if key else None

    def transition(self, keys: list[str], from_state: str, to_state: str, at: datetime) -> list[str]:
        moved = []
        with self._lock:
            for k in keys:
                state = self._states.get(k)
                if state is not None and state["state"] == from_state:
                    state.update({"state": to_state, f"{to_state}_at": codec.iso(at)})
                    moved.append(k)
        return moved

    def count(self, wave: str, state: str, *, untold: bool = False) -> int:
        return sum(1 for v in self._states.values()
                   if v["wave"] == wave and v["state"] == state and not (untold and "told_at" in v))

    def mark_told(self, keys: list[str], at: datetime) -> list[str]:
        marked = []
        with self._lock:
            for k in keys:
                state = self._states.get(k)
                if state is not None and state["state"] == "completed":
                    state.setdefault("told_at", codec.iso(at))
                    marked.append(k)
        return marked

    def claim(self, keys: list[str], stage: str, now: datetime, lease_seconds: int) -> list[str]:
        won = []
        with self._lock:
            for k in keys:
                c = self._claims.get((k, stage))
                if c is None or (c.get("sent_at") is None and c["lease_until"] < codec.epoch(now)):
                    self._claims[(k, stage)] = {"lease_until": codec.epoch(now) + lease_seconds}
                    won.append(k)
        return won

    def mark_sent(self, keys: list[str], stage: str, now: datetime) -> None:
        with self._lock:
            for k in keys:
                self._claims[(k, stage)] = {"lease_until": codec.epoch(now), "sent_at": codec.iso(now)}

    def sent(self, keys: list[str], stage: str) -> set[str]:
        return {k for k in keys if self._claims.get((k, stage), {}).get("sent_at")}
