"""The recovery requests port on DynamoDB."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gatehouse.adapters import codec
from gatehouse.adapters.aws import translated
from gatehouse.adapters.dynamodb import keys
from gatehouse.adapters.dynamodb.table import Table, attempt, from_item, to_item
from gatehouse.domain.recovery_requests import RecoveryRequest


class DynamoRecoveryRequests:
    """`RECOVERYREQ#<id>` / `R`; gsi1 `RECOVERYREQ#<status>` / `<when>#<id>`, where `when` is the
    creation for pending requests (support's queue, oldest first) and `due_at` for the others (what
    the scheduled run acts on next). A request whose documents are deleted leaves the index."""

    def __init__(self, table: Table) -> None:
        self._t = table

    @staticmethod
    def _from(v: Mapping[str, Any]) -> RecoveryRequest:
        def when(name: str) -> datetime | None:
            return codec.parse_iso(v[name]) if v.get(name) else None

        return RecoveryRequest(id=v["request_id"], lookup_kind=v["lookup_kind"], lookup_value=v["lookup_value"],
                               account_id=v.get("account_id"), new_email=v["new_email"],
                               postal_address=v["postal_address"], phone=v["phone"],
                               created_at=codec.parse_iso(v["created_at"]),  # type: ignore[arg-type]
                               status=v["status"], decided_at=when("decided_at"),
                               decided_by=v.get("decided_by"), note=v.get("note"),
                               documents=dict(v.get("documents") or {}), effective_at=when("effective_at"),
                               due_at=when("due_at"), documents_deleted_at=when("documents_deleted_at"),
                               downloads=tuple(dict(d) for d in v.get("downloads") or ()))

    def add(self, request: RecoveryRequest) -> None:
        self._t.put({**keys.recovery_request(request.id).item(), "request_id": request.id,
                     "lookup_kind": request.lookup_kind, "lookup_value": request.lookup_value,
                     "account_id": request.account_id, "new_email": request.new_email,
                     "postal_address": request.postal_address, "phone": request.phone,
                     "created_at": codec.iso(request.created_at), "status": request.status,
                     "documents": dict(request.documents) or None,
                     "gsi1pk": keys.recovery_status(request.status),
                     "gsi1sk": keys.recovery_queue(request.id, request.created_at)},
                    ConditionExpression="attribute_not_exists(pk)")

    def get(self, request_id: str) -> RecoveryRequest | None:
        values = self._t.get(*keys.recovery_request(request_id))
        return self._from(values) if values else None

    def pending(self, limit: int = 100) -> list[RecoveryRequest]:
        with translated("DynamoDB"):
            out = self._t.client.query(TableName=self._t.name, IndexName="gsi1", Limit=limit,
                                       KeyConditionExpression="gsi1pk = :p",
                                       ExpressionAttributeValues=to_item({":p": keys.recovery_status("pending")}))
        return [self._from(from_item(i)) for i in out["Items"]]

    def _sort_for(self, request_id: str, status: str, when: datetime) -> str:
        if status == "pending":  # back in support's queue at its place: by creation
            current = self._t.get(*keys.recovery_request(request_id))
            if current:
                when = codec.parse_iso(current["created_at"]) or when
        return keys.recovery_queue(request_id, when)

    def _conditional(self, request_id: str, expression: str, values: Mapping[str, Any]) -> bool:
        with attempt() as write:
            self._t.update(*keys.recovery_request(request_id), expression, values, {"#s": "status"},
                           ConditionExpression="#s = :from")
        return write.won

    def decide(self, request_id: str, status: str, by: str, note: str, at: datetime,
               from_status: str = "pending", due_at: datetime | None = None) -> bool:
        expression = "SET #s = :s, gsi1pk = :g, gsi1sk = :k, decided_by = :by, note = :note, decided_at = :at"
        values: dict[str, Any] = {":s": status, ":g": keys.recovery_status(status), ":by": by, ":note": note,
                                  ":at": codec.iso(at), ":from": from_status,
                                  ":k": self._sort_for(request_id, status, due_at or at)}
        if due_at is not None:
            expression += ", due_at = :due"
            values[":due"] = codec.iso(due_at)
            if status == "approved":
                expression += ", effective_at = :due"
        else:
            expression += " REMOVE due_at"
        return self._conditional(request_id, expression, values)

    def move(self, request_id: str, from_status: str, to_status: str, due_at: datetime | None) -> bool:
        values: dict[str, Any] = {":s": to_status, ":g": keys.recovery_status(to_status), ":from": from_status}
        if due_at is None:
            expression = "SET #s = :s, gsi1pk = :g REMOVE due_at"
            if to_status == "pending":
                expression = "SET #s = :s, gsi1pk = :g, gsi1sk = :k REMOVE due_at"
                values[":k"] = self._sort_for(request_id, to_status, datetime(1970, 1, 1, tzinfo=UTC))
        else:
            expression = "SET #s = :s, gsi1pk = :g, gsi1sk = :k, due_at = :due"
            values[":due"], values[":k"] = codec.iso(due_at), keys.recovery_queue(request_id, due_at)
        return self._conditional(request_id, expression, values)

    def due(self, status: str, now: datetime, limit: int = 100) -> list[RecoveryRequest]:
        with translated("DynamoDB"):
            out = self._t.client.query(TableName=self._t.name, IndexName="gsi1", Limit=limit,
                                       KeyConditionExpression="gsi1pk = :p AND gsi1sk <= :k",
                                       ExpressionAttributeValues=to_item({":p": keys.recovery_status(status),
                                                                          ":k": keys.recovery_queue_until(now)}))
        found = [self._from(from_item(i)) for i in out["Items"]]
        return [r for r in found if r.due_at is not None and r.due_at <= now]

    def documents_deleted(self, request_id: str, at: datetime) -> None:
        self._t.update(*keys.recovery_request(request_id),
                       "SET documents_deleted_at = :at REMOVE gsi1pk, gsi1sk, due_at", {":at": codec.iso(at)})

    def record_download(self, request_id: str, document: str, by: str, at: datetime) -> None:
        self._t.update(*keys.recovery_request(request_id),
                       "SET downloads = list_append(if_not_exists(downloads, :none), :d)",
                       {":none": [], ":d": [{"document": document, "by": by, "at": codec.iso(at)}]},
                       ConditionExpression="attribute_exists(pk)")
