"""The AWS calls of one reset request, counted in-process against moto (tests/bench/recovery.py):
an unknown account makes the same DynamoDB calls as a known one, never an SMS, and every step
stays within a small budget."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from gatehouse.adapters.code_pepper import create_code_pepper
from gatehouse.settings import Settings
from moto import mock_aws

from tests.bench.recovery import measure_reset_calls, reset_call_breakdown

KINDS = ("email", "domain", "legacy identifier", "account id")


def with_code_pepper(settings: Settings) -> None:
    """The KMS key and the wrapped code pepper that `gatehouse provision` makes."""
    from gatehouse.adapters import aws

    kms = aws.client("kms", settings)
    if all(a["AliasName"] != settings.kms_key_id for a in kms.list_aliases()["Aliases"]):
        kms.create_alias(AliasName=settings.kms_key_id, TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    create_code_pepper(settings)


@pytest.fixture(scope="module")
def steps() -> Iterator[dict[str, Counter[str]]]:
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                           "AWS_DEFAULT_REGION": "eu-west-3"}.items():
            mp.setenv(key, value)
        from gatehouse.adapters import aws, dynamodb

        with mock_aws():
            aws._client.cache_clear()  # clients are cached per cold start; a fresh mock needs fresh ones
            settings = Settings(stage="test", aws_endpoint_url=None, table_name="recovery-calls")
            dynamodb.create_table(settings)
            aws.client("ses", settings).verify_email_identity(EmailAddress=settings.mail_from)
            with_code_pepper(settings)
            yield reset_call_breakdown(settings)
            aws._client.cache_clear()


def only(calls: Counter[str], service: str) -> Counter[str]:
    return Counter({op: n for op, n in calls.items() if op.startswith(service + ".")})


@pytest.mark.parametrize("strategy", ["email", "sms"])
@pytest.mark.parametrize("kind", KINDS)
def test_an_unknown_key_makes_the_same_dynamodb_calls_as_a_known_one(steps, strategy, kind) -> None:
    path = f"POST /password/reset/{strategy}"
    known, unknown = steps[f"{path} (known {kind})"], steps[f"{path} (unknown {kind})"]
    assert only(known, "dynamodb") == only(unknown, "dynamodb")
    assert sum(only(known, "dynamodb").values()) > 0


@pytest.mark.parametrize("kind", KINDS)
def test_no_sms_is_sent_for_an_unknown_account(steps, kind) -> None:
    assert steps[f"POST /password/reset/sms (known {kind})"]["sns.Publish"] == 1
    assert steps[f"POST /password/reset/sms (unknown {kind})"]["sns.Publish"] == 0


def test_only_an_unknown_email_address_gets_mail(steps) -> None:
    assert steps["POST /password/reset/email (unknown email)"]["email.SendEmail"] == 1
    assert steps["POST /password/reset/email (unknown domain)"]["email.SendEmail"] == 0


def test_every_reset_step_stays_within_its_budget(steps) -> None:
    totals = {name: sum(calls.values()) for name, calls in steps.items()}
    # lookup 2, throttles 2, link or flow 3 (a resend: +2 to end the previous flow), delivery 1
    assert max(v for k, v in totals.items() if "/complete" not in k and "resend" not in k) <= 8, totals
    assert totals["POST /password/reset/sms (resend)"] <= 10, totals
    assert totals["POST /password/reset/sms/complete (wrong code)"] <= 2, totals
    assert totals["POST /password/reset/email/complete (used link)"] <= 1, totals
    # read the flow, consume, read + save the account, end sessions, clear the throttle, notice
    assert totals["POST /password/reset/email/complete"] <= 10, totals


def test_measure_reset_calls_reports_totals() -> None:
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                           "AWS_DEFAULT_REGION": "eu-west-3"}.items():
            mp.setenv(key, value)
        from gatehouse.adapters import aws, dynamodb

        with mock_aws():
            aws._client.cache_clear()
            settings = Settings(stage="test", aws_endpoint_url=None, table_name="recovery-totals")
            dynamodb.create_table(settings)
            aws.client("ses", settings).verify_email_identity(EmailAddress=settings.mail_from)
            with_code_pepper(settings)
            totals = measure_reset_calls(settings)
            aws._client.cache_clear()
    assert totals["POST /password/reset/sms/complete"] > 0
    assert all(isinstance(v, int) for v in totals.values())
