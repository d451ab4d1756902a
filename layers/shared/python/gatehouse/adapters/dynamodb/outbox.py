"""The outbox port on DynamoDB."""

from __future__ import annotations

from gatehouse.adapters import codec
from gatehouse.adapters.dynamodb import keys
from gatehouse.adapters.dynamodb.table import Table, batch_put, to_item
from gatehouse.domain.delivery import OutboxMessage


class DynamoOutbox:
    """Local stage only: the mail and SMS the stack sent, newest last."""

    def __init__(self, table: Table) -> None:
        self._t = table

    def record(self, *messages: OutboxMessage) -> None:
        from gatehouse.domain.secrets import new_id

        items = [{**keys.outbox(str(codec.iso(m.sent_at)), new_id("m")).item(), "channel": m.channel,
                  "to": m.to.lower(), "subject": m.subject, "text": m.text, "html": m.html,
                  "sent_at": codec.iso(m.sent_at)} for m in messages]
        if len(items) == 1:
            self._t.put(items[0])
        else:
            batch_put(self._t, items)  # a bulk send's messages, 25 a call

    def list(self, to: str | None) -> list[OutboxMessage]:
        items = self._t.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues=to_item({":p": keys.OUTBOX}))
        wanted = to.strip().lower() if to else None
        return [
            OutboxMessage(channel=i["channel"], to=i["to"], subject=i.get("subject", ""), text=i.get("text", ""),
                          html=i.get("html", ""), sent_at=codec.parse_iso(i["sent_at"]))  # type: ignore[arg-type]
            for i in items if wanted is None or i["to"] == wanted
        ]
