"""What is sent to people: an email, an SMS, as their senders take them, and what the local stage's
outbox recorded of each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    tag: str = ""


@dataclass(frozen=True)
class Sms:
    to: str
    text: str
    tag: str = ""


@dataclass(frozen=True)
class OutboxMessage:
    channel: str
    to: str
    subject: str
    text: str
    html: str
    sent_at: datetime
