"""In-memory fake: documents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gatehouse.domain.recovery_requests import StoredDocument


class FakeDocuments:
    """Presigned forms and links that name their key; `upload` stands for a browser's upload."""

    def __init__(self) -> None:
        self.objects: dict[str, StoredDocument] = {}

    def upload_form(self, key: str, max_bytes: int, expires_seconds: int,
                    content_type: str = "application/pdf") -> dict[str, Any]:
        return {"url": "https://documents.invalid/",
                "fields": {"key": key, "Content-Type": content_type, "max_bytes": str(max_bytes)}}

    def upload(self, key: str, content_type: str, size: int) -> None:
        self.objects[key] = StoredDocument(content_type=content_type, size=size)

    def download_url(self, key: str, expires_seconds: int, filename: str = "document") -> str:
        return f"https://documents.invalid/{key}?disposition=attachment&filename={filename}"

    def describe(self, key: str) -> StoredDocument | None:
        return self.objects.get(key)

    def delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.objects.pop(key, None)
