"""The email link strategy of password recovery: a 256-bit token, stored hashed, 30 minutes,
single use, a newer link kills older ones. The link is a verification process (`domain.verification`)
like the codes, whose secret is 256 random bits instead of digits: the process of the subject
(`VERIFY#reset_email#<account id>`), holding the secret's SHA-256. The link names its process and
carries the secret (`<account id>-<64 hex digits>`), so a request is one write, which replaces the
subject's older link, and a completion one conditional delete. A wrong secret counts no failure:
2^256 secrets cannot be guessed, so it is simply not found. The link's host comes from configuration only
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
from gatehouse.domain.secrets import digest, link_token, new_link_secret, same, split_link
from gatehouse.domain.verification import Verification
from gatehouse.errors import InvalidTokenError
from gatehouse.ports import Mailer, OneTimeStore, VerificationStore
from gatehouse.settings import Settings
from gatehouse.strategies.recovery import Claim, Start

# A link issued before links were verification processes: a one-time item, read on a miss only,
# until the last of them expires (`email_link_seconds` after this deploys). Then drop it and `once`.
KIND = "recovery_link"
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
        secret = new_link_secret()
        expires_at = request.now + timedelta(seconds=self._s.email_link_seconds)
        data = {"flow_id": request.flow_id, **({"account_id": account.id} if account else {})}
        # Unknown keys store a link too (that nobody ever receives), so both cost the same write.
        # The process is its subject's: starting it replaces the older link. No failure is ever
        # counted on it (see `check`), so it is never exhausted and a start always lands.
        self._flows.start(Verification(purpose=PURPOSE, subject=request.subject, digest=digest(secret),
                                       expires_at=expires_at, max_failures=1, data=data), request.now)
        if account is not None:
            self._mailer.send(messages.email(
                "reset_link", account.email, account.locale, minutes=self._s.email_link_seconds // 60,
                link=f"{self._s.public_base_url}/ui/reset/complete?token={link_token(account.id, secret)}"))
        elif request.lookup.kind == "email":
            self._mailer.send(messages.email("reset_unknown", request.lookup.value, "en"))

    def placeholder(self, flow_id: str, now: datetime) -> None:
        # A throttled request writes once too, where a link would have been; nobody can complete it.
        self._flows.create(Verification(purpose=PURPOSE, subject="-", digest=None,
                                        expires_at=now + timedelta(seconds=self._s.email_link_seconds),
                                        max_failures=1, data={}, id=flow_id))

    def check(self, proof: Mapping[str, str], now: datetime) -> Claim:
        token = proof["token"]
        if (link := split_link(token)) is None:
            return self._check_issued_before(token, now)
        subject, secret = link
        process = self._flows.get(PURPOSE, subject, now)
        offered = digest(secret)
        if process is None or not process.digest or not same(offered, process.digest) or \
                not process.data.get("account_id"):
            raise InvalidTokenError()
        return Claim(account_id=str(process.data["account_id"]), ref=subject, digest=offered)

    def consume(self, claim: Claim, now: datetime) -> bool:
        if not claim.digest:
            return self._once.consume(KIND, claim.ref, now) is not None
        # One conditional delete: of racing completions of one link, one wins.
        return self._flows.complete(PURPOSE, claim.ref, claim.digest, now) is not None

    def _check_issued_before(self, token: str, now: datetime) -> Claim:
        key = digest(token)
        item = self._once.get(KIND, key, now)
        if item is None or not item.data.get("account_id"):
            raise InvalidTokenError()
        return Claim(account_id=str(item.data["account_id"]), ref=key)
