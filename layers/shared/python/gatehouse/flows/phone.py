"""Changing the account's phone: the phone is a recovery channel (a reset code goes to it), so a
number becomes the account's only once a code sent to it is confirmed.

Asking needs the password and, on an account with a second factor, a recent sign-in (what a
stolen session alone must not do); the new number waits in a code verification process (6
digits, 10 minutes, 5 tries) and `Account.phone`, the number resets use, stays the old one until
the code comes back. Confirming makes it the account's phone and tells the account's address.
"""

from __future__ import annotations

from typing import Any

from gatehouse import messages
from gatehouse.domain.accounts import Account
from gatehouse.domain.secrets import digest
from gatehouse.errors import ConditionFailedError, ConflictError, InvalidCodeError, InvalidInputError, RateLimitedError
from gatehouse.flows.account import WrongPasswordError, check_phone, public_account
from gatehouse.flows.sessions import Authenticated
from gatehouse.flows.throttle import GuessThrottle, MessageThrottle
from gatehouse.ports import AccountRepository, Clock, Mailer
from gatehouse.settings import Settings
from gatehouse.strategies.code import CodeStrategy
from gatehouse.strategies.password import PasswordHasher

messages.register("phone_verify_code", {
    "en": ("", "Gatehouse: $code is your code to make this number your account's phone (valid $minutes min). "
               "Never give it to anyone."),
    "fr": ("", "Gatehouse : $code est votre code pour faire de ce numéro le téléphone de votre compte (valable "
               "$minutes min). Ne le donnez à personne."),
})
messages.register("phone_changed", {
    "en": ("Your phone number was changed",
           "The phone number of your account was changed on $when: it is now the number ending in $last_digits, "
           "and password reset codes by SMS go to it.\n\n"
           "If this was not you, reset your password now and contact support: $reset_link"),
    "fr": ("Votre numéro de téléphone a été modifié",
           "Le numéro de téléphone de votre compte a été modifié le $when : c'est désormais le numéro se terminant "
           "par $last_digits, et les codes de réinitialisation du mot de passe par SMS y sont envoyés.\n\n"
           "Si ce n'était pas vous, réinitialisez votre mot de passe maintenant et contactez le support : "
           "$reset_link"),
})


class PhoneChange:
    def __init__(self, accounts: AccountRepository, codes: CodeStrategy, mailer: Mailer,
                 hasher: PasswordHasher, guesses: GuessThrottle, messages_throttle: MessageThrottle, clock: Clock,
                 settings: Settings) -> None:
        self._accounts, self._codes, self._mailer = accounts, codes, mailer
        self._hasher, self._guesses, self._throttle = hasher, guesses, messages_throttle
        self._clock, self._s = clock, settings

    def request(self, auth: Authenticated, phone: str, password: str, *, ip: str) -> dict[str, str]:
        """Text a code to `phone`; nothing changes on the account until it is confirmed."""
        auth.require_recent_sign_in(self._clock.now(), self._s.mfa_reauth_seconds)
        check_phone(phone)
        account = auth.account
        # A stolen session must not become a free password oracle: wrong passwords here count
        # against the account exactly as wrong passwords at /login do.
        failures = self._guesses.check(account.email, ip)
        if not self._hasher.verify(account.password_hash, password):
            self._guesses.failed(account.email, ip)
            raise WrongPasswordError(fields={"password": "This is not your current password."})
        self._guesses.succeeded(account.email, failures)
        if phone == account.phone:
            raise InvalidInputError({"phone": "This is already your account's phone."})
        # Per account, and per number so that many accounts cannot make one stranger's phone ring.
        if not (self._throttle.allow(f"phone_code:{account.id}")
                and self._throttle.allow(f"phone_code_to:{digest(phone)}")):
            raise RateLimitedError(3600, "Too many codes were sent: try again in an hour.")
        issued = self._codes.start(account.id, {"phone": phone})
        if issued is None:
            # Too many wrong codes: the live process stays until it expires, and sends nothing new.
            raise RateLimitedError(self._codes.ttl_seconds, "Too many wrong codes: try again in a few minutes.")
        self._codes.channel.send("phone_verify_code", phone, account.locale, code=issued.code,
                                 minutes=self._codes.ttl_seconds // 60)
        return {"status": "code_sent"}

    def confirm(self, auth: Authenticated, code: str) -> dict[str, Any]:
        """The pending number becomes the account's phone (and its reset channel); a notice goes to
        the account's address."""
        done = self._codes.check(auth.session.account_id, code)
        if done is None:
            raise InvalidCodeError("This code is invalid or has expired. Ask for a new one if needed.")
        phone = str(done.data["phone"])
        saved = self._save(auth.account.evolve(phone=phone))
        auth.refresh(saved)
        now = self._clock.now()
        self._mailer.send(messages.email("phone_changed", saved.email, saved.locale, last_digits=phone[-2:],
                                         when=now.strftime("%Y-%m-%d %H:%M UTC"),
                                         reset_link=f"{self._s.public_base_url}/ui/reset"))
        return public_account(saved)

    def _save(self, account: Account) -> Account:
        try:
            return self._accounts.save(account)
        except ConditionFailedError:
            pass
        # The code is spent by now: a profile saved meanwhile must not cost the person a new one.
        fresh = self._accounts.get(account.id)
        try:
            if fresh is not None:
                return self._accounts.save(fresh.evolve(phone=account.phone))
        except ConditionFailedError:
            pass
        raise ConflictError("Your account was changed meanwhile: ask for a new code.")
