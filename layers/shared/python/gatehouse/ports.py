"""The interfaces the flows need. Adapters implement them on AWS; `adapters.memory` with fakes.

Both implementations pass the same conformance suite (tests/conformance), so a fake cannot drift
from DynamoDB's semantics: conditional writes, expiry treated as absence, single consumption.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from gatehouse.domain.accounts import Account, Resource
from gatehouse.domain.sessions import Session
from gatehouse.domain.throttling import FailureRecord
from gatehouse.domain.verification import Verification


class Clock(Protocol):
    def now(self) -> datetime: ...


class AccountRepository(Protocol):
    def get(self, account_id: str) -> Account | None: ...

    def get_by_email(self, email: str) -> Account | None:
        """By normalised email."""
        ...

    def find_by_alias(self, kind: str, value: str) -> Account | None:
        """By a unique alias: `domain` (a linked domain name) or `legacy` (a Dedibox identifier)."""
        ...

    def add(self, account: Account, aliases: Mapping[str, Iterable[str]] = ...) -> None:
        """Create the account and claim its email (and aliases) at once; ConflictError if taken."""
        ...

    def add_many(self, entries: Sequence[tuple[Account, Mapping[str, Iterable[str]]]]) -> list[bool]:
        """`add` for a batch (a unification): each account all or nothing with its claims, the
        accounts independent of each other. Per entry, whether it was added (False: its id, email
        or an alias was taken)."""
        ...

    def save(self, account: Account) -> Account:
        """Write if nobody else did since `account` was read (version check); returns the new version.
        ConditionFailedError when the version moved. A changed email moves its uniqueness claim."""
        ...


class SessionRepository(Protocol):
    def add(self, session: Session) -> None: ...

    def get(self, token_hash: str, now: datetime) -> Session | None:
        """A live session; an expired one still in the table is absent."""
        ...

    def save(self, session: Session) -> None: ...

    def delete(self, token_hash: str) -> None: ...

    def list_for_account(self, account_id: str, now: datetime) -> list[Session]: ...

    def delete_for_account(self, account_id: str, keep: str | None = None) -> int:
        """End every session of the account but `keep` (a token hash); returns how many ended."""
        ...


@dataclass(frozen=True)
class OneTimeItem:
    """Anything used once: an email link, a hand-off code, a challenge. Stored under its digest."""

    kind: str
    key: str
    subject: str
    expires_at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)


class OneTimeStore(Protocol):
    def put(self, item: OneTimeItem) -> None: ...

    def get(self, kind: str, key: str, now: datetime) -> OneTimeItem | None: ...

    def consume(self, kind: str, key: str, now: datetime, *, bound_to: Mapping[str, Any] | None = None
                ) -> OneTimeItem | None:
        """Delete and return the item in one conditional write, so that of two racing uses only one
        wins. None when it is absent, expired, already used, or its data does not match `bound_to`."""
        ...

    def replace_latest(self, item: OneTimeItem) -> None:
        """Put `item` and kill the previous item of the same kind and subject (a newer link kills
        older ones)."""
        ...

    def delete_for_subject(self, kind: str, subject: str) -> None:
        """Kill the latest item of this kind and subject, if any."""
        ...


class ThrottleStore(Protocol):
    def failures(self, key: str, now: datetime) -> FailureRecord: ...

    def record_failure(self, key: str, now: datetime, ttl_seconds: int) -> FailureRecord:
        """Atomically count one more failure (an ADD, so concurrent failures all count); a counter
        past its expiry (still in the table: TTL deletes late) restarts at 1."""
        ...

    def clear(self, key: str) -> None: ...

    def hit(self, key: str, now: datetime, window_seconds: int) -> int:
        """Count one event in the fixed window that contains `now`; returns the count so far (an
        expired counter restarts at 1, as `record_failure`'s)."""
        ...


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


class Mailer(Protocol):
    def send(self, email: Email) -> None: ...


class SmsSender(Protocol):
    def send(self, sms: Sms) -> None: ...


@dataclass(frozen=True)
class OutboxMessage:
    channel: str
    to: str
    subject: str
    text: str
    html: str
    sent_at: datetime


class Outbox(Protocol):
    """Local stage only: what the stack sent, for people and tests to read."""

    def record(self, *messages: OutboxMessage) -> None: ...

    def list(self, to: str | None) -> list[OutboxMessage]: ...


class ConsoleAuthenticator(Protocol):
    def verify(self, console_id: str, secret: str) -> bool: ...


class KeyVault(Protocol):
    """Envelope encryption of small secrets (TOTP seeds)."""

    def encrypt(self, plaintext: bytes, context: Mapping[str, str]) -> bytes: ...

    def decrypt(self, blob: bytes, context: Mapping[str, str]) -> bytes: ...

    def seal_many(self, items: Sequence[tuple[bytes, Mapping[str, str]]]) -> list[bytes]:
        """`encrypt` for many secrets of one purpose at once (a migration's batch): each blob opens
        with `decrypt` under its own context, as `encrypt`'s do, and only there."""
        ...


@dataclass(frozen=True)
class Factor:
    """The secret side of an enrolled second factor, in its own item (Account.mfa_methods is only
    the public summary). `counter` only ever grows: a TOTP's last accepted time step, a WebAuthn
    credential's sign count; `data` holds the type's own fields (an encrypted seed, a public key)."""

    account_id: str
    id: str
    type: str
    created_at: datetime
    counter: int = 0
    data: Mapping[str, Any] = field(default_factory=dict)


class MfaStore(Protocol):
    def add(self, factor: Factor) -> None: ...

    def get(self, account_id: str, factor_id: str) -> Factor | None: ...

    def list(self, account_id: str) -> list[Factor]: ...

    def delete(self, account_id: str, factor_id: str) -> None: ...

    def advance(self, account_id: str, factor_id: str, counter: int) -> bool:
        """Set the counter to `counter` in one conditional write that requires the stored one to be
        lower, so of two requests presenting one TOTP step (or one sign count) only one wins."""
        ...

    def replace_recovery_codes(self, account_id: str, code_hashes: Iterable[str]) -> None:
        """The new set of recovery code digests; the previous set dies."""
        ...

    def use_recovery_code(self, account_id: str, code_hash: str) -> bool:
        """Remove one digest in one conditional write; False if absent (unknown or already used)."""
        ...

    def recovery_codes_remaining(self, account_id: str) -> int: ...

    def delete_recovery_codes(self, account_id: str) -> None: ...

    def add_many(self, factors: Sequence[Factor]) -> Sequence[bool]:
        """For migrations, which store a factor before its account exists: per factor, whether it
        was stored. One is not when a factor is already stored under its id (a rerun: kept as it
        is), nor once its account exists (its migration is over: a factor missing then was deleted
        by its user, and a rerun must not bring it back)."""
        ...


class VerificationStore(Protocol):
    """Every one-time code's verification process (`domain.verification`), one record shape."""

    def start(self, verification: Verification, now: datetime) -> Verification | None:
        """Make `verification` its purpose and subject's live process: the older one ends and its
        failures carry over (a resend never resets the count). Nothing starts, and None comes back,
        while the live one is exhausted or when a concurrent start for the same subject won."""
        ...

    def create(self, verification: Verification) -> None:
        """Store a process that replaces nothing (a throttled request's, an email reset's)."""
        ...

    def get(self, purpose: str, key: str, now: datetime) -> Verification | None:
        """The process, exhausted or not; an expired or completed one is absent."""
        ...

    def fail(self, purpose: str, key: str, now: datetime) -> Verification | None:
        """Count one failure in one conditional write (live, not exhausted), so racing failures all
        count; the new state, or None when the process was already dead."""
        ...

    def complete(self, purpose: str, key: str, digest: str, now: datetime) -> Verification | None:
        """Consume the process in one conditional delete that re-checks this digest, expiry and
        failures: of racing right answers only one wins. None when that condition fails."""
        ...


@dataclass(frozen=True)
class ArchivedRecord:
    """A legacy record as it came (`raw`, canonical JSON), under its console and legacy id."""

    console: str
    legacy_id: str
    raw: str


class UnificationStore(Protocol):
    """The legacy archive, the unification state of each planned account, waves and notification
    claims. Every method works on batches: unification runs over 100,000s."""

    def archive(self, records: list[ArchivedRecord]) -> list[str]:
        """Keep each record unless already there; per record `new`, `same` or `conflict` (another raw)."""
        ...

    def iter_archive(self) -> Iterable[ArchivedRecord]:
        """Every archived record, paged (never all in one response)."""
        ...

    def get_archived(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], ArchivedRecord]: ...

    def plan_accounts(self, items: list[dict[str, Any]]) -> int:
        """Create the state item (state `scheduled`) of each planned account not yet there; returns
        how many were new. Existing ones are left as they are: rescheduling never moves an account back."""
        ...

    def put_wave(self, name: str, at: datetime) -> None: ...

    def waves(self) -> list[tuple[str, datetime]]: ...

    def page(self, wave: str, state: str, limit: int, cursor: Any = None) -> tuple[list[dict[str, Any]], Any]:
        """One page of the accounts of a wave in a state, and the cursor of the next (None at the end).
        For `completed`, only those not yet told (`mark_told`): what the notifier still has to do."""
        ...

    def get_states(self, keys: list[str]) -> dict[str, dict[str, Any]]: ...

    def find_by_email(self, email: str) -> dict[str, Any] | None: ...

    def transition(self, keys: list[str], from_state: str, to_state: str, at: datetime) -> list[str]:
        """Move each account from `from_state` to `to_state` (conditional); returns the keys moved."""
        ...

    def count(self, wave: str, state: str, *, untold: bool = False) -> int:
        """How many accounts of a wave are in a state; with `untold`, only the completed ones not yet told."""
        ...

    def mark_told(self, keys: list[str], at: datetime) -> list[str]:
        """These completed accounts got their completion email: they stay `completed` but leave what
        `page(wave, "completed")` reads, so later notifier runs no longer walk them. Returns the keys marked."""
        ...

    def claim(self, keys: list[str], stage: str, now: datetime, lease_seconds: int) -> list[str]:
        """Claim (account, stage) before sending: won when never claimed, or claimed, not sent and the
        lease ran out (the claimer crashed). Returns the keys won."""
        ...

    def mark_sent(self, keys: list[str], stage: str, now: datetime) -> None: ...

    def sent(self, keys: list[str], stage: str) -> set[str]:
        """Which of these accounts already got this stage's email (one batch read, no write)."""
        ...


