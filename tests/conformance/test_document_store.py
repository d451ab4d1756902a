"""The document store behaves the same as a fake and on S3 (moto): what was uploaded is described
by its type and size, a missing key is absent, deletion is quiet about absent keys, and a download
link makes the browser save the file. The forms' policies are checked as S3 checks them."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from gatehouse.adapters import memory
from gatehouse.adapters.documents import S3Documents
from gatehouse.local.moto_server import post_policy_refusal
from gatehouse.settings import Settings
from moto import mock_aws


@pytest.fixture
def s3_documents(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[S3Documents, object]]:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "eu-west-3"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        from gatehouse.adapters import aws

        aws._client.cache_clear()
        settings = Settings(aws_endpoint_url=None, documents_bucket=f"documents-{uuid.uuid4().hex[:8]}")
        s3 = aws.client("s3", settings)
        s3.create_bucket(Bucket=settings.documents_bucket,
                         CreateBucketConfiguration={"LocationConstraint": settings.region})
        yield S3Documents(settings), s3
        aws._client.cache_clear()


@pytest.fixture(params=["fake", "s3"])
def documents(request: pytest.FixtureRequest):
    """The store, and how a browser's upload lands in it."""
    if request.param == "fake":
        fake = memory.FakeDocuments()
        return fake, fake.upload
    store, s3 = request.getfixturevalue("s3_documents")

    def upload(key: str, content_type: str, size: int) -> None:
        s3.put_object(Bucket=store._bucket, Key=key, Body=b"x" * size, ContentType=content_type)

    return store, upload


def test_an_uploaded_document_is_described_and_a_missing_one_is_absent(documents) -> None:
    store, upload = documents
    upload("recovery-requests/rrq_1/identity_1-abc", "image/png", 1234)
    described = store.describe("recovery-requests/rrq_1/identity_1-abc")
    assert (described.content_type, described.size) == ("image/png", 1234)
    assert store.describe("recovery-requests/rrq_1/identity_2-def") is None


def test_deleting_removes_the_documents_and_ignores_absent_ones(documents) -> None:
    store, upload = documents
    upload("recovery-requests/rrq_2/last_bill-a", "application/pdf", 10)
    store.delete(["recovery-requests/rrq_2/last_bill-a", "recovery-requests/rrq_2/never-uploaded"])
    store.delete([])
    assert store.describe("recovery-requests/rrq_2/last_bill-a") is None


def test_a_download_link_saves_the_file_under_the_name_given(s3_documents) -> None:
    store, _ = s3_documents
    url = store.download_url("recovery-requests/rrq_3/last_bill-a", 60, filename="rrq_3-last_bill.pdf")
    query = parse_qs(urlparse(url).query)
    assert query["response-content-disposition"] == ['attachment; filename="rrq_3-last_bill.pdf"']
    assert query["X-Amz-Expires"] == ["60"]


def test_a_form_fixes_its_key_its_one_content_type_and_a_size_range(s3_documents) -> None:
    store, _ = s3_documents
    form = store.upload_form("recovery-requests/rrq_4/identity_1-a", 1000, 3600, "image/jpeg")
    fields = form["fields"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert fields["key"] == "recovery-requests/rrq_4/identity_1-a" and fields["Content-Type"] == "image/jpeg"
    assert {"Content-Type": "image/jpeg"} in policy["conditions"]
    assert ["content-length-range", 1, 1000] in policy["conditions"]
    bucket = store._bucket
    assert post_policy_refusal(fields, bucket, 500) is None
    assert post_policy_refusal({**fields, "Content-Type": "text/html"}, bucket, 500)[0] == 403
    assert post_policy_refusal({**fields, "key": "recovery-requests/rrq_4/other"}, bucket, 500)[0] == 403
    assert post_policy_refusal({**fields, "acl": "public-read"}, bucket, 500)[0] == 403
    assert post_policy_refusal(fields, "another-bucket", 500)[0] == 403
    assert post_policy_refusal(fields, bucket, 0)[1] == "EntityTooSmall"
    assert post_policy_refusal(fields, bucket, 1001)[1] == "EntityTooLarge"
    assert post_policy_refusal(fields, bucket, 500, now=time.time() + 3601)[2].endswith("Policy expired.")
