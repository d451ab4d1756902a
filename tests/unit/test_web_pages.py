"""The pages' Content-Security-Policy: only the recovery form may post to the documents bucket."""

from __future__ import annotations

import pytest
from gatehouse import web
from gatehouse.adapters.documents import upload_origin
from gatehouse.settings import Settings


def test_the_recovery_pages_policy_adds_the_buckets_origin_to_connect_src_alone() -> None:
    policy = web.content_security_policy("https://docs.s3.eu-west-3.amazonaws.com")
    assert "connect-src 'self' https://docs.s3.eu-west-3.amazonaws.com;" in policy
    assert policy.replace(" https://docs.s3.eu-west-3.amazonaws.com", "") == web.CONTENT_SECURITY_POLICY
    assert web.content_security_policy(None) == web.CONTENT_SECURITY_POLICY
    assert {"recovery", "recovery/cancel", "support"} <= web.PAGES


def test_the_upload_origin_is_the_one_of_the_signed_forms_and_costs_no_aws_call(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    deployed = Settings(region="eu-west-3", aws_endpoint_url=None, documents_bucket="gatehouse-docs-dev")
    origin = upload_origin(deployed)
    assert origin.startswith("https://") and "gatehouse-docs-dev" in origin and origin.endswith("amazonaws.com")
    local = Settings(aws_endpoint_url="http://127.0.0.1:5999", documents_bucket="gatehouse-documents")
    assert upload_origin(local) == "http://127.0.0.1:5999"
