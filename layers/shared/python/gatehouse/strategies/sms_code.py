"""The SMS code strategy of password recovery: 6 digits to the account's phone (SNS, transactional),
10 minutes, 5 wrong codes kill the flow, and a resend keeps the failure count.

The flow is allauth's verification process as explicit state: the code's HMAC under the server's
code pepper, bound to the flow id, `failed_attempts`, `max_attempts`, `expires_at`. A wrong code
is one conditional ADD, a right one a conditional delete, so racing guesses all count and racing
right answers have one winner.
A resend starts a new flow (a new id, so ids never tell two requests for one account apart) that
inherits the failures of the subject's previous live flow; while that one is exhausted, a resend
sends nothing, so the lockout ends when the dead flow expires and not later.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from gatehouse import messages
from gatehouse.domain.secrets import code_message, new_numeric_code, same
from gatehouse.errors import InvalidCodeError
from gatehouse.ports import CodePepper, RecoveryFlow, RecoveryFlowStore, SmsSender
from gatehouse.settings import Settings
from gatehouse.strategies.recovery import Claim, Start

CODE_DIGITS = 6

messages.register("reset_sms_code", {
    "en": ("", "Gatehouse: your password reset code is $code (valid $minutes min). This code is not a password: "
               "never give it to anyone; no one from Scaleway or Dedibox will ever ask for it."),
    "fr": ("", "Gatehouse : votre code de réinitialisation du mot de passe est $code (valable $minutes min). Ce "
               "code n'est pas un mot de passe : ne le donnez à personne ; Scaleway et Dedibox ne vous le "
               "demanderont jamais."),
})


class SmsCodeRecovery:
    name = "sms"
    invalid = InvalidCodeError
    proves_email = False

    def __init__(self, flows: RecoveryFlowStore, sms: SmsSender, settings: Settings, pepper: CodePepper) -> None:
        self._flows, self._sms, self._s, self._pepper = flows, sms, settings, pepper

    def _digest(self, flow_id: str, code: str) -> str:
        # Under the pepper: a 6-digit code bound only to its (stored) flow id falls to 10^6 guesses offline.
        return self._pepper.hmac(code_message(flow_id, code))

    def _expiry(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self._s.sms_code_seconds)

    def start(self, request: Start) -> None:
        account, now = request.account, request.now
        # Unknown keys go through the same reads and writes (their subject is a digest of the key),
        # so the only difference left is the SMS, which is never sent for them.
        previous_id = self._flows.latest_id(self.name, request.subject)
        previous = self._flows.get(previous_id, now) if previous_id else None
        if previous is not None and previous.exhausted:
            self.placeholder(request.flow_id, now)
            return
        code = new_numeric_code(CODE_DIGITS)
        flow = RecoveryFlow(id=request.flow_id, strategy=self.name, subject=request.subject,
                            expires_at=self._expiry(now), account_id=account.id if account else None,
                            code_digest=self._digest(request.flow_id, code),
                            max_attempts=self._s.recovery_max_attempts)
        stored = self._flows.replace(flow, previous_id, now)
        if stored is None:
            # A concurrent request for the same subject won: it sends the code, this one nothing.
            self.placeholder(request.flow_id, now)
            return
        if stored.exhausted or account is None or not account.phone:
            return
        self._sms.send(messages.sms("reset_sms_code", account.phone, account.locale, code=code,
                                    minutes=self._s.sms_code_seconds // 60))

    def placeholder(self, flow_id: str, now: datetime) -> None:
        self._flows.create(RecoveryFlow(id=flow_id, strategy=self.name, subject="-", expires_at=self._expiry(now),
                                        max_attempts=self._s.recovery_max_attempts))

    def check(self, proof: Mapping[str, str], now: datetime) -> Claim:
        flow_id = proof["flow_id"]
        flow = self._flows.get(flow_id, now)
        if flow is None or flow.strategy != self.name or flow.exhausted:
            raise _dead()
        offered = self._digest(flow_id, proof["code"].strip())
        if flow.code_digest and same(offered, flow.code_digest) and flow.account_id:
            return Claim(account_id=flow.account_id, ref=flow_id, digest=offered)
        # Unknown accounts' flows count wrong codes too: their flows behave exactly alike.
        count = self._flows.record_failure(flow_id, now)
        if count is None:
            raise _dead()
        remaining = max(0, flow.max_attempts - count)
        if remaining == 0:
            raise _dead()
        raise InvalidCodeError(attempts_remaining=remaining)

    def consume(self, claim: Claim, now: datetime) -> bool:
        return self._flows.complete(claim.ref, claim.digest, now) is not None


def _dead() -> InvalidCodeError:
    return InvalidCodeError("This code can no longer be used. Ask for a new one in a few minutes, or reset your "
                            "password by email.", attempts_remaining=0)
