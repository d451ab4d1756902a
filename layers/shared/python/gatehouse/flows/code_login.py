"""Asking for a sign-in code by email (`/login/code`). Signing in with it is the login flow's
`email_code` strategy (`strategies.code.EmailCodeLogin`), over the same verification process."""

from __future__ import annotations

from typing import Any

from gatehouse import messages
from gatehouse.flows.pacing import ResponseFloor
from gatehouse.flows.throttle import MessageThrottle
from gatehouse.ports import AccountRepository, Mailer
from gatehouse.settings import Settings
from gatehouse.strategies.code import CodeStrategy, login_code_subject

messages.register("login_code", {
    "en": ("Your sign-in code", "Your Gatehouse sign-in code is $code\n\nIt works once, within $minutes minutes. "
           "If you did not ask for it, ignore this email: nobody can sign in without it."),
    "fr": ("Votre code de connexion", "Votre code de connexion Gatehouse est $code\n\nIl fonctionne une fois, "
           "dans les $minutes minutes. Si vous ne l'avez pas demandé, ignorez cet e-mail : personne ne peut se "
           "connecter sans lui."),
})
messages.register("login_code_unknown", {
    "en": ("Sign-in attempt", "Someone asked for a sign-in code for this address, but no Gatehouse account uses "
           "it. If this was you, you may have signed up with another address, or create an account: $signup_link"),
    "fr": ("Tentative de connexion", "Quelqu'un a demandé un code de connexion pour cette adresse, mais aucun "
           "compte Gatehouse ne l'utilise. Si c'était vous, vous vous êtes peut-être inscrit avec une autre adresse, "
           "ou créez un compte : $signup_link"),
})


class CodeLogin:
    def __init__(self, accounts: AccountRepository, codes: CodeStrategy, mailer: Mailer, throttle: MessageThrottle,
                 settings: Settings, floor: ResponseFloor | None = None) -> None:
        self._accounts, self._codes = accounts, codes
        self._mailer, self._throttle, self._s = mailer, throttle, settings
        # A known address stores a code that an unknown one does not: the floor hides that.
        self._floor = floor or ResponseFloor(0)

    def request(self, email: str) -> dict[str, Any]:
        """The same answer whatever happens: known or unknown address, throttled or not; and the
        same time, every path held to one floor (`flows.pacing`)."""
        with self._floor.held():
            return self._request(email)

    def _request(self, email: str) -> dict[str, Any]:
        answer = {"status": "code_sent"}
        subject = login_code_subject(email)
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
            self._codes.channel.send("login_code", account.email, account.locale, code=issued.code,
                                     minutes=self._s.login_code_seconds // 60)
        return answer
