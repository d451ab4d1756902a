"""The sessions port on DynamoDB."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gatehouse.adapters import codec
from gatehouse.adapters.dynamodb import keys
from gatehouse.adapters.dynamodb.table import Table, attempt, to_item
from gatehouse.domain.sessions import Session


class DynamoSessions:
    def __init__(self, table: Table) -> None:
        self._t = table

    def add(self, session: Session, replacing: str | None = None) -> None:
        if not replacing or replacing == session.token_hash:
            self._t.put(session_item(session), ConditionExpression="attribute_not_exists(pk)")
            return
        # The rotated token ends in the same transaction: one round trip, and never both alive.
        self._t.transact([
            {"Put": {"Item": to_item(session_item(session)), "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Delete": {"Key": to_item(keys.session(replacing).item())}},
        ])

    def save(self, session: Session) -> None:
        # Only a session that still exists may be refreshed: a logout racing a request must win.
        self._t.put(session_item(session), ConditionExpression="attribute_exists(pk)")

    def get(self, token_hash: str, now: datetime) -> Session | None:
        return live_session(self._t.get(*keys.session(token_hash)), now)

    def mark_valid_from(self, token_hash: str, at: datetime) -> None:
        with attempt():  # a session already gone has nothing left to mark
            self._t.update(*keys.session(token_hash), "SET #d.valid_from = :at", {":at": codec.iso(at)},
                           {"#d": "data"}, ConditionExpression="attribute_exists(pk)")

    def delete(self, token_hash: str) -> None:
        self._t.delete(*keys.session(token_hash))

    def list_for_account(self, account_id: str, now: datetime) -> list[Session]:
        items = self._t.query(
            IndexName="gsi1", KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues=to_item({":p": keys.sessions_of(account_id)}),
        )
        sessions = [codec.session_from_dict(i["data"]) for i in items if i["expires_at"] > codec.epoch(now)]
        return sorted(sessions, key=lambda s: s.created_at)

    def delete_for_account(self, account_id: str, keep: str | None = None) -> int:
        items = self._t.query(
            IndexName="gsi1", KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues=to_item({":p": keys.sessions_of(account_id)}),
        )
        found = [(i["pk"], i["sk"]) for i in items if i["pk"] != keys.session(keep or "").pk]
        self._t.batch_delete(found)
        return len(found)


def session_item(s: Session) -> dict[str, Any]:
    """A session's item (the session routes' round trips write it too)."""
    return {**keys.session(s.token_hash).item(), "gsi1pk": keys.sessions_of(s.account_id),
            "gsi1sk": codec.iso(s.created_at), "expires_at": codec.epoch(s.expires_at),
            "data": codec.session_to_dict(s)}


def live_session(item: dict[str, Any] | None, now: datetime) -> Session | None:
    """A session item as the port answers it: one past its expiry (TTL deletes late) is absent."""
    if not item or item["expires_at"] <= codec.epoch(now):
        return None
    return codec.session_from_dict(item["data"])
