"""In-memory fakes of the ports, for unit tests. They keep DynamoDB's semantics (conditional
writes, expiry as absence, single consumption) and pass the same conformance suite."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from gatehouse.adapters import codec
from gatehouse.domain.accounts import Account, Resource, normalise_email
from gatehouse.domain.secrets import hmac_hex
from gatehouse.domain.sessions import Session
from gatehouse.domain.throttling import FailureRecord
from gatehouse.domain.verification import Verification
from gatehouse.errors import ConditionFailedError, ConflictError
from gatehouse.pacing import ResponseFloor
from gatehouse.ports import (
    AccountApiKey,
    ArchivedRecord,
    Email,
    Factor,
    Grant,
    LinkedIdentity,
    Member,
    OneTimeItem,
    OutboxMessage,
    RecoveryRequest,
    Sms,
    StoredDocument,
)


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class MemoryAccounts:
    def __init__(self) -> None:
        self._accounts: dict[str, dict[str, Any]] = {}
        self._claims: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def get(self, account_id: str) -> Account | None:
        stored = self._accounts.get(account_id)
        return codec.account_from_dict(stored) if stored else None

    def get_by_email(self, email: str) -> Account | None:
        account_id = self._claims.get(("email", normalise_email(email)))
        return self.get(account_id) if account_id else None

    def find_by_alias(self, kind: str, value: str) -> Account | None:
        account_id = self._claims.get((kind, value.strip().lower()))
        return self.get(account_id) if account_id else None

    def add(self, account: Account, aliases: Mapping[str, Iterable[str]] = {}) -> None:
        claims = [("email", account.email_key)] + [(k, v.strip().lower()) for k, vs in aliases.items() for v in vs]
        with self._lock:
            if account.id in self._accounts or any(c in self._claims for c in claims):
                raise ConflictError("An account with this email already exists.")
            self._accounts[account.id] = codec.account_to_dict(account)
            for claim in claims:
                self._claims[claim] = account.id

    def add_many(self, entries: Sequence[tuple[Account, Mapping[str, Iterable[str]]]]) -> list[bool]:
        added = []
        for account, aliases in entries:
            try:
                self.add(account, aliases)
                added.append(True)
            except ConflictError:
                added.append(False)
        return added

    def save(self, account: Account) -> Account:
        with self._lock:
            stored = self._accounts.get(account.id)
            if stored is None or stored["version"] != account.version:
                raise ConditionFailedError()
            new_claim = ("email", account.email_key)
            if stored["email_key"] != account.email_key:
                if new_claim in self._claims:
                    raise ConditionFailedError()
                del self._claims[("email", stored["email_key"])]
                self._claims[new_claim] = account.id
            saved = account.evolve(version=account.version + 1)
            self._accounts[account.id] = codec.account_to_dict(saved)
            return saved


class MemorySessions:
    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def add(self, session: Session) -> None:
        with self._lock:
            if session.token_hash in self._sessions:
                raise ConditionFailedError()
            self._sessions[session.token_hash] = session

    def save(self, session: Session) -> None:
        with self._lock:
            if session.token_hash not in self._sessions:
                raise ConditionFailedError()
            self._sessions[session.token_hash] = session

    def get(self, token_hash: str, now: datetime) -> Session | None:
        session = self._sessions.get(token_hash)
        return session if session and session.is_live(now) else None

    def delete(self, token_hash: str) -> None:
        self._sessions.pop(token_hash, None)

    def list_for_account(self, account_id: str, now: datetime) -> list[Session]:
        found = [s for s in self._sessions.values() if s.account_id == account_id and s.is_live(now)]
        return sorted(found, key=lambda s: s.created_at)

    def delete_for_account(self, account_id: str, keep: str | None = None) -> int:
        with self._lock:
            doomed = [h for h, s in self._sessions.items() if s.account_id == account_id and h != keep]
            for h in doomed:
                del self._sessions[h]
            return len(doomed)


class MemoryOneTime:
    def __init__(self) -> None:
        self._items: dict[tuple[str, str], OneTimeItem] = {}
        self._latest: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def put(self, item: OneTimeItem) -> None:
        self._items[(item.kind, item.key)] = item

    def get(self, kind: str, key: str, now: datetime) -> OneTimeItem | None:
        item = self._items.get((kind, key))
        return item if item and item.expires_at > now else None

    def consume(self, kind: str, key: str, now: datetime, *, bound_to: Mapping[str, Any] | None = None
                ) -> OneTimeItem | None:
        with self._lock:
            item = self.get(kind, key, now)
            if item is None or any(item.data.get(k) != v for k, v in (bound_to or {}).items()):
                return None
            del self._items[(kind, key)]
            return item

    def replace_latest(self, item: OneTimeItem) -> None:
        with self._lock:
            self.put(item)
            previous = self._latest.get((item.kind, item.subject))
            self._latest[(item.kind, item.subject)] = item.key
            if previous and previous != item.key:
                self._items.pop((item.kind, previous), None)

    def delete_for_subject(self, kind: str, subject: str) -> None:
        with self._lock:
            previous = self._latest.pop((kind, subject), None)
            if previous:
                self._items.pop((kind, previous), None)


class MemoryThrottle:
    def __init__(self) -> None:
        self._failures: dict[str, tuple[int, datetime, datetime]] = {}
        self._hits: dict[tuple[str, int], tuple[int, datetime]] = {}
        self._lock = threading.Lock()

    def failures(self, key: str, now: datetime) -> FailureRecord:
        found = self._failures.get(key)
        if not found or found[2] <= now:
            return FailureRecord(0, None)
        return FailureRecord(found[0], found[1])

    def record_failure(self, key: str, now: datetime, ttl_seconds: int) -> FailureRecord:
        with self._lock:
            # An expired counter restarts at 1, as the DynamoDB adapter's conditional writes make it.
            found = self._failures.get(key)
            count = found[0] + 1 if found and found[2] > now else 1
            self._failures[key] = (count, now, now + timedelta(seconds=ttl_seconds))
            return FailureRecord(count, now)

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)

    def hit(self, key: str, now: datetime, window_seconds: int) -> int:
        with self._lock:
            window = int(now.timestamp()) // window_seconds
            slot = (key, window)
            found = self._hits.get(slot)
            count = found[0] + 1 if found and found[1] > now else 1
            expires_at = datetime.fromtimestamp((window + 1) * window_seconds + 60, tz=UTC)
            self._hits[slot] = (count, expires_at)
            return count


@dataclass
class MemoryOutbox:
    messages: list[OutboxMessage] = field(default_factory=list)

    def record(self, *messages: OutboxMessage) -> None:
        self.messages.extend(messages)

    def list(self, to: str | None) -> list[OutboxMessage]:
        return [m for m in self.messages if to is None or m.to == to.strip().lower()]


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


class FakeKeyVault:
    """Reversible but not plaintext, so a test notices a seed stored unencrypted."""

    def encrypt(self, plaintext: bytes, context: Mapping[str, str]) -> bytes:
        tag = repr(sorted(context.items())).encode()
        return b"fake:" + bytes(b ^ 0x5A for b in plaintext) + b"|" + tag

    def decrypt(self, blob: bytes, context: Mapping[str, str]) -> bytes:
        body, _, tag = blob.removeprefix(b"fake:").rpartition(b"|")
        if tag != repr(sorted(context.items())).encode():
            raise ValueError("encryption context mismatch")
        return bytes(b ^ 0x5A for b in body)


class MemoryMfa:
    def __init__(self) -> None:
        self._factors: dict[tuple[str, str], Factor] = {}
        self._codes: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def add(self, factor: Factor) -> None:
        with self._lock:
            if (factor.account_id, factor.id) in self._factors:
                raise ConditionFailedError()
            self._factors[(factor.account_id, factor.id)] = factor

    def get(self, account_id: str, factor_id: str) -> Factor | None:
        return self._factors.get((account_id, factor_id))

    def list(self, account_id: str) -> list[Factor]:
        found = [f for (a, _), f in self._factors.items() if a == account_id]
        return sorted(found, key=lambda f: f.created_at)

    def delete(self, account_id: str, factor_id: str) -> None:
        self._factors.pop((account_id, factor_id), None)

    def advance(self, account_id: str, factor_id: str, counter: int) -> bool:
        with self._lock:
            found = self._factors.get((account_id, factor_id))
            if found is None or found.counter >= counter:
                return False
            self._factors[(account_id, factor_id)] = replace(found, counter=counter)
            return True

    def replace_recovery_codes(self, account_id: str, code_hashes: Iterable[str]) -> None:
        self._codes[account_id] = set(code_hashes)

    def use_recovery_code(self, account_id: str, code_hash: str) -> bool:
        with self._lock:
            codes = self._codes.get(account_id, set())
            if code_hash not in codes:
                return False
            codes.discard(code_hash)
            return True

    def recovery_codes_remaining(self, account_id: str) -> int:
        return len(self._codes.get(account_id, ()))

    def delete_recovery_codes(self, account_id: str) -> None:
        self._codes.pop(account_id, None)


class MemoryVerifications:
    """Processes by (purpose, key), and each subject's latest by (purpose, subject)."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], Verification] = {}
        self._latest: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def start(self, verification: Verification, now: datetime) -> Verification | None:
        v = verification
        with self._lock:
            previous_key = v.subject if not v.id else self._latest.get((v.purpose, v.subject))
            previous = self._items.get((v.purpose, previous_key)) if previous_key else None
            if previous is not None and not previous.live(now):
                previous = None
            if previous is not None and previous.exhausted:
                return None
            if previous_key:
                self._items.pop((v.purpose, previous_key), None)
            stored = replace(v, failures=max(v.failures, previous.failures if previous else 0))
            self._items[(v.purpose, v.key)] = stored
            if v.id:
                self._latest[(v.purpose, v.subject)] = v.id
            return stored

    def create(self, verification: Verification) -> None:
        with self._lock:
            if (verification.purpose, verification.key) in self._items:
                raise ConditionFailedError()
            self._items[(verification.purpose, verification.key)] = verification

    def get(self, purpose: str, key: str, now: datetime) -> Verification | None:
        found = self._items.get((purpose, key))
        return found if found and found.live(now) else None

    def fail(self, purpose: str, key: str, now: datetime) -> Verification | None:
        with self._lock:
            found = self.get(purpose, key, now)
            if found is None or found.exhausted:
                return None
            self._items[(purpose, key)] = updated = replace(found, failures=found.failures + 1)
            return updated

    def complete(self, purpose: str, key: str, digest: str, now: datetime) -> Verification | None:
        with self._lock:
            found = self.get(purpose, key, now)
            if found is None or found.exhausted or found.digest is None or found.digest != digest:
                return None
            return self._items.pop((purpose, key))


