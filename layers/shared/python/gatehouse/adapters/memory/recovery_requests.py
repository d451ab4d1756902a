"""In-memory fake: recovery requests."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime

from gatehouse.adapters import codec
from gatehouse.domain.recovery_requests import RecoveryRequest


class MemoryRecoveryRequests:
    def __init__(self) -> None:
        self._requests: dict[str, RecoveryRequest] = {}
        self._lock = threading.Lock()

    def add(self, request: RecoveryRequest) -> None:
        self._requests[request.id] = request

    def get(self, request_id: str) -> RecoveryRequest | None:
        return self._requests.get(request_id)

    def pending(self, limit: int = 100) -> list[RecoveryRequest]:
        waiting = sorted((r for r in self._requests.values() if r.status == "pending"),
                         key=lambda r: (r.created_at, r.id))
        return waiting[:limit]

    def decide(self, request_id: str, status: str, by: str, note: str, at: datetime,
               from_status: str = "pending", due_at: datetime | None = None) -> bool:
        with self._lock:
            request = self._requests.get(request_id)
            if request is None or request.status != from_status:
                return False
            self._requests[request_id] = replace(
                request, status=status, decided_by=by, note=note, decided_at=at, due_at=due_at,
                effective_at=due_at if status == "approved" else request.effective_at)
            return True

    def move(self, request_id: str, from_status: str, to_status: str, due_at: datetime | None) -> bool:
        with self._lock:
            request = self._requests.get(request_id)
            if request is None or request.status != from_status:
                return False
            self._requests[request_id] = replace(request, status=to_status, due_at=due_at)
            return True

    def due(self, status: str, now: datetime, limit: int = 100) -> list[RecoveryRequest]:
        found = sorted((r for r in self._requests.values() if r.status == status and r.due_at is not None
                        and r.due_at <= now and r.documents_deleted_at is None), key=lambda r: (r.due_at, r.id))
        return found[:limit]

    def documents_deleted(self, request_id: str, at: datetime) -> None:
        with self._lock:
            request = self._requests[request_id]
            self._requests[request_id] = replace(request, documents_deleted_at=at, due_at=None)

    def record_download(self, request_id: str, document: str, by: str, at: datetime) -> None:
        with self._lock:
            request = self._requests[request_id]
            entry = {"document": document, "by": by, "at": codec.iso(at) or ""}
            self._requests[request_id] = replace(request, downloads=(*request.downloads, entry))
