"""Recovery when the email no longer works: a request with identity documents, decided by support.

A person gives the key they remember (a legacy identifier or a linked domain), the new address
they want, a postal address and a phone, and uploads four documents (two identity documents, the
last bill, the card statement) straight to S3 with presigned forms, each for one random key, one
content type and a size range. The answer is the same, in the same time, whether the key matches
an account or not; the account's current address, if any, is told a request was made.

Support judges each request beside the account on file and cannot approve one with a document
missing. An approval does not change the account: it starts a hold, announced at once to the old
address and the phone on file, each with a single-use link that cancels the request. When the hold
ends, the scheduled run (`run_due`) moves the account to the new address, ends every session and
sends the new address a reset link; an enrolled second factor stays, so the new owner still needs
it or a recovery code. A refusal is told to the new address. Every state change is one conditional
write, so two agents, or a cancel and the scheduled run, cannot both win. The documents are
deleted a while after the decision, and every download by an agent is recorded.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from gatehouse import messages
from gatehouse.domain.accounts import Account, normalise_email
from gatehouse.domain.recovery_requests import RecoveryRequest, StoredDocument
from gatehouse.domain.secrets import could_be_id, digest, link_token, new_id, new_link_secret, split_link
from gatehouse.domain.times import iso
from gatehouse.domain.verification import Verification
from gatehouse.errors import (
    ConditionFailedError,
    ConflictError,
    DocumentsMissingError,
    ForbiddenError,
    InvalidTokenError,
    NotFoundError,
    RateLimitedError,
)
from gatehouse.flows.pacing import ResponseFloor
from gatehouse.flows.recovery import Lookup, Recovery
from gatehouse.flows.sessions import Authenticated, SessionService
from gatehouse.flows.throttle import MessageThrottle
from gatehouse.ports import (
    AccountRepository,
    Clock,
    DocumentStore,
    Mailer,
    OneTimeStore,
    RecoveryRequestStore,
    SmsSender,
    VerificationStore,
)
from gatehouse.settings import Settings

# Two identity documents (passport or ID card; for a company, an ID and the certificate of
# incorporation), the last bill, the card statement: what the product promises to ask for.
DOCUMENTS = ("identity_1", "identity_2", "last_bill", "card_statement")
CONTENT_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
UPLOAD_SECONDS = 60 * 60
# The download route redirects at once: the presigned link need not outlive the redirect.
DOWNLOAD_SECONDS = 60
SUPPORT_ROLE = "support"
CANCEL_KIND = "recovery_cancel"
_CHANNELS = ("email", "sms")


def _cancel_subject(request_id: str, channel: str) -> str:
    return f"{request_id}.{channel}"
_TOKEN = re.compile(r"[A-Za-z0-9_\-]{16,128}")
# What is done at the end of the hold, and what has documents to delete once due.
_DECIDED = ("applied", "cancelled", "rejected")

messages.register("recovery_request_made", {
    "en": ("A recovery request for your account",
           "Someone asked support to move your account to another email address, with identity documents. "
           "Support checks every request by hand.\n\nIf this was not you, contact support now."),
    "fr": ("Une demande de récupération pour votre compte",
           "Quelqu'un a demandé au support de transférer votre compte vers une autre adresse e-mail, avec des "
           "pièces d'identité. Le support vérifie chaque demande à la main.\n\nSi ce n'était pas vous, contactez "
           "le support maintenant."),
})
messages.register("recovery_request_approved", {
    "en": ("Your account's email address was changed",
           "Following a recovery request checked by support, your account now uses $new_email. "
           "Every session was signed out.\n\nIf this was not you, contact support now."),
    "fr": ("L'adresse e-mail de votre compte a été changée",
           "À la suite d'une demande de récupération vérifiée par le support, votre compte utilise désormais "
           "$new_email. Toutes les sessions ont été fermées.\n\nSi ce n'était pas vous, contactez le support."),
})
messages.register("recovery_request_rejected", {
    "en": ("Your recovery request",
           "Support could not confirm your recovery request with the documents given, so your account was not "
           "changed.\n\n$note"),
    "fr": ("Votre demande de récupération",
           "Le support n'a pas pu confirmer votre demande de récupération avec les documents fournis : votre "
           "compte n'a pas été modifié.\n\n$note"),
})
messages.register("recovery_hold_started", {
    "en": ("Your account will move to another email address",
           "Support approved a request, made with identity documents, to move your account to $new_email. "
           "It takes effect on $when (UTC); until then nothing changes.\n\n"
           "If you did not ask for this, cancel it now (the link works once):\n$link"),
    "fr": ("Votre compte va passer à une autre adresse e-mail",
           "Le support a approuvé une demande, faite avec des pièces d'identité, de transférer votre compte vers "
           "$new_email. Elle prendra effet le $when (UTC) ; d'ici là, rien ne change.\n\n"
           "Si vous n'êtes pas à l'origine de cette demande, annulez-la maintenant (le lien ne sert qu'une "
           "fois) :\n$link"),
})
messages.register("recovery_hold_started_sms", {
    "en": ("", "Gatehouse: your account moves to $new_email on $when UTC. Not you? Cancel: $link"),
    "fr": ("", "Gatehouse : votre compte passe à $new_email le $when UTC. Pas vous ? Annulez : $link"),
})


class RecoveryRequests:
    def __init__(self, store: RecoveryRequestStore, documents: DocumentStore, accounts: AccountRepository,
                 recovery: Recovery, sessions: SessionService, mailer: Mailer, throttle: MessageThrottle,
                 clock: Clock, *, sms: SmsSender, once: OneTimeStore, settings: Settings,
                 floor: ResponseFloor | None = None, flows: VerificationStore) -> None:
        self._store, self._documents, self._accounts, self._recovery = store, documents, accounts, recovery
        self._sessions, self._mailer, self._throttle, self._clock = sessions, mailer, throttle, clock
        self._sms, self._once, self._settings, self._flows = sms, once, settings, flows
        self._floor = floor or ResponseFloor(0)

    # --- the person asking -------------------------------------------------------------------
    def submit(self, lookup: Lookup, new_email: str, postal_address: str, phone: str, *, ip: str,
               content_types: Mapping[str, str] | None = None) -> dict[str, Any]:
        """`content_types`: the type of each file to upload (PDF by default): each form allows that
        one type. The answer waits for the reset requests' floor: an unknown key sends no email."""
        with self._floor.held():
            if not self._throttle.allow(f"recovery_request:ip:{ip}"):
                raise RateLimitedError(retry_after=3600,
                                       message="Too many recovery requests from here: try again in an hour.")
            account = self._recovery.find(lookup)
            request_id = new_id("rrq")
            types = {d: (content_types or {}).get(d) or "application/pdf" for d in DOCUMENTS}
            keys = {d: f"recovery-requests/{request_id}/{d}-{secrets.token_urlsafe(16)}" for d in DOCUMENTS}
            request = RecoveryRequest(id=request_id, lookup_kind=lookup.kind, lookup_value=lookup.key,
                                      account_id=account.id if account else None, new_email=new_email.strip(),
                                      postal_address=postal_address.strip(), phone=phone,
                                      created_at=self._clock.now(), documents=keys)
            self._store.add(request)
            if account is not None:
                self._mailer.send(messages.email("recovery_request_made", account.email, account.locale))
            uploads = [{"document": d, "content_type": types[d],
                        **self._documents.upload_form(keys[d], MAX_DOCUMENT_BYTES, UPLOAD_SECONDS, types[d])}
                       for d in DOCUMENTS]
            # The hold is the stage's setting, the same for every request: the page says how long it is.
            return {"request_id": request.id, "uploads": uploads,
                    "hold_seconds": self._settings.recovery_hold_seconds}

    def cancel(self, request_id: str, token: str) -> None:
        """The owner's link from the hold's announcement: the request ends, nothing changes."""
        now = self._clock.now()
        link = split_link(token)
        if link is not None and link[0] in _CHANNELS and could_be_id(request_id):
            request = self._store.get(request_id)
            # The link's process is its request's, for its channel: another request's link finds nothing.
            if request is None or self._flows.complete(
                    CANCEL_KIND, _cancel_subject(request.id, link[0]), digest(link[1]), now) is None:
                raise InvalidTokenError()
        else:
            # A link announced before cancel links were verification processes (a hold lasts 72 h):
            # URL-safe base64 (new_token), anything else refused before it is hashed.
            well_formed = _TOKEN.fullmatch(token) is not None and could_be_id(request_id)
            request = self._store.get(request_id) if well_formed else None
            if request is None or self._once.consume(CANCEL_KIND, digest(token), now,
                                                     bound_to={"request_id": request.id}) is None:
                raise InvalidTokenError()
        purge = self._purge_at(request, now)
        # Cancelling an approval on hold, or one support has to look at again (reopened).
        if not (self._store.move(request.id, "approved", "cancelled", purge)
                or self._store.move(request.id, "pending", "cancelled", purge)):
            raise InvalidTokenError("This request has already taken effect or ended.")

    # --- support -------------------------------------------------------------------------------
    def pending(self, auth: Authenticated) -> dict[str, Any]:
        _require_support(auth)
        requests = self._store.pending()
        keys = [k for r in requests for k in r.documents.values()]
        # Support's queue reads each document's metadata: in parallel, not one round trip after another.
        with ThreadPoolExecutor(max_workers=16) as pool:
            found = dict(zip(keys, pool.map(self._documents.describe, keys), strict=True))
        return {"requests": [self._view(r, found) for r in requests]}

    def decide(self, auth: Authenticated, request_id: str, approve: bool, note: str) -> dict[str, Any]:
        _require_support(auth)
        request = self._store.get(request_id) if could_be_id(request_id) else None
        if request is None:
            raise NotFoundError("No such recovery request.")
        if request.status != "pending":
            raise ConflictError(f"This request was already {request.status}.")
        account = self._accounts.get(request.account_id) if request.account_id else None
        now, agent = self._clock.now(), auth.account.id
        if not approve:
            if not self._store.decide(request.id, "rejected", agent, note, now, due_at=self._purge_at(request, now)):
                raise ConflictError("Another agent decided this request meanwhile.")
            self._mailer.send(messages.email("recovery_request_rejected", request.new_email,
                                             account.locale if account else "en", note=note))
            return {"request_id": request.id, "status": "rejected"}
        if account is None:
            raise ConflictError("No account matches this request: it can only be rejected.")
        if self._taken(request.new_email, account):
            raise ConflictError("The new address belongs to another account: reject the request.")
        missing = [d for d in DOCUMENTS if self._stored(request, d) is None]
        if missing:
            raise DocumentsMissingError(missing)
        effective_at = now + timedelta(seconds=self._settings.recovery_hold_seconds)
        if not self._store.decide(request.id, "approved", agent, note, now, due_at=effective_at):
            raise ConflictError("Another agent decided this request meanwhile.")
        self._announce_hold(request, account, effective_at)
        return {"request_id": request.id, "status": "approved", "effective_at": iso(effective_at)}

    def download(self, auth: Authenticated, request_id: str, document: str) -> str:
        """A short-lived link to one document, once the download is on the request's record."""
        _require_support(auth)
        request = self._store.get(request_id) if could_be_id(request_id) else None
        if request is None or document not in DOCUMENTS:
            raise NotFoundError("No such document.")
        stored = self._stored(request, document)
        if stored is None:
            raise NotFoundError("This document was not uploaded, or was deleted.")
        self._store.record_download(request.id, document, auth.account.id, self._clock.now())
        extension = CONTENT_TYPES.get(stored.content_type, "bin")
        return self._documents.download_url(request.documents[document], DOWNLOAD_SECONDS,
                                            filename=f"{request.id}-{document}.{extension}")

    # --- the scheduled run ----------------------------------------------------------------------
    def run_due(self, keep_going: Callable[[], bool] = lambda: True) -> dict[str, int]:
        """Apply the approvals whose hold ended, and delete the documents of requests decided long
        enough ago. Idempotent: each step is a conditional transition, so two runs never both apply."""
        # "lost": another run, or the owner's cancel, made the transition first.
        done = {"applied": 0, "reopened": 0, "lost": 0, "documents_deleted": 0}
        now = self._clock.now()
        for request in self._batches("approved", now, keep_going):
            done[self._apply(request, now)] += 1
        for status in _DECIDED:
            for request in self._batches(status, now, keep_going):
                self._documents.delete(list(request.documents.values()))
                self._store.documents_deleted(request.id, now)
                done["documents_deleted"] += 1
        return done

    def _batches(self, status: str, now: datetime, keep_going: Callable[[], bool]) -> Iterator[RecoveryRequest]:
        """Every due request of `status`, page after page, each once (one that failed stays due,
        and is not retried in the same run)."""
        seen: set[str] = set()
        while True:
            batch = [r for r in self._store.due(status, now) if r.id not in seen]
            if not batch or not keep_going():
                return
            seen.update(r.id for r in batch)
            yield from batch

    def _apply(self, request: RecoveryRequest, now: datetime) -> str:
        account = self._accounts.get(request.account_id) if request.account_id else None
        if account is None or self._taken(request.new_email, account):
            # The account went, or the address was taken during the hold: support looks again.
            return "reopened" if self._store.move(request.id, "approved", "pending", None) else "lost"
        # The transition comes first: once it is won, a late cancel loses, and a second run skips it.
        if not self._store.move(request.id, "approved", "applied", self._purge_at(request, now)):
            return "lost"
        old = account.email
        moved = None
        for _ in range(2):  # the account may have changed since it was read (a rehash at login)
            try:
                moved = self._accounts.save(account.evolve(email=request.new_email, email_verified=False))
                break
            except ConditionFailedError:
                account = self._accounts.get(account.id) or account
        if moved is None:
            self._store.move(request.id, "applied", "pending", None)
            return "reopened"
        self._sessions.end_all(moved.id)
        self._mailer.send(messages.email("recovery_request_approved", old, moved.locale,
                                         new_email=messages.Plain(request.new_email)))
        # The decision's link, not a request's: no reset throttle may swallow it.
        self._recovery.issue("email", moved)
        return "applied"

    # --- helpers ---------------------------------------------------------------------------------
    def _announce_hold(self, request: RecoveryRequest, account: Account, effective_at: datetime) -> None:
        when = effective_at.strftime("%Y-%m-%d %H:%M")
        self._mailer.send(messages.email("recovery_hold_started", account.email, account.locale,
                                         new_email=messages.Plain(request.new_email), when=when,
                                         link=self._cancel_link(request, effective_at, "email")))
        if account.phone:
            self._sms.send(messages.sms("recovery_hold_started_sms", account.phone, account.locale,
                                        new_email=messages.Plain(request.new_email), when=when,
                                        link=self._cancel_link(request, effective_at, "sms")))

    def _cancel_link(self, request: RecoveryRequest, effective_at: datetime, channel: str) -> str:
        """A link of its own per channel, each usable once, until the hold ends: a verification
        process of the request's (a newer approval's link replaces the older), whose secret is the
        link's 256 bits. The token names only its channel (the request is beside it in the link),
        which keeps the SMS short."""
        secret = new_link_secret()
        # Never exhausted (a wrong secret is simply not found, it counts nothing): a start always lands.
        self._flows.start(Verification(
            purpose=CANCEL_KIND, subject=_cancel_subject(request.id, channel), digest=digest(secret),
            expires_at=effective_at, max_failures=1, data={"request_id": request.id}), self._clock.now())
        return (f"{self._settings.public_base_url}/ui/recovery/cancel?request={request.id}"
                f"&token={link_token(channel, secret)}")

    def _purge_at(self, request: RecoveryRequest, now: datetime) -> datetime:
        decided = request.decided_at or now
        return decided + timedelta(seconds=self._settings.recovery_documents_retention_seconds)

    def _stored(self, request: RecoveryRequest, document: str) -> StoredDocument | None:
        key = request.documents.get(document)
        if key is None or request.documents_deleted_at is not None:
            return None
        return self._documents.describe(key)

    def _view(self, r: RecoveryRequest, found: Mapping[str, StoredDocument | None]) -> dict[str, Any]:
        account = self._accounts.get(r.account_id) if r.account_id else None
        documents = []
        for d in DOCUMENTS:
            key = r.documents.get(d)
            stored = found.get(key) if key else None
            documents.append({"document": d, "uploaded": stored is not None,
                              "content_type": stored.content_type if stored else None,
                              "size": stored.size if stored else None,
                              "url": f"/support/recovery-requests/{r.id}/documents/{d}" if stored else None})
        return {"id": r.id, "status": r.status, "created_at": iso(r.created_at),
                "lookup": {"kind": r.lookup_kind, "value": r.lookup_value},
                "account": self._on_file(account) if account else None,
                "new_email": r.new_email, "new_email_taken": self._taken(r.new_email, account),
                "postal_address": r.postal_address, "phone": r.phone,
                "documents": documents, "downloads": [dict(d) for d in r.downloads]}

    def _on_file(self, account: Account) -> dict[str, Any]:
        """What the account says of its owner, to set beside what the request says. The last bill
        comes from the billing data other flows keep in `extra["last_bill"]` ({amount, date})."""
        bill = account.extra.get("last_bill")
        last_bill = ({"amount": bill.get("amount"), "date": bill.get("date")}
                     if isinstance(bill, Mapping) else None)
        age = self._clock.now() - account.created_at
        return {"id": account.id, "email": account.email, "name": account.name or None,
                "postal_address": account.postal_address, "phone": account.phone,
                "organization": account.organization, "last_bill": last_bill,
                "created_at": iso(account.created_at), "age_days": max(0, age.days),
                "second_factors": sorted({m.type for m in account.mfa_methods})}

    def _taken(self, email: str, account: Account | None) -> bool:
        other = self._accounts.get_by_email(normalise_email(email))
        return other is not None and (account is None or other.id != account.id)


def _require_support(auth: Authenticated) -> None:
    if SUPPORT_ROLE not in (auth.account.extra.get("roles") or []):  # type: ignore[operator]
        raise ForbiddenError("Only support agents can see recovery requests.")
