"""Identity documents in S3: presigned POST forms for the browser, presigned GET links for support.

Both are signed locally (no AWS call). A form allows one key, a size range and a short life; the
bucket is private, encrypted and versioned (infra/template.py), so nothing is reachable without
a link made here.
"""

from __future__ import annotations

from typing import Any

from gatehouse.adapters.aws import client
from gatehouse.settings import Settings


class S3Documents:
    def __init__(self, settings: Settings) -> None:
        self._s3, self._bucket = client("s3", settings), settings.documents_bucket

    def upload_form(self, key: str, max_bytes: int, expires_seconds: int) -> dict[str, Any]:
        form = self._s3.generate_presigned_post(self._bucket, key, ExpiresIn=expires_seconds,
                                                Conditions=[["content-length-range", 1, max_bytes]])
        return {"url": form["url"], "fields": form["fields"]}

    def download_url(self, key: str, expires_seconds: int) -> str:
        return str(self._s3.generate_presigned_url("get_object", Params={"Bucket": self._bucket, "Key": key},
                                                   ExpiresIn=expires_seconds))
