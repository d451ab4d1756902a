"""The legacy archive: every imported legacy record kept as it came, the source the unification
plans (and replans, on a rerun of the unifier) are made from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ArchivedRecord:
    """A legacy record as it came (`raw`, canonical JSON), under its console and legacy id."""

    console: str
    legacy_id: str
    raw: str
