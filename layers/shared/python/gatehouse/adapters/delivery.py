"""Delivery: SES for email, SNS for SMS, and the local outbox that records both."""

from __future__ import annotations

from botocore.exceptions import ClientError

from gatehouse.adapters.aws import client, error_code, translated
from gatehouse.domain.delivery import Email, OutboxMessage, Sms
from gatehouse.errors import InvalidEmailError
from gatehouse.ports import Clock, Mailer, Outbox, SmsSender
from gatehouse.settings import Settings

# What SES answers for an address it will not send to (the request models refuse most such
# addresses first; SES's own rules are the last word).
_REFUSED = {"MessageRejected", "InvalidParameterValue"}


class SesMailer:
    def __init__(self, settings: Settings) -> None:
        self._ses = client("ses", settings)
        self._from = settings.mail_from

    def send(self, email: Email) -> None:
        """Raises InvalidEmailError when SES refuses the message, so that the flow stores nothing."""
        try:
            with translated("SES"):
                self._ses.send_email(
                    Source=self._from,
                    Destination={"ToAddresses": [email.to]},
                    Message={
                        "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                        "Body": {"Text": {"Data": email.text, "Charset": "UTF-8"},
                                 "Html": {"Data": email.html, "Charset": "UTF-8"}},
                    },
                )
        except ClientError as exc:
            if error_code(exc) in _REFUSED:
                raise InvalidEmailError() from exc
            raise


class SnsSms:
    def __init__(self, settings: Settings) -> None:
        self._sns = client("sns", settings)

    def send(self, sms: Sms) -> None:
        with translated("SNS"):
            self._sns.publish(
                PhoneNumber=sms.to,
                Message=sms.text,
                MessageAttributes={
                    # Transactional: delivered first and even to numbers that opted out of marketing.
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                    "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": "Gatehouse"},
                },
            )


class RecordingMailer:
    """Local stage: send through SES (moto) and keep a copy in the outbox for people and tests."""

    def __init__(self, inner: Mailer, outbox: Outbox, clock: Clock) -> None:
        self._inner, self._outbox, self._clock = inner, outbox, clock

    def send(self, email: Email) -> None:
        self._inner.send(email)
        self._outbox.record(OutboxMessage("email", email.to.lower(), email.subject, email.text, email.html,
                                          self._clock.now()))


class RecordingSms:
    def __init__(self, inner: SmsSender, outbox: Outbox, clock: Clock) -> None:
        self._inner, self._outbox, self._clock = inner, outbox, clock

    def send(self, sms: Sms) -> None:
        self._inner.send(sms)
        self._outbox.record(OutboxMessage("sms", sms.to, "", sms.text, "", self._clock.now()))