class MemoryUnification:
    """Fake of the unification store: the same outcomes as DynamoDB, with a call counter."""

    def __init__(self) -> None:
        self._archive: dict[tuple[str, str], str] = {}
        self._states: dict[str, dict[str, Any]] = {}
        self._emails: dict[str, str] = {}
        self._waves: dict[str, datetime] = {}
        self._claims: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def archive(self, records: list[ArchivedRecord]) -> list[str]:
        outcome = []
        with self._lock:
            for r in records:
                existing = self._archive.get((r.console, r.legacy_id))
                if existing is None:
                    self._archive[(r.console, r.legacy_id)] = r.raw
                    outcome.append("new")
                else:
                    outcome.append("same" if existing == r.raw else "conflict")
        return outcome

    def iter_archive(self) -> Iterable[ArchivedRecord]:
        for (console, legacy_id), raw in sorted(self._archive.items()):
            yield ArchivedRecord(console, legacy_id, raw)

    def get_archived(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], ArchivedRecord]:
        return {k: ArchivedRecord(k[0], k[1], self._archive[k]) for k in keys if k in self._archive}

    def plan_accounts(self, items: list[dict[str, Any]]) -> int:
        new = 0
        with self._lock:
            for i in items:
                if i["unified_key"] not in self._states:
                    self._states[i["unified_key"]] = {**i, "state": "scheduled"}
                    self._emails[normalise_email(i["email"])] = i["unified_key"]
                    new += 1
        return new

    def put_wave(self, name: str, at: datetime) -> None:
        self._waves[name] = at

    def waves(self) -> list[tuple[str, datetime]]:
        return sorted(self._waves.items())

    def page(self, wave: str, state: str, limit: int, cursor: Any = None) -> tuple[list[dict[str, Any]], Any]:
        keys = sorted(k for k, v in self._states.items() if v["wave"] == wave and v["state"] == state
                      and "told_at" not in v and (cursor is None or k > cursor))
        chosen = keys[:limit]
        next_cursor = chosen[-1] if len(keys) > limit else None
        return [dict(self._states[k]) for k in chosen], next_cursor

    def get_states(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        return {k: dict(self._states[k]) for k in keys if k in self._states}

    def find_by_email(self, email: str) -> dict[str, Any] | None:
        key = self._emails.get(normalise_email(email))
        return dict(self._states[key]) if key else None

    def transition(self, keys: list[str], from_state: str, to_state: str, at: datetime) -> list[str]:
        moved = []
        with self._lock:
            for k in keys:
                state = self._states.get(k)
                if state is not None and state["state"] == from_state:
                    state.update({"state": to_state, f"{to_state}_at": codec.iso(at)})
                    moved.append(k)
        return moved

    def count(self, wave: str, state: str, *, untold: bool = False) -> int:
        return sum(1 for v in self._states.values()
                   if v["wave"] == wave and v["state"] == state and not (untold and "told_at" in v))

    def mark_told(self, keys: list[str], at: datetime) -> list[str]:
        marked = []
        with self._lock:
            for k in keys:
                state = self._states.get(k)
                if state is not None and state["state"] == "completed":
                    state.setdefault("told_at", codec.iso(at))
                    marked.append(k)
        return marked

    def claim(self, keys: list[str], stage: str, now: datetime, lease_seconds: int) -> list[str]:
        won = []
        with self._lock:
            for k in keys:
                c = self._claims.get((k, stage))
                if c is None or (c.get("sent_at") is None and c["lease_until"] < codec.epoch(now)):
                    self._claims[(k, stage)] = {"lease_until": codec.epoch(now) + lease_seconds}
                    won.append(k)
        return won

    def mark_sent(self, keys: list[str], stage: str, now: datetime) -> None:
        with self._lock:
            for k in keys:
                self._claims[(k, stage)] = {"lease_until": codec.epoch(now), "sent_at": codec.iso(now)}

    def sent(self, keys: list[str], stage: str) -> set[str]:
        return {k for k in keys if self._claims.get((k, stage), {}).get("sent_at")}


class MemoryApiKeys:
    def __init__(self) -> None:
        self._keys: dict[str, AccountApiKey] = {}
        self._lock = threading.Lock()

    def add(self, key: AccountApiKey) -> None:
        with self._lock:
            if key.key_id in self._keys:
                raise ConditionFailedError()
            self._keys[key.key_id] = key

    def add_many(self, keys: list[AccountApiKey]) -> None:
        with self._lock:
            self._keys.update((k.key_id, k) for k in keys)

    def get(self, key_id: str) -> AccountApiKey | None:
        return self._keys.get(key_id)

    def list(self, account_id: str) -> list[AccountApiKey]:
        return sorted((k for k in self._keys.values() if k.account_id == account_id),
                      key=lambda k: (k.created_at, k.key_id))

    def delete(self, account_id: str, key_id: str) -> bool:
        with self._lock:
            key = self._keys.get(key_id)
            if key is None or key.account_id != account_id:
                return False
            del self._keys[key_id]
            return True


class RecordedFloor(ResponseFloor):
    """The response floor with its waits recorded instead of slept (unit tests stay fast)."""

    def __init__(self, seconds: float) -> None:
        self.waited: list[float] = []
        super().__init__(seconds, sleep=self.waited.append)


class MemoryOrganizations:
    def __init__(self) -> None:
        self._members: dict[tuple[str, str], Member] = {}
        self._grants: dict[tuple[str, str], Grant] = {}
        self._lock = threading.Lock()

    def add_member(self, member: Member) -> None:
        with self._lock:
            if any(m.owner_id == member.owner_id and m.email == member.email for m in self._members.values()):
                raise ConditionFailedError()
            self._members[(member.owner_id, member.id)] = member

    def members(self, owner_id: str) -> list[Member]:
        return sorted((m for m in self._members.values() if m.owner_id == owner_id), key=lambda m: (m.created_at, m.id))

    def remove_member(self, owner_id: str, member_id: str) -> bool:
        with self._lock:
            return self._members.pop((owner_id, member_id), None) is not None

    def memberships(self, email: str) -> list[Member]:
        return sorted((m for m in self._members.values() if m.email == email), key=lambda m: (m.owner_id, m.id))

    def add_grant(self, grant: Grant) -> None:
        with self._lock:
            self._grants[(grant.owner_id, grant.id)] = grant

    def grants(self, owner_id: str) -> list[Grant]:
        return sorted((g for g in self._grants.values() if g.owner_id == owner_id), key=lambda g: (g.created_at, g.id))

    def remove_grant(self, owner_id: str, grant_id: str) -> bool:
        with self._lock:
            return self._grants.pop((owner_id, grant_id), None) is not None

    def grants_to(self, email: str) -> list[Grant]:
        return sorted((g for g in self._grants.values() if g.grantee_email == email), key=lambda g: (g.owner_id, g.id))


class MemoryRecoveryRequests:
    def __init__(self) -> None:
        self._requests: dict[str, RecoveryRequest] = {}
        self._lock = threading.Lock()

    def add(self, request: RecoveryRequest) -> None:
        self._requests[request.id] = request

    def get(self, request_id: str) -> RecoveryRequest | None:
        return self._requests.get(request_id)

    def pending(self, limit: int = 100) -> list[RecoveryRequest]:
        waiting = sorted((r for r in self._requests.values() if r.status == "pending"),
                         key=lambda r: (r.created_at, r.id))
        return waiting[:limit]

    def decide(self, request_id: str, status: str, by: str, note: str, at: datetime,
               from_status: str = "pending", due_at: datetime | None = None) -> bool:
        with self._lock:
            request = self._requests.get(request_id)
            if request is None or request.status != from_status:
                return False
            self._requests[request_id] = replace(
                request, status=status, decided_by=by, note=note, decided_at=at, due_at=due_at,
                effective_at=due_at if status == "approved" else request.effective_at)
            return True

    def move(self, request_id: str, from_status: str, to_status: str, due_at: datetime | None) -> bool:
        with self._lock:
            request = self._requests.get(request_id)
            if request is None or request.status != from_status:
                return False
            self._requests[request_id] = replace(request, status=to_status, due_at=due_at)
            return True

    def due(self, status: str, now: datetime, limit: int = 100) -> list[RecoveryRequest]:
        found = sorted((r for r in self._requests.values() if r.status == status and r.due_at is not None
                        and r.due_at <= now and r.documents_deleted_at is None), key=lambda r: (r.due_at, r.id))
        return found[:limit]

    def documents_deleted(self, request_id: str, at: datetime) -> None:
        with self._lock:
            request = self._requests[request_id]
            self._requests[request_id] = replace(request, documents_deleted_at=at, due_at=None)

    def record_download(self, request_id: str, document: str, by: str, at: datetime) -> None:
        with self._lock:
            request = self._requests[request_id]
            entry = {"document": document, "by": by, "at": codec.iso(at) or ""}
            self._requests[request_id] = replace(request, downloads=(*request.downloads, entry))


class FakeDocuments:
    """Presigned forms and links that name their key; `upload` stands for a browser's upload."""

    def __init__(self) -> None:
        self.objects: dict[str, StoredDocument] = {}

    def upload_form(self, key: str, max_bytes: int, expires_seconds: int,
                    content_type: str = "application/pdf") -> dict[str, Any]:
        return {"url": "https://documents.invalid/",
                "fields": {"key": key, "Content-Type": content_type, "max_bytes": str(max_bytes)}}

    def upload(self, key: str, content_type: str, size: int) -> None:
        self.objects[key] = StoredDocument(content_type=content_type, size=size)

    def download_url(self, key: str, expires_seconds: int, filename: str = "document") -> str:
        return f"https://documents.invalid/{key}?disposition=attachment&filename={filename}"

    def describe(self, key: str) -> StoredDocument | None:
        return self.objects.get(key)

    def delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.objects.pop(key, None)


class FakeCodePepper:
    """The code pepper in memory: a random secret per instance, or the one given (what a new cold
    start over the same stored secret sees)."""

    def __init__(self, secret: bytes | None = None) -> None:
        self.secret = secret if secret is not None else os.urandom(32)

    def hmac(self, message: str) -> str:
        return hmac_hex(self.secret, message)


class MemoryResources:
    def __init__(self) -> None:
        self._held: dict[tuple[str, str], dict[str, Resource]] = {}
        self._counts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def put(self, account_id: str, context: str, resource: Resource, limit: int) -> bool:
        key = (account_id, context)
        with self._lock:
            held = self._held.setdefault(key, {})
            new = resource.id not in held
            if new and self._counts.get(key, 0) >= limit:
                raise ConditionFailedError()
            held[resource.id] = resource
            if new:
                self._counts[key] = self._counts.get(key, 0) + 1
            return new

    def add_imported(self, entries: Sequence[tuple[str, str, Sequence[Resource]]]) -> None:
        with self._lock:
            for account_id, context, resources in entries:
                key = (account_id, context)
                held = self._held.setdefault(key, {})
                self._counts.setdefault(key, len({r.id for r in resources}))
                held.update({r.id: r for r in resources})

    def holds(self, account_id: str, contexts: Sequence[str], resource_id: str) -> bool:
        return any(resource_id in self._held.get((account_id, c), {}) for c in contexts)

    def delete(self, account_id: str, context: str, resource_id: str) -> bool:
        key = (account_id, context)
        with self._lock:
            if self._held.get(key, {}).pop(resource_id, None) is None:
                return False
            self._counts[key] -= 1
            return True

    def list(self, account_id: str, context: str) -> list[Resource]:
        return sorted(self._held.get((account_id, context), {}).values(), key=lambda r: r.id)


class MemoryIdentities:
    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], LinkedIdentity] = {}
        self._lock = threading.Lock()

    def get(self, provider: str, key: str) -> LinkedIdentity | None:
        return self._by_key.get((provider, key))

    def link(self, identity: LinkedIdentity) -> None:
        with self._lock:
            if (identity.provider, identity.key) in self._by_key:
                raise ConditionFailedError()
            self._by_key[(identity.provider, identity.key)] = identity

    def list(self, account_id: str) -> list[LinkedIdentity]:
        return sorted((i for i in self._by_key.values() if i.account_id == account_id),
                      key=lambda i: (i.linked_at, i.id))

    def touch(self, identity: LinkedIdentity, at: datetime) -> None:
        with self._lock:
            current = self._by_key.get((identity.provider, identity.key))
            if current is not None and current.account_id == identity.account_id:
                self._by_key[(identity.provider, identity.key)] = replace(current, last_used_at=at)

    def unlink(self, account_id: str, identity_id: str) -> LinkedIdentity | None:
        with self._lock:
            found = next((i for i in self._by_key.values() if i.id == identity_id and i.account_id == account_id),
                         None)
            if found is not None:
                del self._by_key[(found.provider, found.key)]
            return found
