"""Identity documents in S3: presigned POST forms for the browser, presigned GET links for support.

Both are signed locally (no AWS call). A form allows one key, one content type, a size range and a
short life; the bucket is private, encrypted and versioned (infra/template.py), so nothing is
reachable without a link made here. A link makes the browser save the file rather than render it
(`Content-Disposition: attachment`): a document is a stranger's upload, never a page of ours.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from gatehouse.adapters.aws import client, error_code, translated
from gatehouse.domain.recovery_requests import StoredDocument
from gatehouse.settings import Settings


class S3Documents:
    def __init__(self, settings: Settings) -> None:
        self._s3, self._bucket = client("s3", settings), settings.documents_bucket

    def upload_form(self, key: str, max_bytes: int, expires_seconds: int,
                    content_type: str = "application/pdf") -> dict[str, Any]:
        # An exact Content-Type condition: a POST policy has no "one of", so the form is made for
        # the one type the person said the file has.
        form = self._s3.generate_presigned_post(
            self._bucket, key, Fields={"Content-Type": content_type}, ExpiresIn=expires_seconds,
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]])
        return {"url": form["url"], "fields": form["fields"]}

    def download_url(self, key: str, expires_seconds: int, filename: str = "document") -> str:
        return str(self._s3.generate_presigned_url(
            "get_object", ExpiresIn=expires_seconds,
            Params={"Bucket": self._bucket, "Key": key,
                    "ResponseContentDisposition": f'attachment; filename="{filename}"'}))

    def describe(self, key: str) -> StoredDocument | None:
        try:
            with translated("S3"):
                head = self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            # Without s3:ListBucket (not granted: nobody lists the documents) S3 answers a missing
            # key with 403, not 404. Either way the document is not there to be judged.
            if error_code(exc) in ("404", "NoSuchKey", "NotFound", "403", "AccessDenied"):
                return None
            raise
        return StoredDocument(content_type=str(head.get("ContentType") or ""), size=int(head["ContentLength"]))

    def delete(self, keys: Sequence[str]) -> None:
        # The bucket is versioned: this leaves delete markers, and the lifecycle rule removes the
        # noncurrent versions a day later (so this role needs no s3:DeleteObjectVersion).
        for start in range(0, len(keys), 1000):
            chunk = [{"Key": k} for k in keys[start:start + 1000]]
            if chunk:
                with translated("S3"):
                    self._s3.delete_objects(Bucket=self._bucket, Delete={"Objects": chunk, "Quiet": True})



def upload_origin(settings: Settings) -> str:
    """The origin the browser posts documents to, for the recovery page's Content-Security-Policy.
    Read from a form signed here (no AWS call), so it is the bucket's address whatever its style."""
    return _upload_origin(settings.region, settings.aws_endpoint_url, settings.documents_bucket)


@cache
def _upload_origin(region: str, endpoint_url: str | None, bucket: str) -> str:
    s3 = client("s3", Settings(region=region, aws_endpoint_url=endpoint_url, documents_bucket=bucket))
    parts = urlsplit(s3.generate_presigned_post(bucket, "recovery-requests/origin", ExpiresIn=60)["url"])
    return f"{parts.scheme}://{parts.netloc}"
