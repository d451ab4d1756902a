"""The `code` strategy (Kratos'): a one-time code of digits, sent by a channel (email or SMS), checked
against one verification process (`domain.verification`). One class serves the email sign-in
code, the SMS password reset and the phone verification; each is one instance built in bootstrap,
and `CodeRecovery` and `EmailCodeLogin` are the recovery and login flows' views of it.

Codes are HMACs under the server's code pepper, bound to the purpose and the process's key: 10^6
to 10^8 codes are guessable offline from anything the item holds, so only the pepper, which the
table never holds unwrapped, makes a dump of the stored digests useless. Each attempt is one
conditional write: a wrong code counts one failure, a right one consumes the process, so racing
guesses all count and racing right answers have one winner.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from gatehouse import messages
from gatehouse.domain.accounts import normalise_email
from gatehouse.domain.login import Claimant, FirstFactor
from gatehouse.domain.secrets import code_message, digest, new_numeric_code, same
from gatehouse.domain.verification import Verification
from gatehouse.errors import GatehouseError, InvalidCodeError
from gatehouse.ports import AccountRepository, Clock, CodePepper, Mailer, SmsSender, VerificationStore
from gatehouse.strategies.recovery import Claim, Start


class Channel(Protocol):
    def send(self, message: str, to: str, locale: str, **values: Any) -> None: ...


class EmailChannel:
    def __init__(self, mailer: Mailer) -> None:
        self._mailer = mailer

    def send(self, message: str, to: str, locale: str, **values: Any) -> None:
        self._mailer.send(messages.email(message, to, locale, **values))


class SmsChannel:
    def __init__(self, sms: SmsSender) -> None:
        self._sms = sms

    def send(self, message: str, to: str, locale: str, **values: Any) -> None:
        self._sms.send(messages.sms(message, to, locale, **values))


@dataclass(frozen=True)
class Issued:
    code: str
    process: Verification


@dataclass(frozen=True)
class Attempt:
    """A checked code: `process` when it was right (not yet consumed), else the tries left (0: dead)."""

    process: Verification | None
    digest: str
    remaining: int


class CodeStrategy:
    def __init__(self, store: VerificationStore, clock: Clock, pepper: CodePepper, channel: Channel, *,
                 purpose: str, digits: int, ttl_seconds: int, max_failures: int) -> None:
        self._store, self._clock, self._pepper, self.channel = store, clock, pepper, channel
        self.purpose, self.ttl_seconds = purpose, ttl_seconds
        self._digits, self._max = digits, max_failures

    def _digest(self, key: str, code: str) -> str:
        return self._pepper.hmac(code_message(f"{self.purpose}:{key}", code))

    def _process(self, subject: str, digest: str | None, now: datetime, flow_id: str,
                 data: Mapping[str, Any]) -> Verification:
        return Verification(purpose=self.purpose, subject=subject, digest=digest,
                            expires_at=now + timedelta(seconds=self.ttl_seconds), max_failures=self._max,
                            data=dict(data), id=flow_id)

    def start(self, subject: str, data: Mapping[str, Any], *, flow_id: str = "",
              now: datetime | None = None) -> Issued | None:
        """A new process for `subject` replacing its older one (whose failures it keeps); the code
        to send, or None when nothing started (the live one is exhausted, or a racing start won)."""
        now = now or self._clock.now()
        code = new_numeric_code(self._digits)
        stored = self._store.start(self._process(subject, self._digest(flow_id or subject, code), now, flow_id,
                                                 data), now)
        return Issued(code, stored) if stored is not None else None

    def placeholder(self, flow_id: str, now: datetime) -> None:
        """A process nobody can complete, for a request that sends nothing: its id looks like any other."""
        self._store.create(self._process("-", None, now, flow_id, {}))

    def attempt(self, key: str, code: str, *, now: datetime | None = None, needs: str = "") -> Attempt:
        """Check `code` without consuming the process; a wrong one counts a failure. With `needs`,
        only a process whose data holds that field can be proven (an unknown account's never is)."""
        now = now or self._clock.now()
        offered = self._digest(key, "".join(code.split()))
        current = self._store.get(self.purpose, key, now)
        if current is None or current.exhausted:
            return Attempt(None, offered, 0)
        if current.digest and same(offered, current.digest) and (not needs or current.data.get(needs)):
            return Attempt(current, offered, current.max_failures - current.failures)
        failed = self._store.fail(self.purpose, key, now)
        return Attempt(None, offered, 0 if failed is None else max(0, failed.max_failures - failed.failures))

    def complete(self, key: str, digest: str, now: datetime | None = None) -> Verification | None:
        return self._store.complete(self.purpose, key, digest, now or self._clock.now())

    def check(self, key: str, code: str) -> Verification | None:
        """Check and consume at once: the completed process when `code` is right, else None."""
        now = self._clock.now()
        tried = self.attempt(key, code, now=now)
        return self.complete(key, tried.digest, now) if tried.process is not None else None


messages.register("reset_sms_code", {
    "en": ("", "Gatehouse: your password reset code is $code (valid $minutes min). This code is not a password: "
               "never give it to anyone; no one from Scaleway or Dedibox will ever ask for it."),
    "fr": ("", "Gatehouse : votre code de réinitialisation du mot de passe est $code (valable $minutes min). Ce "
               "code n'est pas un mot de passe : ne le donnez à personne ; Scaleway et Dedibox ne vous le "
               "demanderont jamais."),
})


class CodeRecovery:
    """Password recovery by a code (6 digits to the account's phone): the recovery flow's view of a
    `CodeStrategy`. A resend starts a new flow (a new id, so ids never tell two requests for one
    account apart) that inherits the failures of the subject's previous live one; while that one
    is exhausted, a resend sends nothing."""

    invalid = InvalidCodeError
    proves_email = False

    def __init__(self, codes: CodeStrategy, *, name: str = "sms", message: str = "reset_sms_code") -> None:
        self._codes, self.name, self._message = codes, name, message

    def start(self, request: Start) -> None:
        account, now = request.account, request.now
        # Unknown keys go through the same reads and writes (their subject is a digest of the key),
        # so the only difference left is the message, which is never sent for them.
        issued = self._codes.start(request.subject, {"account_id": account.id} if account else {},
                                   flow_id=request.flow_id, now=now)
        if issued is None:
            # Exhausted, or a concurrent request for the same subject won (it sends the code).
            self.placeholder(request.flow_id, now)
            return
        if issued.process.exhausted or account is None or not account.phone:
            return
        self._codes.channel.send(self._message, account.phone, account.locale, code=issued.code,
                                 minutes=self._codes.ttl_seconds // 60)

    def placeholder(self, flow_id: str, now: datetime) -> None:
        self._codes.placeholder(flow_id, now)

    def check(self, proof: Mapping[str, str], now: datetime) -> Claim:
        flow_id = proof["flow_id"]
        tried = self._codes.attempt(flow_id, proof["code"], now=now, needs="account_id")
        if tried.process is not None:
            return Claim(account_id=str(tried.process.data["account_id"]), ref=flow_id, digest=tried.digest)
        if tried.remaining == 0:
            raise _dead()
        raise InvalidCodeError(attempts_remaining=tried.remaining)

    def consume(self, claim: Claim, now: datetime) -> bool:
        return self._codes.complete(claim.ref, claim.digest, now) is not None


def _dead() -> InvalidCodeError:
    return InvalidCodeError("This code can no longer be used. Ask for a new one in a few minutes, or reset your "
                            "password by email.", attempts_remaining=0)



def login_code_subject(email: str) -> str:
    """The sign-in code's subject: a digest of the normalised address, never the address itself."""
    return digest(normalise_email(email))


class EmailCodeLogin:
    """The email code first factor (`/login/code/verify`): the code `flows.code_login` mailed. It
    proves only the mailbox, so an account with a second factor still gets `mfa_required`."""

    method = "email_code"

    def __init__(self, accounts: AccountRepository, codes: CodeStrategy) -> None:
        self._accounts, self._codes = accounts, codes

    def claimant(self, answer: Mapping[str, Any]) -> Claimant:
        return Claimant()  # the code's own process counts the failures

    def prove(self, claimant: Claimant, answer: Mapping[str, Any]) -> FirstFactor | None:
        done = self._codes.check(login_code_subject(str(answer["email"])), str(answer["code"]))
        account = self._accounts.get(done.data["account_id"]) if done else None
        return FirstFactor(account, self.method, proves_email=True) if account is not None else None

    def invalid(self) -> GatehouseError:
        return InvalidCodeError()