@dataclass(frozen=True)
class AccountApiKey:
    """An API key of an account: only the SHA-256 of its secret is kept (the secret is 256 random
    bits, so a fast digest is enough; legacy Dedibox keys come with theirs). A key made in
    Gatehouse works in every console (`console` None); a legacy key only in its Dedibox context."""

    key_id: str
    account_id: str
    secret_sha256: str
    name: str
    created_at: datetime
    console: str | None = None
    context: str | None = None


class ApiKeyStore(Protocol):
    def add(self, key: AccountApiKey) -> None:
        """Store a new key; ConditionFailedError if its id is taken."""
        ...

    def add_many(self, keys: list[AccountApiKey]) -> None:
        """Store keys as they are, overwriting the same ids (a rerun of the unifier): batched."""
        ...

    def get(self, key_id: str) -> AccountApiKey | None: ...

    def list(self, account_id: str) -> list[AccountApiKey]:
        """The account's keys, oldest first, read consistently (a key just made is listed)."""
        ...

    def delete(self, account_id: str, key_id: str) -> bool:
        """Delete the key if it is this account's; False if there is no such key of this account."""
        ...


@dataclass(frozen=True)
class Member:
    """Someone, by email, with access to the whole of an owner's account."""

    id: str
    owner_id: str
    email: str  # normalised
    role: str  # admin | member
    created_at: datetime


