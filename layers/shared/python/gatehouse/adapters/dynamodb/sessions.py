"""The sessions port on DynamoDB."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from gatehouse.adapters import codec
from gatehouse.adapters.dynamodb.table import Table, conditional_failed, to_item
from gatehouse.domain.sessions import Session
from gatehouse.errors import ConditionFailedError


class DynamoSessions:
    def __init__(self, table: Table) -> None:
        self._t = table

    @staticmethod
    def _key(token_hash: str) -> tuple[str, str]:
        return f"SESSION#{token_hash}", "S"

    @staticmethod
    def _item(s: Session) -> dict[str, Any]:
        pk, sk = DynamoSessions._key(s.token_hash)
        return {"pk": pk, "sk": sk, "gsi1pk": f"SESSIONS#{s.account_id}", "gsi1sk": codec.iso(s.created_at),
                "expires_at": codec.epoch(s.expires_at), "data": codec.session_to_dict(s)}

    def add(self, session: Session, replacing: str | None = None) -> None:
        try:
            if not replacing or replacing == session.token_hash:
                self._t.put(self._item(session), ConditionExpression="attribute_not_exists(pk)")
                return
            # The rotated token ends in the same transaction: one round trip, and never both alive.
            pk, sk = self._key(replacing)
            self._t.transact([
                {"Put": {"Item": to_item(self._item(session)), "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Delete": {"Key": to_item({"pk": pk, "sk": sk})}},
            ])
        except ClientError as exc:
            if conditional_failed(exc):
                raise ConditionFailedError() from exc
            raise

    def save(self, session: Session) -> None:
        # Only a session that still exists may be refreshed: a logout racing a request must win.
        try:
            self._t.put(self._item(session), ConditionExpression="attribute_exists(pk)")
        except ClientError as exc:
            if conditional_failed(exc):
                raise ConditionFailedError() from exc
            raise

    def get(self, token_hash: str, now: datetime) -> Session | None:
        return live_session(self._t.get(*self._key(token_hash)), now)

    def mark_valid_from(self, token_hash: str, at: datetime) -> None:
        try:
            self._t.update(*self._key(token_hash), "SET #d.valid_from = :at", {":at": codec.iso(at)}, {"#d": "data"},
                           ConditionExpression="attribute_exists(pk)")
        except ClientError as exc:
            if not conditional_failed(exc):
                raise

    def delete(self, token_hash: str) -> None:
        self._t.delete(*self._key(token_hash))

    def list_for_account(self, account_id: str, now: datetime) -> list[Session]:
        items = self._t.query(
            IndexName="gsi1", KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues=to_item({":p": f"SESSIONS#{account_id}"}),
        )
        sessions = [codec.session_from_dict(i["data"]) for i in items if i["expires_at"] > codec.epoch(now)]
        return sorted(sessions, key=lambda s: s.created_at)

    def delete_for_account(self, account_id: str, keep: str | None = None) -> int:
        items = self._t.query(
            IndexName="gsi1", KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues=to_item({":p": f"SESSIONS#{account_id}"}),
        )
        keys = [(i["pk"], i["sk"]) for i in items if i["pk"] != self._key(keep or "")[0]]
        self._t.batch_delete(keys)
        return len(keys)


def live_session(item: dict[str, Any] | None, now: datetime) -> Session | None:
    """A session item as the port answers it: one past its expiry (TTL deletes late) is absent."""
    if not item or item["expires_at"] <= codec.epoch(now):
        return None
    return codec.session_from_dict(item["data"])
