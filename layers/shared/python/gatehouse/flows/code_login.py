"""Passwordless login: a one-time code by email, or a passkey.

Neither bypasses an enrolled second factor: an email code proves only the mailbox, so an account
with a factor still gets `mfa_required`; a passkey with user verification is itself two factors
(possession and the device's PIN or biometrics), so its session starts at AAL2.
"""

from __future__ import annotations

from typing import Any

from gatehouse import messages
from gatehouse.domain.accounts import Account, normalise_email
from gatehouse.domain.secrets import digest
from gatehouse.errors import ConditionFailedError, InvalidCodeError, InvalidCredentialsError
from gatehouse.flows.login import LoginOutcome
from gatehouse.flows.pacing import ResponseFloor
from gatehouse.flows.sessions import SessionService, login_result
from gatehouse.flows.throttle import MessageThrottle
from gatehouse.ports import AccountRepository, Mailer
from gatehouse.settings import Settings
from gatehouse.strategies.code import CodeStrategy
from gatehouse.strategies.webauthn import WebAuthnStrategy

messages.register("login_code", {
    "en": ("Your sign-in code", "Your Gatehouse sign-in code is $code\n\nIt works once, within 10 minutes. "
           "If you did not ask for it, ignore this email: nobody can sign in without it."),
    "fr": ("Votre code de connexion", "Votre code de connexion Gatehouse est $code\n\nIl fonctionne une fois, "
           "dans les 10 minutes. Si vous ne l'avez pas demandé, ignorez cet e-mail : personne ne peut se connecter "
           "sans lui."),
})
messages.register("login_code_unknown", {
    "en": ("Sign-in attempt", "Someone asked for a sign-in code for this address, but no Gatehouse account uses "
           "it. If this was you, you may have signed up with another address, or create an account: $signup_link"),
    "fr": ("Tentative de connexion", "Quelqu'un a demandé un code de connexion pour cette adresse, mais aucun "
           "compte Gatehouse ne l'utilise. Si c'était vous, vous vous êtes peut-être inscrit avec une autre adresse, "
           "ou créez un compte : $signup_link"),
})


class CodeLogin:
    def __init__(self, accounts: AccountRepository, codes: CodeStrategy, sessions: SessionService,
                 mailer: Mailer, throttle: MessageThrottle, settings: Settings,
                 floor: ResponseFloor | None = None) -> None:
        self._accounts, self._codes, self._sessions = accounts, codes, sessions
        self._mailer, self._throttle, self._s = mailer, throttle, settings
        # A known address stores a code that an unknown one does not: the floor hides that.
        self._floor = floor or ResponseFloor(0)

    @staticmethod
    def _subject(email: str) -> str:
        return digest(normalise_email(email))

    def request(self, email: str) -> dict[str, Any]:
        """The same answer whatever happens: known or unknown address, throttled or not; and the
        same time, every path held to one floor (`flows.pacing`)."""
        with self._floor.held():
            return self._request(email)

    def _request(self, email: str) -> dict[str, Any]:
        answer = {"status": "code_sent"}
        subject = self._subject(email)
        if not self._throttle.allow(f"login_code:{subject}"):
            return answer
        account = self._accounts.get_by_email(email)
        if account is None:
            self._mailer.send(messages.email("login_code_unknown", email.strip(), "en",
                                             signup_link=f"{self._s.public_base_url}/ui/signup"))
            return answer
        issued = self._codes.start(subject, {"account_id": account.id})
        # While the live code is exhausted nothing new starts: the lockout ends when it expires.
        if issued is not None:
            self._codes.channel.send("login_code", account.email, account.locale, code=issued.code)
        return answer

    def verify(self, email: str, code: str, *, user_agent: str = "", previous_token: str | None = None
               ) -> LoginOutcome:
        done = self._codes.check(self._subject(email), code)
        account = self._accounts.get(done.data["account_id"]) if done else None
        if account is None:
            raise InvalidCodeError()
        account = self._prove_email(account)
        token, session = self._sessions.start(account, methods=("email_code",), user_agent=user_agent,
                                              previous_token=previous_token)
        return LoginOutcome(token, login_result(account, session), account)

    def _prove_email(self, account: Account) -> Account:
        """The code reached the mailbox: the address is the account's, whatever `verify_email` said."""
        for _ in range(3):  # a concurrent save (a session's last_seen, a profile edit) is retried
            if account.email_verified:
                return account
            try:
                return self._accounts.save(account.evolve(email_verified=True))
            except ConditionFailedError:
                account = self._accounts.get(account.id) or account
        return account


class PasskeyLogin:
    def __init__(self, accounts: AccountRepository, webauthn: WebAuthnStrategy, sessions: SessionService) -> None:
        self._accounts, self._webauthn, self._sessions = accounts, webauthn, sessions

    def options(self) -> tuple[str, dict[str, Any]]:
        return self._webauthn.login_options()

    def login(self, challenge_id: str | None, credential: Any, *, user_agent: str = "",
              previous_token: str | None = None) -> LoginOutcome:
        account = self._accounts.get(self._webauthn.login(challenge_id, credential))
        if account is None:
            raise InvalidCredentialsError()
        token, session = self._sessions.start(account, methods=("passkey",), user_agent=user_agent,
                                              previous_token=previous_token, aal=2)
        return LoginOutcome(token, login_result(account, session), account)
