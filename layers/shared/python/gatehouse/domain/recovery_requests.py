"""Recovery requests: a person whose email no longer works asks support, with identity documents,
for a new address. The flow is `flows.recovery_requests`; documents live in the `DocumentStore`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class RecoveryRequest:
    """A person whose email no longer works asks, with identity documents, for a new address.
    `account_id` is None when the key they gave matches no account: stored all the same (the
    answer must not tell), and support sees it."""

    id: str
    lookup_kind: str
    lookup_value: str
    account_id: str | None
    new_email: str
    postal_address: str
    phone: str
    created_at: datetime
    status: str = "pending"  # pending | approved (on hold) | applied | cancelled | rejected
    decided_at: datetime | None = None
    decided_by: str | None = None
    note: str | None = None
    # Each document's object key: random, so a form's key is known only to whoever got the form.
    documents: Mapping[str, str] = field(default_factory=dict)
    # When an approval takes effect (the end of its hold).
    effective_at: datetime | None = None
    # When the scheduled run next acts on it: the end of the hold while approved, then the deletion
    # of its documents; None once nothing is left to do.
    due_at: datetime | None = None
    documents_deleted_at: datetime | None = None
    # Every download of a document by an agent: {"document", "by", "at" (ISO)}.
    downloads: tuple[Mapping[str, str], ...] = ()


@dataclass(frozen=True)
class StoredDocument:
    """What was uploaded at a document's key, as the store describes it."""

    content_type: str
    size: int
