"""The unification planner's grouping on disk: legacy records spilled to a scratch SQLite file.

Grouping needs every record (a Dedibox account may link to any Scaleway account), so the planner
of 100,000s of records cannot hold them: this grouper writes them in batches to a SQLite database
in a new temporary directory, computes each record's group key there by the rules of
``domain.unification.group_records`` (in SQL, each lookup through an index), and reads the groups
back in key order, one at a time. Its memory does not grow with the number of records, and the
planner can write its report line by line. tests/conformance/test_record_grouper.py holds it to
the in-memory reference.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Generator, Iterable, Iterator
from typing import Final, TypeVar

from gatehouse.domain.legacy import DediboxRecord, LegacyRecord, ScalewayRecord, parse_record
from gatehouse.domain.unification import DuplicateLegacyRecordError, RecordGroup, new_account_key

# Records inserted per transaction while spilling, and the SQLite page cache (KiB): both bound the
# memory of planning whatever the number of records.
_SPILL_BATCH: Final = 1000
_SQLITE_CACHE_KIB: Final = 16 * 1024

_Record = TypeVar("_Record", ScalewayRecord, DediboxRecord)


class SqliteRecordGrouper:
    """The `RecordGrouper` port on a scratch SQLite file, under `workdir` if given, else the system's
    temporary directory."""

    def __init__(self, workdir: str | os.PathLike[str] | None = None) -> None:
        self._workdir = workdir

    def groups(self, records: Iterable[LegacyRecord]) -> Generator[RecordGroup, None, None]:
        """The directory is removed when the groups are exhausted, when the generator is closed
        early, and on any error."""
        with tempfile.TemporaryDirectory(prefix="gatehouse-unification-", dir=self._workdir) as directory:
            db = sqlite3.connect(os.path.join(directory, "records.sqlite3"), isolation_level=None)
            try:
                _create_tables(db)
                _spill(db, records)
                _assign_groups(db)
                yield from _read_groups(db)
            finally:
                db.close()


# Every text goes into SQLite as UTF-8 bytes (a BLOB): BLOBs compare byte by byte, and UTF-8 byte
# order is code point order, Python's string order, so SQLite sorts exactly as group_records does.
# "surrogatepass" keeps a lone surrogate (which JSON can encode) instead of failing on it.
def _b(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _t(data: bytes) -> str:
    return data.decode("utf-8", "surrogatepass")


def _create_tables(db: sqlite3.Connection) -> None:
    # A scratch file: no durability needed, but a journal in memory so that a batch can roll back.
    db.execute("PRAGMA journal_mode = MEMORY")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA locking_mode = EXCLUSIVE")
    db.execute(f"PRAGMA cache_size = -{_SQLITE_CACHE_KIB}")
    # grp is the key of the record's group, computed once every record is in.
    db.execute(
        "CREATE TABLE scaleway (legacy_id BLOB PRIMARY KEY, email BLOB NOT NULL, raw BLOB NOT NULL, grp BLOB)"
    )
    db.execute(
        "CREATE TABLE dedibox (legacy_id BLOB PRIMARY KEY, email BLOB NOT NULL, link BLOB, "
        "new_key BLOB NOT NULL, raw BLOB NOT NULL, grp BLOB)"
    )


_INSERT_SCALEWAY: Final = "INSERT INTO scaleway (legacy_id, email, raw) VALUES (?, ?, ?)"
_INSERT_DEDIBOX: Final = "INSERT INTO dedibox (legacy_id, email, link, new_key, raw) VALUES (?, ?, ?, ?, ?)"


def _row(record: LegacyRecord) -> tuple[bytes | None, ...]:
    if isinstance(record, ScalewayRecord):
        return (_b(record.legacy_id), _b(record.normalised_email), _b(record.raw))
    link = record.linked_scaleway_id
    return (
        _b(record.legacy_id),
        _b(record.normalised_email),
        _b(link) if link is not None else None,
        _b(new_account_key(record.email)),
        _b(record.raw),
    )


def _spill(db: sqlite3.Connection, records: Iterable[LegacyRecord]) -> None:
    batch: list[LegacyRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) >= _SPILL_BATCH:
            _insert(db, batch)
            batch.clear()
    if batch:
        _insert(db, batch)


def _insert(db: sqlite3.Connection, batch: list[LegacyRecord]) -> None:
    db.execute("BEGIN")
    try:
        db.executemany(_INSERT_SCALEWAY, [_row(r) for r in batch if isinstance(r, ScalewayRecord)])
        db.executemany(_INSERT_DEDIBOX, [_row(r) for r in batch if isinstance(r, DediboxRecord)])
    except sqlite3.IntegrityError:
        # A legacy id repeats (the primary keys): replay the batch one record at a time, in input
        # order, to name the same record group_records would.
        db.execute("ROLLBACK")
        for record in batch:
            try:
                db.execute(_INSERT_SCALEWAY if isinstance(record, ScalewayRecord) else _INSERT_DEDIBOX, _row(record))
            except sqlite3.IntegrityError:
                raise DuplicateLegacyRecordError(record.console, record.legacy_id) from None
        return  # not reached: the replay meets the repeated id
    db.execute("COMMIT")


def _assign_groups(db: sqlite3.Connection) -> None:
    """The rules of group_records, in SQL: each lookup goes through an index."""
    # These statements rewrite every row; a journal in memory would hold a copy of every page, and
    # nothing here needs to roll back (an error drops the whole database).
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("BEGIN")
    db.execute("CREATE INDEX scaleway_by_email ON scaleway (email, legacy_id)")
    # A Scaleway account belongs to the one of its normalised email with the smallest legacy id.
    db.execute(
        "UPDATE scaleway SET grp = (SELECT min(kept.legacy_id) FROM scaleway AS kept WHERE kept.email = scaleway.email)"
    )
    # A Dedibox account joins its linked Scaleway account's group if that account is among the
    # records, else the kept Scaleway account of its normalised email, else a new account's.
    db.execute(
        "UPDATE dedibox SET grp = coalesce("
        "(SELECT linked.grp FROM scaleway AS linked WHERE linked.legacy_id = dedibox.link), "
        "(SELECT min(kept.legacy_id) FROM scaleway AS kept WHERE kept.email = dedibox.email), "
        "dedibox.new_key)"
    )
    db.execute("CREATE INDEX scaleway_by_group ON scaleway (grp, legacy_id)")
    db.execute("CREATE INDEX dedibox_by_group ON dedibox (grp, legacy_id)")
    db.execute("COMMIT")


def _read_groups(db: sqlite3.Connection) -> Iterator[RecordGroup]:
    """Merge the Scaleway and Dedibox records, each read in (group, legacy id) order by its index."""
    scaleway = db.execute("SELECT grp, email, raw FROM scaleway ORDER BY grp, legacy_id")
    dedibox = db.execute("SELECT grp, email, raw FROM dedibox ORDER BY grp, legacy_id")
    s_row, d_row = next(scaleway, None), next(dedibox, None)
    while s_row is not None or d_row is not None:
        key = min(row[0] for row in (s_row, d_row) if row is not None)
        # The group's email is its kept Scaleway account's, else that of its first Dedibox account
        # (all its members share it): what group_records keeps when it creates the group.
        email: bytes | None = None
        s_members: list[ScalewayRecord] = []
        while s_row is not None and s_row[0] == key:
            email = email if email is not None else s_row[1]
            s_members.append(_rebuild(s_row[2], ScalewayRecord))
            s_row = next(scaleway, None)
        d_members: list[DediboxRecord] = []
        while d_row is not None and d_row[0] == key:
            email = email if email is not None else d_row[1]
            d_members.append(_rebuild(d_row[2], DediboxRecord))
            d_row = next(dedibox, None)
        assert email is not None  # a key comes from a row, so the group has a member
        yield RecordGroup(key=_t(key), email=_t(email), scaleway=tuple(s_members), dedibox=tuple(d_members))


def _rebuild(raw: bytes, kind: type[_Record]) -> _Record:
    # raw is the record's canonical JSON: parsing it again gives an equal record.
    record = parse_record(json.loads(_t(raw)))
    if not isinstance(record, kind):
        raise TypeError(f"expected a {kind.__name__}, got {type(record).__name__}")
    return record
