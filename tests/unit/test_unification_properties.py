"""Properties of the unification planner over random sets of legacy records.

Emails come from a small pool (with case and space variants) and links point at present and
absent Scaleway accounts, so that collisions, merges and dangling links happen often. The grouping
that spills to disk is checked against the one in memory, and its memory against the input's size.
"""

from __future__ import annotations

import tempfile
import tracemalloc
from collections import Counter
from collections.abc import Generator, Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
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
    DuplicateLegacyRecordError,
    JoinedBy,
    PasswordChange,
    RequiredAction,
    UnifiedAccountPlan,
    group_records,
    group_records_streamed,
    new_account_key,
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


# --- the grouping that spills to disk ------------------------------------------------------------

# Characters whose order differs between code points, UTF-16 and naive byte orders (astral vs
# U+E000-U+FFFF, a lone surrogate, Latin-1 vs Latin Extended), and case variants.
ID_CHARS = st.sampled_from(["a", "B", "9", "-", "é", "É", "ÿ", "Ā", "\ud7ff", "\udc00", "\ue000", "\uffff", "😀"])
ANY_LEGACY_ID = st.text(ID_CHARS, min_size=1, max_size=3)
WIDE_EMAILS = [*EMAILS, "é@example.com", "É@Example.com ", "😀@example.com", "\uffff@example.com"]


def scaleway_raw(legacy_id: str, email: str) -> dict[str, Any]:
    return {"console": "scaleway", "legacy_id": legacy_id, "email": email, "password_hash": HASHES[0], "mfa": None}


def dedibox_raw(legacy_id: str, email: str, link: str | None = None) -> dict[str, Any]:
    return {
        "console": "dedibox",
        "legacy_id": legacy_id,
        "identifier": f"id-{legacy_id}",
        "email": email,
        "password_hash": HASHES[1],
        "mfa": None,
        "linked_scaleway_id": link,
        "linked_at": "2025-01-01T00:00:00Z" if link else None,
    }


@st.composite
def records_with_any_legacy_ids(draw: st.DrawFn) -> list[LegacyRecord]:
    scaleway_ids = draw(st.lists(ANY_LEGACY_ID, max_size=5, unique=True))
    dedibox_ids = draw(st.lists(ANY_LEGACY_ID, max_size=7, unique=True))
    links = st.none() | ANY_LEGACY_ID
    if scaleway_ids:
        links |= st.sampled_from(scaleway_ids)
    records = [parse_record(scaleway_raw(i, draw(st.sampled_from(WIDE_EMAILS)))) for i in scaleway_ids]
    records += [
        parse_record(dedibox_raw(i, draw(st.sampled_from(WIDE_EMAILS)), draw(links))) for i in dedibox_ids
    ]
    return draw(st.permutations(records))


@given(legacy_records())
def test_streamed_grouping_gives_the_same_groups_members_and_order_as_in_memory(
    records: list[LegacyRecord],
) -> None:
    assert list(group_records_streamed(records)) == group_records(records)


@given(records_with_any_legacy_ids())
def test_streamed_grouping_orders_any_legacy_id_and_email_as_python_sorts_them(
    records: list[LegacyRecord],
) -> None:
    assert list(group_records_streamed(records)) == group_records(records)


@given(legacy_records(), st.data())
def test_streamed_grouping_refuses_the_same_repeated_legacy_id_as_in_memory(
    records: list[LegacyRecord], data: st.DataObject
) -> None:
    if not records:
        records = [parse_record(scaleway_raw("scw-0", EMAILS[0]))]
    original = data.draw(st.sampled_from(records))
    repeated = parse_record({**original.raw_dict(), "email": "other@example.com"})
    position = data.draw(st.integers(0, len(records)))
    with_repeat = [*records[:position], repeated, *records[position:]]

    with pytest.raises(DuplicateLegacyRecordError) as in_memory:
        group_records(with_repeat)
    with pytest.raises(DuplicateLegacyRecordError) as streamed:
        list(group_records_streamed(with_repeat))

    assert (streamed.value.console, streamed.value.legacy_id) == (original.console, original.legacy_id)
    assert (in_memory.value.console, in_memory.value.legacy_id) == (original.console, original.legacy_id)


