"""The record grouper behaves the same in memory and spilled to SQLite: the groups of the domain's
reference grouping (`group_records`), in its order, read lazily, refusing a repeated legacy id as it
does. The SQLite spill also leaves no file behind, however it ends, and keeps its memory flat."""

from __future__ import annotations

import tempfile
import tracemalloc
from collections.abc import Generator, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from gatehouse.adapters.memory.record_grouper import FakeRecordGrouper
from gatehouse.adapters.sqlite_grouper import SqliteRecordGrouper
from gatehouse.domain.legacy import LegacyRecord, parse_record
from gatehouse.domain.unification import DuplicateLegacyRecordError, group_records, new_account_key, plan_groups
from gatehouse.ports import RecordGrouper
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.test_unification_properties import CUTOFF, EMAILS, HASHES, legacy_records


# Module-scoped: the groupers keep nothing between calls, and hypothesis refuses function-scoped fixtures.
@pytest.fixture(scope="module", params=["fake", "sqlite"])
def grouper(request: pytest.FixtureRequest) -> RecordGrouper:
    return FakeRecordGrouper() if request.param == "fake" else SqliteRecordGrouper()


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
def test_the_groups_are_the_in_memory_groups_with_their_members_and_order(
    grouper: RecordGrouper, records: list[LegacyRecord]
) -> None:
    assert list(grouper.groups(records)) == group_records(records)


@given(records_with_any_legacy_ids())
def test_any_legacy_id_and_email_are_ordered_as_python_sorts_them(
    grouper: RecordGrouper, records: list[LegacyRecord]
) -> None:
    assert list(grouper.groups(records)) == group_records(records)


@given(legacy_records(), st.data())
def test_a_repeated_legacy_id_is_refused_naming_the_record_the_in_memory_grouping_names(
    grouper: RecordGrouper, records: list[LegacyRecord], data: st.DataObject
) -> None:
    if not records:
        records = [parse_record(scaleway_raw("scw-0", EMAILS[0]))]
    original = data.draw(st.sampled_from(records))
    repeated = parse_record({**original.raw_dict(), "email": "other@example.com"})
    position = data.draw(st.integers(0, len(records)))
    with_repeat = [*records[:position], repeated, *records[position:]]

    with pytest.raises(DuplicateLegacyRecordError) as in_memory:
        group_records(with_repeat)
    with pytest.raises(DuplicateLegacyRecordError) as grouped:
        list(grouper.groups(with_repeat))

    assert (grouped.value.console, grouped.value.legacy_id) == (original.console, original.legacy_id)
    assert (in_memory.value.console, in_memory.value.legacy_id) == (original.console, original.legacy_id)


def test_the_first_repeat_in_input_order_is_named_across_batches(grouper: RecordGrouper) -> None:
    records = [parse_record(scaleway_raw(f"scw-{n:04d}", f"u{n}@example.com")) for n in range(2500)]
    # Position 1300 repeats a record of its own batch, 1500 one of an earlier batch: 1300 comes first.
    records.insert(1300, parse_record(dedibox_raw("dbx-x", "x@example.com")))
    records.insert(1301, parse_record(dedibox_raw("dbx-x", "y@example.com")))
    records.insert(1500, parse_record(scaleway_raw("scw-0003", "z@example.com")))

    with pytest.raises(DuplicateLegacyRecordError, match="dbx-x") as raised:
        list(grouper.groups(records))

    assert (raised.value.console, raised.value.legacy_id) == ("dedibox", "dbx-x")


def sample_records() -> list[LegacyRecord]:
    return [
        parse_record(scaleway_raw("scw-1", "a@example.com")),
        parse_record(dedibox_raw("dbx-1", "b@example.com", link="scw-1")),
        parse_record(dedibox_raw("dbx-2", "c@example.com")),
    ]


def test_a_linked_dedibox_account_joins_its_scaleway_account_and_a_lone_one_gets_a_new_key(
    grouper: RecordGrouper,
) -> None:
    groups = list(grouper.groups(sample_records()))

    assert [(g.key, g.email, [s.legacy_id for s in g.scaleway], [d.legacy_id for d in g.dedibox])
            for g in groups] == [(new_account_key("c@example.com"), "c@example.com", [], ["dbx-2"]),
                                 ("scw-1", "a@example.com", ["scw-1"], ["dbx-1"])]


def test_nothing_is_read_before_the_first_group_is_asked_for(grouper: RecordGrouper) -> None:
    read: list[LegacyRecord] = []

    def records() -> Iterator[LegacyRecord]:
        for record in sample_records():
            read.append(record)
            yield record

    groups = grouper.groups(records())
    assert read == []

    next(groups)
    groups.close()
    assert len(read) == 3


# --- the SQLite spill alone: its files and its memory ----------------------------------------------


def test_the_spill_removes_its_temporary_directory_once_every_group_is_read(tmp_path: Path) -> None:
    groups = SqliteRecordGrouper(workdir=tmp_path).groups(sample_records())

    first = next(groups)
    spilled = [p for p in tmp_path.iterdir() if p.is_dir()]
    rest = list(groups)

    assert len(spilled) == 1
    assert [first.key, *(g.key for g in rest)] == [new_account_key("c@example.com"), "scw-1"]
    assert list(tmp_path.iterdir()) == []


def test_closing_the_groups_early_removes_their_temporary_directory(tmp_path: Path) -> None:
    groups = SqliteRecordGrouper(workdir=tmp_path).groups(sample_records())
    next(groups)

    groups.close()

    assert list(tmp_path.iterdir()) == []


def test_closing_the_plans_early_removes_their_temporary_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    plans = plan_groups(SqliteRecordGrouper().groups(sample_records()), cutoff=CUTOFF)
    assert isinstance(plans, Generator)
    next(plans)
    assert len(list(tmp_path.iterdir())) == 1

    plans.close()

    assert list(tmp_path.iterdir()) == []


def test_a_repeated_legacy_id_or_a_failing_input_leaves_no_temporary_directory(tmp_path: Path) -> None:
    def failing() -> Iterator[LegacyRecord]:
        yield from sample_records()
        raise OSError("archive unreachable")

    grouper = SqliteRecordGrouper(workdir=tmp_path)
    with pytest.raises(DuplicateLegacyRecordError):
        list(grouper.groups([*sample_records(), *sample_records()]))
    with pytest.raises(OSError, match="archive unreachable"):
        list(grouper.groups(failing()))

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
        for _ in plan_groups(SqliteRecordGrouper().groups(islice(generated_records(), records)), cutoff=CUTOFF):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_planning_ten_times_more_records_over_the_spill_takes_at_most_twice_the_memory() -> None:
    small = peak_bytes_of_planning(2_000)
    large = peak_bytes_of_planning(20_000)

    assert large <= 2 * small, f"peak {large} bytes for 20,000 records, {small} for 2,000"
