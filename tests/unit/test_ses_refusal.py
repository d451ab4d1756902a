"""SES refusing a message is the person's problem (400 invalid_email), not a crash: at the adapter,
against moto's SES and against botocore's Stubber, and through a sign-up that then stores nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.stub import Stubber
from gatehouse.domain.delivery import Email
from gatehouse.errors import DependencyUnavailableError, InvalidEmailError
from gatehouse.settings import Settings
from moto import mock_aws

MESSAGE = Email(to="jane@example.com", subject="Hello", text="Hello", html="<p>Hello</p>")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "eu-west-3"}.items():
        monkeypatch.setenv(key, value)
    from gatehouse.adapters import aws as aws_module

    with mock_aws():
        aws_module._client.cache_clear()  # clients are cached per cold start; a fresh mock needs fresh ones
        yield Settings(stage="test", aws_endpoint_url=None, table_name="ses-refusal")
        aws_module._client.cache_clear()


def _verified(settings: Settings) -> None:
    from gatehouse.adapters.aws import client

    client("ses", settings).verify_email_identity(EmailAddress=settings.mail_from)


def test_ses_rejecting_the_message_is_invalid_email(aws: Settings) -> None:
    from gatehouse.adapters.delivery import SesMailer

    # moto's SES rejects (MessageRejected) what an unverified identity sends, as SES's sandbox does.
    with pytest.raises(InvalidEmailError) as raised:
        SesMailer(aws).send(MESSAGE)
    assert raised.value.__cause__.response["Error"]["Code"] == "MessageRejected"


def test_ses_refusing_the_address_is_invalid_email(aws: Settings) -> None:
    from gatehouse.adapters.delivery import SesMailer

    _verified(aws)
    SesMailer(aws).send(MESSAGE)  # a good address goes
    with pytest.raises(InvalidEmailError) as raised:
        SesMailer(aws).send(Email(to="jane", subject="Hello", text="Hello", html="<p>Hello</p>"))
    assert raised.value.__cause__.response["Error"]["Code"] == "InvalidParameterValue"


@pytest.mark.parametrize(("code", "expected"), [
    ("MessageRejected", InvalidEmailError), ("InvalidParameterValue", InvalidEmailError),
    ("Throttling", DependencyUnavailableError), ("ServiceUnavailable", DependencyUnavailableError),
])
def test_each_ses_error_is_told_apart(aws: Settings, code: str, expected: type[Exception]) -> None:
    from gatehouse.adapters.delivery import SesMailer

    mailer = SesMailer(aws)
    with Stubber(mailer._ses) as stub:
        stub.add_client_error("send_email", service_error_code=code, http_status_code=400)
        with pytest.raises(expected):
            mailer.send(MESSAGE)


def test_another_ses_error_is_not_mistaken_for_a_bad_address(aws: Settings) -> None:
    from botocore.exceptions import ClientError
    from gatehouse.adapters.delivery import SesMailer

    mailer = SesMailer(aws)
    with Stubber(mailer._ses) as stub:
        stub.add_client_error("send_email", service_error_code="AccessDenied", http_status_code=403)
        with pytest.raises(ClientError):
            mailer.send(MESSAGE)


def test_a_sign_up_that_ses_refuses_writes_no_pending_sign_up_to_dynamodb(aws: Settings) -> None:
    from gatehouse.adapters import dynamodb
    from gatehouse.adapters.aws import client
    from gatehouse.adapters.delivery import SesMailer
    from gatehouse.bootstrap import Container
    from gatehouse.clock import SystemClock
    from gatehouse.settings import Argon2Params

    settings = aws.with_overrides(argon2=Argon2Params(memory_kib=1024, time_cost=1, parallelism=1),
                                  unknown_key_floor_ms=0)
    dynamodb.create_table(settings)
    c = Container(settings, mailer=SesMailer(settings), clock=SystemClock())
    with pytest.raises(InvalidEmailError):  # the sender is not verified: moto's SES rejects the message
        c.signup.request("jane@example.com", "a quiet harbour at dawn", "en")
    items = client("dynamodb", settings).scan(TableName=settings.table_name)["Items"]
    assert [i["pk"]["S"] for i in items if not i["pk"]["S"].startswith(("THROTTLE#", "RATE#"))] == []
    _verified(settings)
    c.signup.request("jane@example.com", "a quiet harbour at dawn", "en")
    items = client("dynamodb", settings).scan(TableName=settings.table_name)["Items"]
    assert any(i["pk"]["S"].startswith("VERIFY#signup#") for i in items)
