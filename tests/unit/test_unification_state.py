"""The typed unification state (`domain.unification_state`): what scheduling stores of a plan, in
the shape the stores have always held, and any stored item read back as a `UnifiedState`."""

from __future__ import annotations

from datetime import UTC, datetime

from gatehouse.domain.legacy import parse_record
from gatehouse.domain.unification import plan
from gatehouse.domain.unification_state import Changes, Members, UnifiedState
from gatehouse.flows.unification import planned_state

CUTOFF = datetime(2025, 10, 28, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HASH = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"


def linked_pair_plan():  # type: ignore[no-untyped-def]
    records = [
        parse_record({"console": "scaleway", "legacy_id": "scw-7", "email": "Jo@Example.fr", "password_hash": HASH,
                      "mfa": None}),
        parse_record({"console": "dedibox", "legacy_id": "dbx-1", "identifier": "jo", "email": "old@example.org",
                      "password_hash": HASH, "mfa": {"type": "sms", "phone": "+33612345678"},
                      "linked_scaleway_id": "scw-7", "linked_at": "2025-01-01T00:00:00Z"}),
    ]
    (p,) = plan(records, cutoff=CUTOFF)
    return p


def test_a_scheduled_plan_is_stored_in_the_shape_the_stores_have_always_held() -> None:
    item = planned_state(linked_pair_plan(), "w1", NOW).to_mapping()

    assert item == {
        "unified_key": "scw-7", "wave": "w1", "email": "jo@example.fr", "account_email": "Jo@Example.fr",
        "locale": "fr", "case": "linked", "changes": {"password": "unchanged", "mfa": "disabled_sms"},
        "required_actions": ["enroll_mfa"], "legacy_access": True,
        "members": {"scaleway": ["scw-7"], "dedibox": ["dbx-1"]},
        "scheduled_at": "2026-11-23T12:00:00+00:00", "state": "scheduled",
    }


def test_a_stored_item_reads_back_as_the_same_state_whatever_keys_the_store_adds() -> None:
    state = UnifiedState(unified_key="new:ab", wave="w2", email="a@example.com", account_email="A@example.com",
                         members=Members((), ("dbx-1", "dbx-2")), changes=Changes("erased", "erased"),
                         locale="en", case="several_dedibox", required_actions=("set_password", "enroll_mfa"),
                         scheduled_at=NOW, state="completed", notified_at=NOW, completed_at=NOW, told_at=NOW)
    stored = {**state.to_mapping(), "pk": "UNIFY#new:ab", "sk": "U", "gsi1pk": "UNIFY#told#3", "gsi1sk": "w2#new:ab"}

    assert stored["completed_at"] == "2026-11-23T12:00:00Z"
    assert UnifiedState.from_mapping(stored) == state


def test_an_item_without_the_fields_added_later_reads_with_their_defaults() -> None:
    state = UnifiedState.from_mapping({"unified_key": "k", "wave": "w", "email": "k@example.com",
                                       "members": {"scaleway": [], "dedibox": ["d1"]}, "state": "notified"})

    assert state == UnifiedState(unified_key="k", wave="w", email="k@example.com", account_email="k@example.com",
                                 members=Members((), ("d1",)), state="notified")
    assert (state.locale, state.changes, state.legacy_access, state.case) == ("en", Changes(), False, None)
