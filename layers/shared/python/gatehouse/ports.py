"""The interfaces the flows need. Adapters implement them on AWS; `adapters.memory` with fakes.

Both implementations pass the same conformance suite (tests/conformance), so a fake cannot drift
from DynamoDB's semantics: conditional writes, expiry treated as absence, single consumption.

Only interfaces live here: the records and messages they carry are the domain's (`gatehouse.domain`).
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

# The records and messages the ports carry are the domain's: everyone imports them from there.
from gatehouse.domain.accounts import Account, Resource
from gatehouse.domain.api_keys import AccountApiKey
from gatehouse.domain.archive import ArchivedRecord
from gatehouse.domain.delivery import Email, OutboxMessage, Sms
from gatehouse.domain.factors import Advance, Factor
from gatehouse.domain.http import HttpResponse
from gatehouse.domain.identities import LinkedIdentity
from gatehouse.domain.login import LoginRead
from gatehouse.domain.one_time import OneTimeItem
from gatehouse.domain.organization import Grant, Member
from gatehouse.domain.recovery_requests import RecoveryRequest, StoredDocument
from gatehouse.domain.sessions import Session
from gatehouse.domain.throttling import FailureRecord
from gatehouse.domain.verification import Verification

if TYPE_CHECKING:  # the planner's modules, for the one port that names them: no Lambda but its own loads them
    from gatehouse.domain.legacy import LegacyRecord
    from gatehouse.domain.unification import RecordGroup


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
    def add(self, session: Session, replacing: str | None = None) -> None:
        """A new session; with `replacing` (a token hash), that session ends in the same write (a
        login rotating the token it came with, an elevation)."""
        ...

    def get(self, token_hash: str, now: datetime) -> Session | None:
        """A live session; an expired one still in the table is absent."""
        ...

    def save(self, session: Session) -> None: ...

    def delete(self, token_hash: str) -> None: ...

    def list_for_account(self, account_id: str, now: datetime) -> list[Session]: ...

    def delete_for_account(self, account_id: str, keep: str | None = None) -> int:
        """End every session of the account but `keep` (a token hash); returns how many ended."""
        ...

    def mark_valid_from(self, token_hash: str, at: datetime) -> None:
        """Set the session's `valid_from` in one write, if it still exists (a logout wins)."""
        ...


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

    def record_failures(self, entries: Sequence[tuple[str, int]], now: datetime) -> None:
        """`record_failure` for each (key, ttl seconds), in one write when none has expired."""
        ...

    def failures_many(self, keys: Sequence[str], now: datetime) -> dict[str, FailureRecord]:
        """`failures` of each key, read at once."""
        ...

    def hit_all(self, entries: Sequence[tuple[str, int, int]], now: datetime) -> bool:
        """`hit` each (key, window seconds, limit) in one write, if every count stays within its limit
        (and no window item has expired); True then. False, and nothing counted, otherwise: the
        caller counts them one by one with `hit`, which handles every case."""
        ...


class Mailer(Protocol):
    def send(self, email: Email) -> None: ...


class SmsSender(Protocol):
    def send(self, sms: Sms) -> None: ...


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


class UnificationStore(Protocol):
    """The legacy archive, the unification state of each planned account, waves and notification
    claims. Every method works on batches: unification runs over 100,000s. A state item is a
    mapping of `domain.unification_state.UnifiedState.to_mapping()`'s form, with the store's own
    keys beside it; the flows read and write it as a `UnifiedState` through `flows.waves`."""

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


class HttpClient(Protocol):
    """Outbound HTTPS to identity providers (token endpoints, key sets, GitHub's API)."""

    def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                form: Mapping[str, str] | None = None) -> HttpResponse:
        """Any status is returned, not raised; an unreachable host raises DependencyUnavailableError."""
        ...


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


class RecordGrouper(Protocol):
    """Groups legacy records into unified accounts by the rules of `domain.unification.group_records`,
    the reference every implementation equals (tests/conformance/test_record_grouper.py); the
    planner's, over an archive of 100,000s, does it with memory that does not grow with them."""

    def groups(self, records: Iterable[LegacyRecord]) -> Generator[RecordGroup, None, None]:
        """The groups of `group_records(records)`, in the same (key) order, one at a time. Nothing is
        read before the first group is asked for; a repeated legacy id raises DuplicateLegacyRecordError
        then, naming the first record (in input order) that repeats one. Closing the generator early
        releases whatever it holds (files included)."""
class LoginRoundTrips(Protocol):
    """What a password login needs of several ports, in one round trip each on DynamoDB (one
    BatchGetItem, one transaction on the one table): the causal minimum of a login."""

    def login(self, email: str, counters: Sequence[str], now: datetime) -> LoginRead:
        """The email's login projection and these throttle counters (ThrottleStore keys), read at once."""
        ...

    def start_session(self, session: Session, replacing: str | None, cleared: Sequence[str]) -> None:
        """`SessionRepository.add(session, replacing)` and `ThrottleStore.clear` of each key, in one write."""
        ...


class SessionRoundTrips(Protocol):
    def session(self, token_hash: str, account_id: str, now: datetime) -> tuple[Session | None, Account | None]:
        """A live session (as `SessionRepository.get`) and the account it names, read at once."""
        ...


class ConsoleRoundTrips(Protocol):
    def put_with_session(self, item: OneTimeItem, session: Session) -> None:
        """Store a one-time item and save a session (that must still exist: ConditionFailedError
        otherwise, and the item is not stored either), in one write."""
        ...


class SecondFactorRoundTrips(Protocol):
    """What `/mfa/verify` needs of several ports, in one round trip each on DynamoDB."""

    def read(self, account_id: str, factor_ids: Sequence[str], counters: Sequence[str], now: datetime
             ) -> tuple[list[Factor], dict[str, FailureRecord]]:
        """These factors of the account (the absent left out) and these throttle counters, read at once."""
        ...

    def advance_and_elevate(self, advance: Advance, session: Session, replacing: str) -> bool:
        """`MfaStore.advance` and `SessionRepository.add(session, replacing)` in one write: False, and
        nothing written, when the counter is not lower than `advance.counter` (a replayed step)."""
        ...
