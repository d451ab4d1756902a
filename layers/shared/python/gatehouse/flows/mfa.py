"""Managing second factors: list, enrol (begin + confirm), delete, regenerate recovery codes.

Each factor type is a strategy (strategies/totp.py, strategies/webauthn.py) registered in the
composition root; this flow does what every type shares: the re-authentication rule, the public
summary on the account (`Account.mfa_methods`), clearing `enroll_mfa`, recovery codes with the
first factor, and a notice email for every factor added or removed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from gatehouse import messages
from gatehouse.domain.accounts import Account, MfaMethod
from gatehouse.domain.factors import Factor
from gatehouse.domain.sessions import Session
from gatehouse.domain.times import iso
from gatehouse.errors import (
    ConditionFailedError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    SmsMfaDeprecatedError,
)
from gatehouse.flows.sessions import Authenticated
from gatehouse.ports import AccountRepository, Clock, Mailer, MfaStore
from gatehouse.settings import Settings
from gatehouse.strategies.recovery_codes import RecoveryCodeStrategy

messages.register("mfa_added", {
    "en": ("A second factor was added to your account",
           "A second factor ($label) was added to your account on $when.\n\n"
           "If this was not you, reset your password now and contact support: $reset_link"),
    "fr": ("Un second facteur a été ajouté à votre compte",
           "Un second facteur ($label) a été ajouté à votre compte le $when.\n\n"
           "Si ce n'était pas vous, réinitialisez votre mot de passe maintenant et contactez le support : $reset_link"),
})
messages.register("mfa_removed", {
    "en": ("A second factor was removed from your account",
           "A second factor ($label) was removed from your account on $when.\n\n"
           "If this was not you, reset your password now and contact support: $reset_link"),
    "fr": ("Un second facteur a été retiré de votre compte",
           "Un second facteur ($label) a été retiré de votre compte le $when.\n\n"
           "Si ce n'était pas vous, réinitialisez votre mot de passe maintenant et contactez le support : $reset_link"),
})
messages.register("recovery_codes_regenerated", {
    "en": ("New recovery codes for your account",
           "New recovery codes were generated for your account on $when; the previous ones no longer work.\n\n"
           "If this was not you, reset your password now: $reset_link"),
    "fr": ("Nouveaux codes de secours pour votre compte",
           "De nouveaux codes de secours ont été générés pour votre compte le $when ; les précédents ne "
           "fonctionnent plus.\n\nSi ce n'était pas vous, réinitialisez votre mot de passe maintenant : $reset_link"),
})


class Enrolment(Protocol):
    """What a factor type offers this flow: a first step (a seed, WebAuthn options) and a
    confirmation that stores the factor's secret side and returns it."""

    method: str
    label: str

    def begin(self, account: Account, session: Session) -> dict[str, Any]: ...

    def finish(self, account: Account, session: Session, payload: dict[str, Any]) -> Factor: ...


class MfaManagement:
    def __init__(self, accounts: AccountRepository, store: MfaStore, enrolments: Mapping[str, Enrolment],
                 recovery: RecoveryCodeStrategy, mailer: Mailer, clock: Clock, settings: Settings) -> None:
        self._accounts, self._store, self._enrolments, self._recovery = accounts, store, enrolments, recovery
        self._mailer, self._clock, self._s = mailer, clock, settings

    def overview(self, auth: Authenticated) -> dict[str, Any]:
        account = auth.account
        return {"methods": [_public(m) for m in account.mfa_methods],
                "recovery_codes_remaining": self._recovery.remaining(account.id) if account.has_mfa else 0}

    def begin(self, auth: Authenticated, method: str) -> dict[str, Any]:
        self._check_recent(auth)
        return self._enrolment(method).begin(auth.account, auth.session)

    def finish(self, auth: Authenticated, method: str, payload: dict[str, Any]) -> dict[str, Any]:
        self._check_recent(auth)
        enrolment = self._enrolment(method)
        factor = enrolment.finish(auth.account, auth.session, payload)
        name = str(payload.get("name") or "").strip()[:100] or enrolment.label
        summary = MfaMethod(id=factor.id, type=factor.type, name=name, created_at=factor.created_at)
        first = not auth.account.has_mfa

        def add(account: Account) -> Account:
            # Enrolling any factor settles `enroll_mfa`.
            return account.evolve(mfa_methods=(*account.mfa_methods, summary), mfa_enrolment_required=False)

        try:
            saved = self._update(auth.account, add)
        except ConflictError:
            self._store.delete(factor.account_id, factor.id)
            raise
        auth.refresh(saved)
        result: dict[str, Any] = {"id": factor.id}
        if first:
            result["recovery_codes"] = self._recovery.issue(saved.id)
        self._notify("mfa_added", saved, label=messages.Plain(name))  # the session wrote it: never a link
        return result

    def delete(self, auth: Authenticated, factor_id: str) -> None:
        self._check_recent(auth)
        method = next((m for m in auth.account.mfa_methods if m.id == factor_id), None)
        if method is None:
            raise NotFoundError("This account has no such second factor.")
        saved = self._update(auth.account, lambda a: a.evolve(
            mfa_methods=tuple(m for m in a.mfa_methods if m.id != factor_id)))
        self._store.delete(saved.id, factor_id)
        if not saved.has_mfa:
            self._recovery.revoke(saved.id)  # without a factor, nothing asks for them
        auth.refresh(saved)
        self._notify("mfa_removed", saved, label=messages.Plain(method.name))

    def regenerate_recovery_codes(self, auth: Authenticated) -> dict[str, Any]:
        self._check_recent(auth)
        if not auth.account.has_mfa:
            raise ConflictError("Add an authenticator app or a passkey first: recovery codes come with it.")
        codes = self._recovery.issue(auth.account.id)
        self._notify("recovery_codes_regenerated", auth.account)
        return {"recovery_codes": codes}

    def sms(self) -> None:
        raise SmsMfaDeprecatedError()

    # --- shared steps -------------------------------------------------------------------------
    def _enrolment(self, method: str) -> Enrolment:
        enrolment = self._enrolments.get(method)
        if enrolment is None:
            raise InvalidInputError({"method": f"Choose one of {', '.join(self._enrolments)}."})
        return enrolment

    def _check_recent(self, auth: Authenticated) -> None:
        """A stolen or forgotten session must not be able to swap the second factor silently."""
        auth.require_recent_sign_in(self._clock.now(), self._s.mfa_reauth_seconds)

    def _update(self, account: Account, change: Callable[[Account], Account]) -> Account:
        """Apply `change` under the version check, re-reading the account when someone else wrote
        meanwhile (a login rehashing the password, say)."""
        for _ in range(3):
            try:
                return self._accounts.save(change(account))
            except ConditionFailedError:
                fresh = self._accounts.get(account.id)
                if fresh is None:
                    break
                account = fresh
        raise ConflictError("Your account was changed meanwhile: reload and try again.")

    def _notify(self, name: str, account: Account, **values: Any) -> None:
        self._mailer.send(messages.email(name, account.email, account.locale, when=_when(self._clock.now()),
                                         reset_link=f"{self._s.public_base_url}/ui/reset", **values))


def _when(now: datetime) -> str:
    return now.strftime("%Y-%m-%d %H:%M UTC")


def _public(m: MfaMethod) -> dict[str, Any]:
    return {"id": m.id, "type": m.type, "name": m.name, "created_at": iso(m.created_at)}
