"""AWS calls of the password reset flows, counted with `gatehouse.adapters.aws.on_api_call`.

`measure_reset_calls()` is what `make bench` (tests/bench/run.py) reports; `reset_call_breakdown`
gives each step's calls by `service.Operation`, which tests/unit/test_recovery_calls.py uses to
show that an unknown account costs the same DynamoDB calls as a known one.

Both run the real flows in-process against whatever AWS the settings point at: the bench's moto
server, or `moto.mock_aws()` in a test (the table, the SES identity and the code pepper must exist).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from gatehouse.settings import Settings

from tests.support.aws_calls import counter

PASSWORD = "a quiet harbour at dawn"
NEW_PASSWORD = "seven lanterns over the bay"


class _Keeping:
    """The real SES / SNS adapter, keeping what it sent so the bench can read links and codes."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.sent = inner, []  # type: list[Any]

    def send(self, message: Any) -> None:
        self.inner.send(message)
        self.sent.append(message)


def reset_call_breakdown(settings: Settings | None = None) -> dict[str, Counter[str]]:
    """Each reset step once, for known and unknown keys alike: its AWS calls by operation."""
    from gatehouse import settings as settings_module
    from gatehouse.adapters.delivery import SesMailer, SnsSms
    from gatehouse.bootstrap import Container
    from gatehouse.clock import SystemClock
    from gatehouse.domain.accounts import Account
    from gatehouse.domain.secrets import new_id
    from gatehouse.flows.recovery import Lookup

    # The bench measures the unthrottled path: with the real caps, its ninth request would be silent.
    settings = (settings or settings_module.load()).with_overrides(reset_messages_per_account=1000,
                                                                   reset_messages_per_ip=1000)
    mailer, sms = _Keeping(SesMailer(settings)), _Keeping(SnsSms(settings))
    # Not the local stage's outbox-recording mailer: deployed stages have no outbox write.
    c = Container(settings, mailer=mailer, sms=sms, clock=SystemClock())

    def make_account() -> Account:
        account_id = new_id("acc")
        account = Account(id=account_id, email=f"{account_id}@example.com", created_at=c.clock.now(),
                          password_hash=c.hasher.hash(PASSWORD), email_verified=True, phone="+33612345678")
        c.accounts.add(account, aliases={"domain": [f"{account_id}.example"], "legacy": [f"legacy-{account_id}"]})
        return account

    # One account per kind of key, so that each known request, like each unknown one, is its
    # account's first of the strategy (a resend also ends the previous flow: measured apart).
    by_email, by_domain, by_legacy, by_id = (make_account() for _ in range(4))
    _ = c.recovery  # built before counting: a warm Lambda has it already
    c.code_pepper.hmac("warm")  # unwrapped once per cold start (one GetItem, one kms.Decrypt): not per request
    hook, steps = counter(), {}

    def step(name: str, call: Any) -> Any:
        with hook.counting() as calls:
            try:
                result = call()
            except Exception as exc:  # a refused completion is a step too
                result = exc
        steps[name] = Counter(calls)
        return result

    def request(strategy: str, kind: str, value: str) -> Any:
        return lambda: c.recovery.request(strategy, Lookup(kind, value), ip="192.0.2.1")

    for strategy in ("email", "sms"):
        path = f"POST /password/reset/{strategy}"
        nobody = new_id("nobody")
        step(f"{path} (known email)", request(strategy, "email", by_email.email))
        step(f"{path} (unknown email)", request(strategy, "email", f"{nobody}@example.com"))
        step(f"{path} (known domain)", request(strategy, "domain", f"{by_domain.id}.example"))
        step(f"{path} (unknown domain)", request(strategy, "domain", f"{nobody}.example"))
        step(f"{path} (known legacy identifier)", request(strategy, "identifier", f"legacy-{by_legacy.id}"))
        step(f"{path} (unknown legacy identifier)", request(strategy, "identifier", nobody))
        step(f"{path} (known account id)", request(strategy, "identifier", by_id.id))
        step(f"{path} (unknown account id)", request(strategy, "identifier", f"acc_{nobody}"))
    account = by_email

    token = re.findall(r"token=([A-Za-z0-9_\-]+)", next(m.text for m in mailer.sent if m.to == account.email))[-1]
    step("POST /password/reset/email/complete", lambda: c.recovery.complete(
        "email", {"token": token}, NEW_PASSWORD))
    step("POST /password/reset/email/complete (used link)", lambda: c.recovery.complete(
        "email", {"token": token}, NEW_PASSWORD))

    flow_id = step("POST /password/reset/sms (resend)", request("sms", "email", account.email))
    code = re.findall(r"\b(\d{6})\b", sms.sent[-1].text)[-1]
    step("POST /password/reset/sms/complete (wrong code)", lambda: c.recovery.complete(
        "sms", {"flow_id": flow_id, "code": f"{(int(code) + 1) % 10**6:06d}"}, NEW_PASSWORD))
    step("POST /password/reset/sms/complete", lambda: c.recovery.complete(
        "sms", {"flow_id": flow_id, "code": code}, PASSWORD))
    return steps


def measure_reset_calls(settings: Settings | None = None) -> dict[str, int]:
    """AWS calls of one request of each reset step (for `make bench`)."""
    return {name: sum(calls.values()) for name, calls in reset_call_breakdown(settings).items()}


if __name__ == "__main__":
    for name, calls in reset_call_breakdown().items():
        print(f"{sum(calls.values()):3d}  {name}: {dict(sorted(calls.items()))}")
