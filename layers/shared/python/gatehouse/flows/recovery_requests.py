"""Recovery when the email no longer works: a request with identity documents, decided by support.

A person gives the key they remember (a legacy identifier or a linked domain), the new address
they want, a postal address and a phone, and uploads two documents (the last bill and the card
statement) straight to S3 with presigned forms. The answer is the same whether the key matches
an account or not; the account's current address, if any, is told a request was made. Support
sees the pending requests with links to the documents, and decides: on approval the account's
email becomes the new address, every session ends, and the new address gets a password reset
link (the recovery form's); a refusal is told to the new address. One conditional write decides,
so two agents acting at once cannot both decide.
"""

from __future__ import annotations

from typing import Any

from gatehouse import messages
from gatehouse.adapters.codec import iso
from gatehouse.domain.accounts import normalise_email
from gatehouse.domain.secrets import could_be_id, new_id
from gatehouse.errors import ConditionFailedError, ConflictError, ForbiddenError, NotFoundError, RateLimitedError
from gatehouse.flows.recovery import Lookup, Recovery
from gatehouse.flows.sessions import Authenticated, SessionService
from gatehouse.flows.throttle import MessageThrottle
from gatehouse.ports import AccountRepository, Clock, DocumentStore, Mailer, RecoveryRequest, RecoveryRequestStore

DOCUMENTS = ("last_bill", "card_statement")
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
UPLOAD_SECONDS = 60 * 60
DOWNLOAD_SECONDS = 15 * 60
SUPPORT_ROLE = "support"

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


class RecoveryRequests:
    def __init__(self, store: RecoveryRequestStore, documents: DocumentStore, accounts: AccountRepository,
                 recovery: Recovery, sessions: SessionService, mailer: Mailer, throttle: MessageThrottle,
                 clock: Clock) -> None:
        self._store, self._documents, self._accounts, self._recovery = store, documents, accounts, recovery
        self._sessions, self._mailer, self._throttle, self._clock = sessions, mailer, throttle, clock

    def submit(self, lookup: Lookup, new_email: str, postal_address: str, phone: str, *, ip: str) -> dict[str, Any]:
        if not self._throttle.allow(f"recovery_request:ip:{ip}"):
            raise RateLimitedError(retry_after=3600,
                                   message="Too many recovery requests from here: try again in an hour.")
        account = self._recovery.find(lookup)
        request = RecoveryRequest(id=new_id("rrq"), lookup_kind=lookup.kind, lookup_value=lookup.key,
                                  account_id=account.id if account else None, new_email=new_email.strip(),
                                  postal_address=postal_address.strip(), phone=phone, created_at=self._clock.now())
        self._store.add(request)
        if account is not None:
            self._mailer.send(messages.email("recovery_request_made", account.email, account.locale))
        uploads = [{"document": d, **self._documents.upload_form(_key(request.id, d), MAX_DOCUMENT_BYTES,
                                                                 UPLOAD_SECONDS)} for d in DOCUMENTS]
        return {"request_id": request.id, "uploads": uploads}

    def pending(self, auth: Authenticated) -> dict[str, Any]:
        _require_support(auth)
        return {"requests": [self._public(r) for r in self._store.pending()]}

    def decide(self, auth: Authenticated, request_id: str, approve: bool, note: str) -> dict[str, Any]:
        _require_support(auth)
        request = self._store.get(request_id) if could_be_id(request_id) else None
        if request is None:
            raise NotFoundError("No such recovery request.")
        if request.status != "pending":
            raise ConflictError(f"This request was already {request.status}.")
        account = self._accounts.get(request.account_id) if request.account_id else None
        if approve:
            if account is None:
                raise ConflictError("No account matches this request: it can only be rejected.")
            taken = self._accounts.get_by_email(request.new_email)
            if taken is not None and taken.id != account.id:
                raise ConflictError("The new address belongs to another account: reject the request.")
        now, agent = self._clock.now(), auth.account.id
        status = "approved" if approve else "rejected"
        if not self._store.decide(request.id, status, agent, note, now):
            raise ConflictError("Another agent decided this request meanwhile.")
        if not approve:
            self._mailer.send(messages.email("recovery_request_rejected", request.new_email,
                                             account.locale if account else "en", note=note))
            return {"request_id": request.id, "status": status}
        assert account is not None
        old = account.email
        try:
            self._accounts.save(account.evolve(email=request.new_email, email_verified=False))
        except ConditionFailedError:
            # The address was taken, or the account changed, in between: undo the decision.
            self._store.decide(request.id, "pending", agent, "reopened: the account changed meanwhile", now,
                               from_status="approved")
            raise ConflictError("The account changed meanwhile: look at the request again.") from None
        self._sessions.end_all(account.id)
        self._mailer.send(messages.email("recovery_request_approved", old, account.locale,
                                         new_email=request.new_email))
        self._recovery.request("email", Lookup("identifier", account.id), ip=f"support:{agent}")
        return {"request_id": request.id, "status": status}

    def _public(self, r: RecoveryRequest) -> dict[str, Any]:
        account = self._accounts.get(r.account_id) if r.account_id else None
        return {"id": r.id, "status": r.status, "created_at": iso(r.created_at),
                "lookup": {"kind": r.lookup_kind, "value": r.lookup_value},
                "account": {"id": account.id, "email": account.email} if account else None,
                "new_email": r.new_email, "new_email_taken": self._taken(r.new_email, account),
                "postal_address": r.postal_address, "phone": r.phone,
                "documents": [{"document": d, "url": self._documents.download_url(_key(r.id, d), DOWNLOAD_SECONDS)}
                              for d in DOCUMENTS]}

    def _taken(self, email: str, account: Any) -> bool:
        other = self._accounts.get_by_email(normalise_email(email))
        return other is not None and (account is None or other.id != account.id)


def _key(request_id: str, document: str) -> str:
    return f"recovery-requests/{request_id}/{document}"


def _require_support(auth: Authenticated) -> None:
    if SUPPORT_ROLE not in (auth.account.extra.get("roles") or []):  # type: ignore[operator]
        raise ForbiddenError("Only support agents can see recovery requests.")
