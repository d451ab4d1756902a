"""In-memory fake: delivery."""

from __future__ import annotations

from dataclasses import dataclass, field

from gatehouse.domain.delivery import Email, Sms


@dataclass
class FakeMailer:
    sent: list[Email] = field(default_factory=list)

    def send(self, email: Email) -> None:
        self.sent.append(email)

    def to(self, address: str) -> list[Email]:
        return [e for e in self.sent if e.to == address]


@dataclass
class FakeSms:
    sent: list[Sms] = field(default_factory=list)

    def send(self, sms: Sms) -> None:
        self.sent.append(sms)
