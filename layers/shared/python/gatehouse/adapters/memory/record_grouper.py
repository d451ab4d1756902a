"""In-memory fake: the record grouper, the domain's reference grouping itself (every record held)."""

from __future__ import annotations

from collections.abc import Generator, Iterable

from gatehouse.domain.legacy import LegacyRecord
from gatehouse.domain.unification import RecordGroup, group_records


class FakeRecordGrouper:
    """For tests and small imports: nothing on disk, memory that grows with the records."""

    def groups(self, records: Iterable[LegacyRecord]) -> Generator[RecordGroup, None, None]:
        yield from group_records(records)
