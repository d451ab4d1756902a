"""The outbox behaves the same as a fake and on DynamoDB."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def test_the_outbox_lists_a_bulk_send_per_recipient_whatever_the_case(outbox) -> None:
    from gatehouse.domain.delivery import OutboxMessage

    now = datetime.now(UTC)
    tag = uuid.uuid4().hex[:8]
    sent = [OutboxMessage("email", f"{tag}-{i}@example.com", f"subject {i}", "text", "<p>html</p>", now)
            for i in range(30)]
    outbox.record(*sent)
    outbox.record(OutboxMessage("sms", "+33612345678", "", "code", "", now))
    assert outbox.list(f"{tag}-7@EXAMPLE.com") == [sent[7]]
    assert {m.to for m in outbox.list(None)} >= {m.to for m in sent}