@dataclass(frozen=True)
class Grant:
    """Outsourcing: someone, by email, allowed some actions on chosen resources of an owner's account."""

    id: str
    owner_id: str
    grantee_email: str  # normalised
    resources: tuple[str, ...]
    permissions: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None = None


class OrganizationStore(Protocol):
    """Members and outsourcing grants, each readable from its owner (to manage) and from the
    person's email (to check access): both sides are written and deleted together."""

    def add_member(self, member: Member) -> None:
        """ConditionFailedError if this email is already a member of this owner's organization."""
        ...

    def members(self, owner_id: str) -> list[Member]: ...

    def remove_member(self, owner_id: str, member_id: str) -> bool:
        """False if the owner has no such member."""
        ...

    def memberships(self, email: str) -> list[Member]:
        """Every organization this (normalised) email is a member of."""
        ...

    def add_grant(self, grant: Grant) -> None: ...

    def grants(self, owner_id: str) -> list[Grant]: ...

    def remove_grant(self, owner_id: str, grant_id: str) -> bool:
        """False if the owner has no such grant."""
        ...

    def grants_to(self, email: str) -> list[Grant]:
        """Every grant to this (normalised) email, expired ones included."""
        ...


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


class RecoveryRequestStore(Protocol):
    def add(self, request: RecoveryRequest) -> None: ...

    def get(self, request_id: str) -> RecoveryRequest | None: ...

    def pending(self, limit: int = 100) -> list[RecoveryRequest]:
        """The oldest pending requests first."""
        ...

    def decide(self, request_id: str, status: str, by: str, note: str, at: datetime,
               from_status: str = "pending", due_at: datetime | None = None) -> bool:
        """One conditional write from `from_status`: of two support agents deciding at once, one wins.
        `due_at` (an approval's end of hold, a refusal's document deletion) is when `due` lists it."""
        ...

    def move(self, request_id: str, from_status: str, to_status: str, due_at: datetime | None) -> bool:
        """Change the status alone (the hold ends, the owner cancels), in one conditional write from
        `from_status`, so that of the scheduled run and a cancel only one wins."""
        ...

    def due(self, status: str, now: datetime, limit: int = 100) -> list[RecoveryRequest]:
        """Requests in `status` whose `due_at` has come, the most overdue first."""
        ...

    def documents_deleted(self, request_id: str, at: datetime) -> None:
        """Its documents are gone: it leaves what `due` lists."""
        ...

    def record_download(self, request_id: str, document: str, by: str, at: datetime) -> None:
        """Append one download to the request's record (an atomic append: none is lost to a race)."""
        ...


