"""Bulk templated email: SES `SendBulkTemplatedEmail`, 50 recipients a call, one template per
message and locale, created at provision time from the templates of `gatehouse.messages`.

On the local stage each message is also rendered with `messages.render` and recorded in the
outbox, so `/dev/outbox` shows exactly what a recipient would read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from botocore.exceptions import ClientError

from gatehouse import messages
from gatehouse.adapters.aws import client, error_code, translated
from gatehouse.domain.delivery import Email, OutboxMessage
from gatehouse.ports import Clock, Outbox
from gatehouse.settings import Settings

SES_BULK_LIMIT = 50
_PLACEHOLDER = re.compile(r"\$(\w+)")


class BulkMailer(Protocol):
    def send_bulk(self, template: str, locale: str, recipients: Sequence[tuple[str, Mapping[str, str]]]) -> None:
        """Send the template to every recipient (address, values); chunks as the provider needs."""
        ...


def ses_template_name(template: str, locale: str, stage: str) -> str:
    """SES templates are per account and region: the stage keeps two stages' apart."""
    return f"gatehouse-{stage}-{template}-{locale}"


def create_ses_templates(settings: Settings, names: Sequence[str]) -> None:
    """Create (or update) the SES templates of these messages in every locale (idempotent)."""
    ses = client("ses", settings)
    for name in names:
        for locale, (subject, body) in messages.templates(name).items():
            def to_ses(text: str) -> str:
                return _PLACEHOLDER.sub(r"{{\1}}", text)

            template = {"TemplateName": ses_template_name(name, locale, settings.stage), "SubjectPart": to_ses(subject),
                        "TextPart": to_ses(body), "HtmlPart": messages.to_html(to_ses(body))}
            try:
                ses.create_template(Template=template)
            except ClientError as exc:
                if error_code(exc) != "AlreadyExists":
                    raise
                ses.update_template(Template=template)


class SesBulkMailer:
    def __init__(self, settings: Settings) -> None:
        self._ses = client("ses", settings)
        self._from, self._stage = settings.mail_from, settings.stage

    def send_bulk(self, template: str, locale: str, recipients: Sequence[tuple[str, Mapping[str, str]]]) -> None:
        for start in range(0, len(recipients), SES_BULK_LIMIT):
            chunk = recipients[start:start + SES_BULK_LIMIT]
            with translated("SES"):
                self._ses.send_bulk_templated_email(
                    Source=self._from, Template=ses_template_name(template, locale, self._stage),
                    DefaultTemplateData="{}",
                    Destinations=[{"Destination": {"ToAddresses": [to]},
                                   "ReplacementTemplateData": json.dumps(dict(values))} for to, values in chunk],
                )


class RecordingBulkMailer:
    """Local stage: send through SES (moto) and record each rendered message in the outbox."""

    def __init__(self, inner: BulkMailer, outbox: Outbox, clock: Clock) -> None:
        self._inner, self._outbox, self._clock = inner, outbox, clock

    def send_bulk(self, template: str, locale: str, recipients: Sequence[tuple[str, Mapping[str, str]]]) -> None:
        self._inner.send_bulk(template, locale, recipients)
        now = self._clock.now()
        rendered = [(to, messages.render(template, locale, **values)) for to, values in recipients]
        self._outbox.record(*(OutboxMessage("email", to.lower(), subject, text, html, now)
                              for to, (subject, text, html) in rendered))


@dataclass
class FakeBulkMailer:
    """Unit tests: what was sent, rendered, and how many provider calls it took."""

    sent: list[Email] = field(default_factory=list)
    calls: int = 0

    def send_bulk(self, template: str, locale: str, recipients: Sequence[tuple[str, Mapping[str, str]]]) -> None:
        self.calls += -(-len(recipients) // SES_BULK_LIMIT)
        for to, values in recipients:
            self.sent.append(messages.email(template, to, locale, **values))
