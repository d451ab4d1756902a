"""In-memory fake: outbox."""

from __future__ import annotations

from dataclasses import dataclass, field

from gatehouse.domain.delivery import OutboxMessage


@dataclass
class MemoryOutbox:
    messages: list[OutboxMessage] = field(default_factory=list)

    def record(self, *messages: OutboxMessage) -> None:
        self.messages.extend(messages)

    def list(self, to: str | None) -> list[OutboxMessage]:
        return [m for m in self.messages if to is None or m.to == to.strip().lower()]