@dataclass(frozen=True)
class StoredDocument:
    content_type: str
    size: int


class DocumentStore(Protocol):
    """Where identity documents go: browsers upload straight to it, support reads from it."""

    def upload_form(self, key: str, max_bytes: int, expires_seconds: int,
                    content_type: str = "application/pdf") -> dict[str, Any]:
        """A presigned form: `url` and the `fields` to post with the file, for this one key, a size
        from 1 byte to `max_bytes`, and exactly `content_type`."""
        ...

    def download_url(self, key: str, expires_seconds: int, filename: str = "document") -> str:
        """A presigned GET that makes the browser save the file (`Content-Disposition: attachment`)."""
        ...

    def describe(self, key: str) -> StoredDocument | None:
        """What was uploaded at `key`, or None if nothing was."""
        ...

    def delete(self, keys: Sequence[str]) -> None:
        """Delete these objects (absent ones are fine)."""
        ...


class CodePepper(Protocol):
    """The server secret that one-time codes (SMS, email login, phone verification) are keyed by.

    A 6-digit code is 10^6 guesses: keyed only by public values (its flow id, its subject), a dump
    of the table would give every live code back offline. Keyed by a secret that lives outside
    the table (a KMS-wrapped key), the stored digest alone is worth nothing."""

    def hmac(self, message: str) -> str:
        """HMAC-SHA256 of `message` under the server secret, hex."""
        ...


class ResourceStore(Protocol):
    """The resources a console registered in one context of an account, each its own item (an
    account item could not hold them unbounded), so the check reads the one resource it is asked
    about. Each context counts its resources, for the limit."""

    def put(self, account_id: str, context: str, resource: Resource, limit: int) -> bool:
        """Register or update (same id: kind and name replaced); True if it was new. A new one
        past `limit` in this context raises ConditionFailedError (an update never does)."""
        ...

    def add_imported(self, entries: Sequence[tuple[str, str, Sequence[Resource]]]) -> None:
        """(account id, context, resources) imported by the unifier, before the account exists:
        written as they are (a rerun overwrites), each context counted once, by its first run."""
        ...

    def holds(self, account_id: str, contexts: Sequence[str], resource_id: str) -> bool:
        """Whether any of these contexts of the account holds the resource (read consistently)."""
        ...

    def delete(self, account_id: str, context: str, resource_id: str) -> bool:
        """False if this context holds no such resource."""
        ...

    def list(self, account_id: str, context: str) -> list[Resource]:
        """The context's resources, by id."""
        ...


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]  # names lower-cased
    body: bytes


class HttpClient(Protocol):
    """Outbound HTTPS to identity providers (token endpoints, key sets, GitHub's API)."""

    def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                form: Mapping[str, str] | None = None) -> HttpResponse:
        """Any status is returned, not raised; an unreachable host raises DependencyUnavailableError."""
        ...


@dataclass(frozen=True)
class LinkedIdentity:
    """An identity at a provider, linked to one account. `key` is the provider's stable id (Google's
    `sub`, Microsoft's `tid:oid`, GitHub's numeric id), never an email; `email` is what the provider
    vouched for when it was linked, shown in settings."""

    id: str
    provider: str
    key: str
    account_id: str
    email: str | None
    linked_at: datetime
    last_used_at: datetime | None = None


class IdentityStore(Protocol):
    def get(self, provider: str, key: str) -> LinkedIdentity | None: ...

    def link(self, identity: LinkedIdentity) -> None:
        """One write of the identity and the account's list entry that refuses a (provider, key)
        already linked: ConditionFailedError, so two accounts never share an identity."""
        ...

    def list(self, account_id: str) -> list[LinkedIdentity]:
        """The account's identities, oldest first, read consistently."""
        ...

    def touch(self, identity: LinkedIdentity, at: datetime) -> None:
        """Record a sign-in with it (`last_used_at`)."""
        ...

    def unlink(self, account_id: str, identity_id: str) -> LinkedIdentity | None:
        """Remove the account's identity with this id; None if the account has none such."""
        ...
