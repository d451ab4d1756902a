"""Properties of the unification planner over random sets of legacy records.

Emails come from a small pool (with case and space variants) and links point at present and
absent Scaleway accounts, so that collisions, merges and dangling links happen often. Every
record grouper (the SQLite spill the planner uses at scale) is checked against the grouping in
memory in tests/conformance/test_record_grouper.py, which draws its records from here.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from gatehouse.domain.legacy import (
    DediboxRecord,
    LegacyRecord,
    ScalewayRecord,
    SmsMfa,
    TotpMfa,
    normalise_email,
    parse_record,
)
from gatehouse.domain.unification import (
    Case,
    JoinedBy,
    PasswordChange,
    RequiredAction,
    UnifiedAccountPlan,
    plan,
)
from hypothesis import given, settings
from hypothesis import strategies as st

CUTOFF = datetime(2025, 10, 28, tzinfo=UTC)
EMAILS = ["a@example.com", "A@Example.com ", "b@example.com", "c@example.org", "d@example.net"]
HASHES = [
    "$2b$12$" + "S" * 53,
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
    "pbkdf2_sha256$600000$salt$aGFzaA==",
]
D_MFA = st.sampled_from(
    [None, {"type": "sms", "phone": "+33612345678"}, {"type": "totp", "secret": "JBSWY3DPEHPK3PXP"}]
)
S_MFA = st.sampled_from(
    [
        None,
        {"type": "totp", "secret": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"},
        {"type": "passkey", "credential_id": "cred", "public_key": "pk", "sign_count": 1},
    ]
)
# Around the cutoff, including exactly on it.
LINK_TIMES = st.sampled_from([-400, -1, 0, 1, 30]).map(lambda days: CUTOFF + timedelta(days=days))


@st.composite
def scaleway_record(draw: st.DrawFn, index: int) -> ScalewayRecord:
    record = parse_record(
        {
            "console": "scaleway",
            "legacy_id": f"scw-{index}",
            "email": draw(st.sampled_from(EMAILS)),
            "password_hash": draw(st.sampled_from(HASHES)),
            "mfa": draw(S_MFA),
        }
    )
    assert isinstance(record, ScalewayRecord)
    return record


@st.composite
def dedibox_record(draw: st.DrawFn, index: int) -> DediboxRecord:
    # Indexes up to 5 while at most 4 Scaleway records exist: some links dangle.
    link = draw(st.none() | st.integers(0, 5).map(lambda i: f"scw-{i}"))
    linked_at = draw(st.none() | LINK_TIMES) if link else None
    raw: dict[str, Any] = {
        "console": "dedibox",
        "legacy_id": f"dbx-{index}",
        "identifier": f"user{index}",
        "email": draw(st.sampled_from(EMAILS)),
        "password_hash": draw(st.sampled_from(HASHES)),
        "mfa": draw(D_MFA),
        "phone": draw(st.none() | st.just(f"+3361234{index:04d}")),
        "domains": [f"site{index}-{n}.fr" for n in range(draw(st.integers(0, 2)))],
        "linked_scaleway_id": link,
        "linked_at": linked_at.isoformat().replace("+00:00", "Z") if linked_at else None,
        "resources": [
            {"id": f"srv-{index}-{n}", "kind": "server", "name": f"sd-{n}"}
            for n in range(draw(st.integers(0, 2)))
        ],
        "api_keys": [
            {"key_id": f"key-{index}-{n}", "secret_sha256": f"{index:032x}{n:032x}"}
            for n in range(draw(st.integers(0, 2)))
        ],
    }
    record = parse_record(raw)
    assert isinstance(record, DediboxRecord)
    return record


@st.composite
def legacy_records(draw: st.DrawFn) -> list[LegacyRecord]:
    n_scaleway = draw(st.integers(0, 4))
    n_dedibox = draw(st.integers(0, 6))
    records: list[LegacyRecord] = [draw(scaleway_record(i)) for i in range(n_scaleway)]
    records += [draw(dedibox_record(i)) for i in range(n_dedibox)]
    return draw(st.permutations(records))


def planned(records: list[LegacyRecord]) -> list[UnifiedAccountPlan]:
    return list(plan(records, cutoff=CUTOFF))


def members(p: UnifiedAccountPlan) -> list[LegacyRecord]:
    scaleway: list[LegacyRecord] = [p.scaleway] if p.scaleway is not None else []
    return scaleway + list(p.merged_scaleway) + [c.record for c in p.contexts]


@given(legacy_records())
def test_every_legacy_record_lands_in_exactly_one_unified_account(records: list[LegacyRecord]) -> None:
    landed = Counter((r.console, r.legacy_id) for p in planned(records) for r in members(p))

    assert landed == Counter((r.console, r.legacy_id) for r in records)


@given(legacy_records(), st.data())
def test_plan_is_the_same_for_any_order_of_the_records(
    records: list[LegacyRecord], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(records))

    assert planned(shuffled) == planned(records)


@given(legacy_records())
def test_plans_come_sorted_by_a_unique_unified_key(records: list[LegacyRecord]) -> None:
    keys = [p.unified_key for p in planned(records)]

    assert keys == sorted(set(keys))


@given(legacy_records())
def test_nothing_of_a_dedibox_record_is_lost(records: list[LegacyRecord]) -> None:
    contexts = {c.legacy_id: c for p in planned(records) for c in p.contexts}

    for r in records:
        if isinstance(r, DediboxRecord):
            kept = contexts[r.legacy_id].record
            assert kept.resources == r.resources
            assert kept.domains == r.domains
            assert kept.api_keys == r.api_keys
            assert kept.phone == r.phone
            assert kept.identifier == r.identifier
            assert kept.raw == r.raw


@given(legacy_records())
def test_every_plan_with_a_scaleway_member_keeps_its_password_and_factor(records: list[LegacyRecord]) -> None:
    for p in planned(records):
        if p.scaleway is None:
            continue
        assert p.password.source == p.scaleway.legacy_id
        assert p.password.change is PasswordChange.UNCHANGED
        assert p.password.password_hash == p.scaleway.password_hash
        assert RequiredAction.SET_PASSWORD not in p.required_actions
        if p.scaleway.mfa is not None:
            assert p.mfa.factor == p.scaleway.mfa


@given(legacy_records())
def test_several_dedibox_without_scaleway_always_set_password_and_enroll_mfa(
    records: list[LegacyRecord],
) -> None:
    for p in planned(records):
        if p.scaleway is None and len(p.contexts) > 1:
            assert p.case is Case.SEVERAL_DEDIBOX
            assert p.password.password_hash is None
            assert {RequiredAction.SET_PASSWORD, RequiredAction.ENROLL_MFA} <= set(p.required_actions)


@given(legacy_records())
def test_legacy_access_only_for_links_to_a_unified_scaleway_account_before_the_cutoff(
    records: list[LegacyRecord],
) -> None:
    for p in planned(records):
        scaleway_ids = {s.legacy_id for s in members(p) if isinstance(s, ScalewayRecord)}
        for c in p.contexts:
            r = c.record
            expected = (
                r.linked_scaleway_id in scaleway_ids and r.linked_at is not None and r.linked_at < CUTOFF
            )
            assert c.legacy_access == expected, c.legacy_access_reason


@given(legacy_records())
def test_dedibox_linked_to_a_present_scaleway_account_joins_it(records: list[LegacyRecord]) -> None:
    present = {r.legacy_id for r in records if isinstance(r, ScalewayRecord)}
    for p in planned(records):
        scaleway_ids = {s.legacy_id for s in members(p) if isinstance(s, ScalewayRecord)}
        for c in p.contexts:
            linked_here = c.record.linked_scaleway_id in scaleway_ids
            assert linked_here == (c.record.linked_scaleway_id in present)
            assert (c.joined_by is JoinedBy.LINK) == linked_here
            if not linked_here:
                assert normalise_email(c.record.email) == p.email


@given(legacy_records())
def test_no_account_that_had_a_second_factor_ends_without_one_unless_asked_to_enroll(
    records: list[LegacyRecord],
) -> None:
    for p in planned(records):
        had_factor = any(r.mfa is not None for r in members(p))
        if had_factor and p.mfa.factor is None:
            assert RequiredAction.ENROLL_MFA in p.required_actions
        # SMS is never a factor of a unified account.
        assert not isinstance(p.mfa.factor, SmsMfa)


@given(legacy_records())
def test_required_actions_are_unique_and_in_canonical_order(records: list[LegacyRecord]) -> None:
    order = list(RequiredAction)
    for p in planned(records):
        indexes = [order.index(a) for a in p.required_actions]
        assert indexes == sorted(set(indexes))


@given(legacy_records())
def test_a_totp_is_migrated_only_from_a_lone_dedibox_account(records: list[LegacyRecord]) -> None:
    for p in planned(records):
        if p.mfa.source is not None and p.mfa.source != p.scaleway_legacy_id:
            assert p.case in (Case.SAME_EMAIL, Case.DEDIBOX_ONLY)
            assert isinstance(p.mfa.factor, TotpMfa)


@settings(max_examples=50)
@given(st.text(max_size=30))
def test_normalising_an_email_twice_changes_nothing(email: str) -> None:
    assert normalise_email(normalise_email(email)) == normalise_email(email)
