"""Centralised account settings: profile, password change, email change."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from gatehouse import messages
from gatehouse.domain.accounts import LOCALES, Account, normalise_email
from gatehouse.domain.password_policy import PasswordPolicy, account_context
from gatehouse.domain.secrets import digest, link_token, new_link_secret, split_link
from gatehouse.domain.times import iso
from gatehouse.domain.verification import Verification
from gatehouse.errors import (
    ConditionFailedError,
    ConflictError,
    ForbiddenError,
    GatehouseError,
    InvalidInputError,
    InvalidTokenError,
    WeakPasswordError,
)
from gatehouse.flows.sessions import Authenticated, SessionService
from gatehouse.flows.throttle import MessageThrottle
from gatehouse.ports import AccountRepository, Clock, Mailer, OneTimeStore, VerificationStore
from gatehouse.settings import Settings
from gatehouse.strategies.password import PasswordHasher

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# Both links are verification processes of the account (`<account id>-<256-bit secret>`): one write
# per link, replacing the account's older link of its kind, one conditional delete to follow it. A
# link issued before is a one-time item of the same kind, followed on a miss only until it expires.
EMAIL_CHANGE = "email_change"
# A link that proves the address the account already has (its `verify_email` required action).
EMAIL_CONFIRM = "email_confirm"
# The phone is not among them: it is a recovery channel, changed only through a code (flows/phone.py).
PROFILE_FIELDS = ("name", "locale", "postal_address", "organization")


messages.register("email_confirm", {
    "en": ("Confirm your email address",
           "Follow this link within $minutes minutes to confirm that this address is yours:\n$link\n\n"
           "If you did not ask for it, ignore this email: nothing changes."),
    "fr": ("Confirmez votre adresse e-mail",
           "Suivez ce lien dans les $minutes minutes pour confirmer que cette adresse est la vôtre :\n$link\n\n"
           "Si vous ne l'avez pas demandé, ignorez cet e-mail : rien ne change."),
})


class WrongPasswordError(GatehouseError):
    code = "invalid_password"
    message = "The current password is incorrect."


def public_account(account: Account) -> dict[str, Any]:
    return {"account_id": account.id, "email": account.email, "name": account.name, "locale": account.locale,
            "phone": account.phone, "postal_address": account.postal_address,
            "organization": account.organization, "created_at": iso(account.created_at)}


def check_phone(phone: str | None) -> None:
    # fullmatch: `$` alone would let a trailing newline through to SNS and to the stored profile.
    if phone is not None and not E164.fullmatch(phone):
        raise InvalidInputError({"phone": "Use the international E.164 format, e.g. +33612345678."})


class AccountSettings:
    def __init__(self, accounts: AccountRepository, once: OneTimeStore, sessions: SessionService, mailer: Mailer,
                 hasher: PasswordHasher, policy: PasswordPolicy, clock: Clock, settings: Settings,
                 throttle: MessageThrottle | None = None, *, flows: VerificationStore) -> None:
        self._flows = flows
        self._accounts, self._once, self._sessions, self._mailer = accounts, once, sessions, mailer
        self._hasher, self._policy, self._clock, self._s = hasher, policy, clock, settings
        self._throttle = throttle

    def get(self, auth: Authenticated) -> dict[str, Any]:
        return public_account(auth.account)

    def update(self, auth: Authenticated, changes: dict[str, Any]) -> dict[str, Any]:
        if not changes:
            raise InvalidInputError({"body": "Give at least one field to change."})
        if "phone" in changes:
            raise InvalidInputError({"phone": "The phone is a recovery channel: change it with POST /account/phone "
                                              "(your password, then the code texted to the new number)."})
        if "locale" in changes and changes["locale"] not in LOCALES:
            raise InvalidInputError({"locale": f"Choose one of {', '.join(LOCALES)}."})
        saved = self._save(auth.account.evolve(**{k: v for k, v in changes.items() if k in PROFILE_FIELDS}))
        auth.refresh(saved)
        return public_account(saved)

    def check_new_password(self, account: Account, password: str) -> None:
        context = account_context(account.email, account.name, account.organization)
        if found := self._policy.check(password, context=context):
            raise WeakPasswordError([p.sentence for p in found], field="new_password",
                                    codes=[p.as_detail() for p in found])

    def change_password(self, auth: Authenticated, current: str, new: str) -> None:
        account = auth.account
        if not self._hasher.verify(account.password_hash, current):
            raise WrongPasswordError(fields={"current_password": "This is not your current password."})
        self.check_new_password(account, new)
        self.store_password(account, new, keep_session=auth.session.token_hash)

    def store_password(self, account: Account, new: str, *, keep_session: str | None) -> Account:
        """Hash, save, end every other session, send the notice. Shared by change, reset and set."""
        now = self._clock.now()
        # Every session that began before now ends with the account's one write (no index to query, so
        # none created a moment ago escapes); the kept one is first marked as beginning now.
        if keep_session:
            self._sessions.keep_through_end(keep_session, now)
        saved = self._save(account.evolve(password_hash=self._hasher.hash(new), set_password_required=False,
                                          password_changed_at=now, sessions_valid_after=now))
        self._mailer.send(messages.email("password_changed", saved.email, saved.locale,
                                         when=now.strftime("%Y-%m-%d %H:%M UTC"),
                                         reset_link=f"{self._s.public_base_url}/ui/reset"))
        return saved

    def set_password(self, auth: Authenticated, new: str) -> None:
        if not auth.account.set_password_required and auth.account.password_hash:
            raise ForbiddenError("This account already has a password: change it instead.")
        self.check_new_password(auth.account, new)
        auth.refresh(self.store_password(auth.account, new, keep_session=auth.session.token_hash))

    def request_email_change(self, auth: Authenticated, new_email: str, password: str) -> None:
        account = auth.account
        if not self._hasher.verify(account.password_hash, password):
            raise WrongPasswordError(fields={"password": "This is not your current password."})
        taken = self._accounts.get_by_email(new_email)
        if taken is not None:
            # Same answer as a free address; the owner of the address hears of it.
            self._mailer.send(messages.email("email_change_taken", taken.email, taken.locale))
            return
        secret = new_link_secret()
        # Sent before it is stored: an address SES refuses (InvalidEmailError) leaves no pending change.
        self._mailer.send(messages.email("email_change_verify", new_email.strip(), account.locale,
                                         link=f"{self._s.public_base_url}/ui/verify-email?token="
                                              f"{link_token(account.id, secret)}",
                                         minutes=self._s.email_link_seconds // 60))
        self._start_link(EMAIL_CHANGE, account.id, secret, {"account_id": account.id, "new_email": new_email.strip()})

    def send_email_confirmation(self, auth: Authenticated) -> None:
        """Send (again) a link proving the account's own address; the newest link is the one that works.
        Throttled per account like every message: a refused resend still answers 202, sending nothing."""
        account = auth.account
        if account.email_verified or (self._throttle is not None
                                      and not self._throttle.allow(f"email_confirm:{account.id}")):
            return
        secret = new_link_secret()
        self._start_link(EMAIL_CONFIRM, account.id, secret, {"account_id": account.id, "email": account.email_key})
        self._mailer.send(messages.email("email_confirm", account.email, account.locale,
                                         link=f"{self._s.public_base_url}/ui/confirm-email?token="
                                              f"{link_token(account.id, secret)}",
                                         minutes=self._s.email_link_seconds // 60))

    def _start_link(self, purpose: str, account_id: str, secret: str, data: Mapping[str, Any]) -> None:
        now = self._clock.now()
        # Never exhausted (a wrong secret is simply not found, it counts nothing): a start always lands.
        self._flows.start(Verification(purpose=purpose, subject=account_id, digest=digest(secret),
                                       expires_at=now + timedelta(seconds=self._s.email_link_seconds),
                                       max_failures=1, data=dict(data)), now)

    def _follow(self, token: str, now: datetime) -> tuple[str, Mapping[str, Any]] | None:
        """The kind and data of the link `token` names, consumed by one conditional write; None when
        it is used, expired, replaced or made up."""
        link = split_link(token)
        for kind in (EMAIL_CHANGE, EMAIL_CONFIRM):
            if link is None:
                item = self._once.consume(kind, digest(token), now)
                data = item.data if item is not None else None
            else:
                done = self._flows.complete(kind, link[0], digest(link[1]), now)
                data = done.data if done is not None else None
            if data is not None:
                return kind, data
        return None

    def _confirm_email(self, data: Mapping[str, Any]) -> dict[str, Any]:
        account = self._accounts.get(data["account_id"])
        # A link sent to an address the account has since left proves nothing about the new one.
        if account is None or account.email_key != data["email"]:
            raise InvalidTokenError()
        saved = account if account.email_verified else self._save(account.evolve(email_verified=True))
        return {**public_account(saved), "email_verified": True}

    def confirm_email_change(self, token: str) -> dict[str, Any]:
        now = self._clock.now()
        followed = self._follow(token, now)
        if followed is not None and followed[0] == EMAIL_CONFIRM:
            return self._confirm_email(followed[1])
        data = followed[1] if followed is not None else None
        account = self._accounts.get(data["account_id"]) if data is not None else None
        if data is None or account is None:
            raise InvalidTokenError()
        old = account.email
        try:
            saved = self._accounts.save(account.evolve(email=data["new_email"], email_verified=True))
        except ConditionFailedError as exc:
            if self._accounts.get_by_email(normalise_email(data["new_email"])):
                raise ConflictError("This address now belongs to another account.") from exc
            raise
        self._mailer.send(messages.email("email_changed", old, saved.locale, new_email=saved.email))
        return public_account(saved)

    def _save(self, account: Account) -> Account:
        try:
            return self._accounts.save(account)
        except ConditionFailedError as exc:
            raise ConflictError("Your account was changed meanwhile: reload and try again.") from exc