def test_streamed_grouping_names_the_first_repeat_in_input_order_across_batches() -> None:
    records = [parse_record(scaleway_raw(f"scw-{n:04d}", f"u{n}@example.com")) for n in range(2500)]
    # Position 1300 repeats a record of its own batch, 1500 one of an earlier batch: 1300 comes first.
    records.insert(1300, parse_record(dedibox_raw("dbx-x", "x@example.com")))
    records.insert(1301, parse_record(dedibox_raw("dbx-x", "y@example.com")))
    records.insert(1500, parse_record(scaleway_raw("scw-0003", "z@example.com")))

    with pytest.raises(DuplicateLegacyRecordError, match="dbx-x") as raised:
        list(group_records_streamed(records))

    assert (raised.value.console, raised.value.legacy_id) == ("dedibox", "dbx-x")


def sample_records() -> list[LegacyRecord]:
    return [
        parse_record(scaleway_raw("scw-1", "a@example.com")),
        parse_record(dedibox_raw("dbx-1", "b@example.com", link="scw-1")),
        parse_record(dedibox_raw("dbx-2", "c@example.com")),
    ]


def test_streamed_grouping_removes_its_temporary_directory_once_every_group_is_read(tmp_path: Path) -> None:
    groups = group_records_streamed(sample_records(), workdir=tmp_path)

    first = next(groups)
    spilled = [p for p in tmp_path.iterdir() if p.is_dir()]
    rest = list(groups)

    assert len(spilled) == 1
    assert [first.key, *(g.key for g in rest)] == [new_account_key("c@example.com"), "scw-1"]
    assert list(tmp_path.iterdir()) == []


def test_closing_the_groups_early_removes_their_temporary_directory(tmp_path: Path) -> None:
    groups = group_records_streamed(sample_records(), workdir=tmp_path)
    next(groups)

    groups.close()

    assert list(tmp_path.iterdir()) == []


def test_closing_the_plans_early_removes_their_temporary_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    plans = plan(sample_records(), cutoff=CUTOFF)
    assert isinstance(plans, Generator)
    next(plans)
    assert len(list(tmp_path.iterdir())) == 1

    plans.close()

    assert list(tmp_path.iterdir()) == []


def test_a_repeated_legacy_id_or_a_failing_input_leaves_no_temporary_directory(tmp_path: Path) -> None:
    def failing() -> Iterator[LegacyRecord]:
        yield from sample_records()
        raise OSError("archive unreachable")

    with pytest.raises(DuplicateLegacyRecordError):
        list(group_records_streamed([*sample_records(), *sample_records()], workdir=tmp_path))
    with pytest.raises(OSError, match="archive unreachable"):
        list(group_records_streamed(failing(), workdir=tmp_path))

    assert list(tmp_path.iterdir()) == []


def generated_records() -> Iterator[LegacyRecord]:
    """An endless stream of records, every case of the table in turn, never held in a list."""
    n = 0
    while True:
        email = f"user{n}@example.com"
        kind = n % 5
        if kind in (0, 1, 2):
            yield parse_record(scaleway_raw(f"scw-{n}", email))
        if kind == 1:
            yield parse_record(dedibox_raw(f"dbx-{n}", f"old-{email}", link=f"scw-{n}"))
        if kind in (2, 3, 4):
            yield parse_record(dedibox_raw(f"dbx-{n}", email))
        if kind == 4:
            yield parse_record(dedibox_raw(f"dbx-{n}b", email.upper()))
        n += 1


def peak_bytes_of_planning(records: int) -> int:
    tracemalloc.start()
    try:
        for _ in plan(islice(generated_records(), records), cutoff=CUTOFF):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_planning_ten_times_more_records_takes_at_most_twice_the_memory() -> None:
    small = peak_bytes_of_planning(2_000)
    large = peak_bytes_of_planning(20_000)

    assert large <= 2 * small, f"peak {large} bytes for 20,000 records, {small} for 2,000"
