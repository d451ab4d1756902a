"""The email link strategy of password recovery: a 256-bit token, stored hashed, 30 minutes,
single use, a newer link kills older ones. The link's host comes from configuration only
(`public_base_url`), never from the request's Host or X-Forwarded-Host: a forged header must not
send a victim's token to an attacker's site.

For an unknown email address we mail "no account here" (django-allauth's habit): the person who
typed it learns, in their own mailbox, that they used another address, and whoever did not own
the mailbox learns nothing from the HTTP answer. Unknown identifiers and domains have no mailbox
to write to, so nothing is sent for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from gatehouse import messages
from gatehouse.domain.one_time import OneTimeItem
from gatehouse.domain.secrets import digest, new_token
from gatehouse.domain.verification import Verification
from gatehouse.errors import InvalidTokenError
from gatehouse.ports import Mailer, OneTimeStore, VerificationStore
from gatehouse.settings import Settings
from gatehouse.strategies.recovery import Claim, Start

KIND = "recovery_link"
# The flow beside the link: what a throttled request stores too, so its id looks like any other.
PURPOSE = "reset_email"

messages.register("reset_link", {
    "en": ("Reset your password",
           "Someone, probably you, asked to reset the password of your Gatehouse account.\n\n"
           "Follow this link within $minutes minutes to choose a new password:\n$link\n\n"
           "The link works once, and a newer link replaces it. If you did not ask for this, ignore this "
           "email: your password stays as it is."),
    "fr": ("Réinitialisez votre mot de passe",
           "Quelqu'un, sans doute vous, a demandé à réinitialiser le mot de passe de votre compte Gatehouse.\n\n"
           "Suivez ce lien dans les $minutes minutes pour choisir un nouveau mot de passe :\n$link\n\n"
           "Le lien ne sert qu'une fois, et un lien plus récent le remplace. Si vous n'êtes pas à l'origine de "
           "cette demande, ignorez cet e-mail : votre mot de passe reste inchangé."),
})

# We do not know the language of someone without an account: the notice says it in both.
_UNKNOWN = ("No account uses this address / Aucun compte n'utilise cette adresse",
            "Someone, probably you, asked to reset a password for this address, but no Gatehouse account uses "
            "it. Perhaps your account uses another address: try it, or your account identifier or a domain "
            "name of yours. If you did not ask for this, ignore this email.\n\n"
            "Quelqu'un, sans doute vous, a demandé à réinitialiser un mot de passe pour cette adresse, mais "
            "aucun compte Gatehouse ne l'utilise. Votre compte utilise peut-être une autre adresse : essayez-la, "
            "ou votre identifiant de compte ou l'un de vos noms de domaine. Si vous n'êtes pas à l'origine de "
            "cette demande, ignorez cet e-mail.")
messages.register("reset_unknown", {"en": _UNKNOWN, "fr": _UNKNOWN})


class EmailLinkRecovery:
    name = "email"
    invalid = InvalidTokenError
    proves_email = True

    def __init__(self, once: OneTimeStore, flows: VerificationStore, mailer: Mailer, settings: Settings) -> None:
        self._once, self._flows, self._mailer, self._s = once, flows, mailer, settings

    def start(self, request: Start) -> None:
        account = request.account
        token = new_token()
        expires_at = request.now + timedelta(seconds=self._s.email_link_seconds)
        data = {"flow_id": request.flow_id, **({"account_id": account.id} if account else {})}
        # Unknown keys store a link too (that nobody ever receives), so both cost the same writes.
        self._once.replace_latest(OneTimeItem(kind=KIND, key=digest(token), subject=request.subject,
                                              expires_at=expires_at, data=data))
        self._flows.create(self._flow(request.flow_id, request.subject, expires_at, data))
        if account is not None:
            self._mailer.send(messages.email(
                "reset_link", account.email, account.locale, minutes=self._s.email_link_seconds // 60,
                link=f"{self._s.public_base_url}/ui/reset/complete?token={token}"))
        elif request.lookup.kind == "email":
            self._mailer.send(messages.email("reset_unknown", request.lookup.value, "en"))

    def placeholder(self, flow_id: str, now: datetime) -> None:
        self._flows.create(self._flow(flow_id, "-", now + timedelta(seconds=self._s.email_link_seconds), {}))

    def _flow(self, flow_id: str, subject: str, expires_at: datetime, data: Mapping[str, object]) -> Verification:
        # No digest: the secret is the link's one-time item, so this process never completes.
        return Verification(purpose=PURPOSE, subject=subject, digest=None, expires_at=expires_at,
                            max_failures=self._s.recovery_max_attempts, data=dict(data), id=flow_id)

    def check(self, proof: Mapping[str, str], now: datetime) -> Claim:
        key = digest(proof["token"])
        item = self._once.get(KIND, key, now)
        if item is None or not item.data.get("account_id"):
            raise InvalidTokenError()
        return Claim(account_id=str(item.data["account_id"]), ref=key)

    def consume(self, claim: Claim, now: datetime) -> bool:
        return self._once.consume(KIND, claim.ref, now) is not None
