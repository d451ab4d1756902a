"""The AWS calls each main flow may make (issue 14), in one table: `make bench` prints each flow's
count beside its target, and tests/unit/test_call_targets.py fails when a count rises above its
ceiling.

A flow is one step of tests/bench/run.py's `measure_flow_calls` or tests/bench/recovery.py's
`reset_call_breakdown`, by name, or several steps counted together (a login and its second
factor). `target` is the causal minimum the issue asks for; `ceiling` is what the code reaches
today, the same number where the target is met, and `why` says what is left where it is not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

_RESET_KEYS = ("email", "domain", "legacy identifier", "account id")


@dataclass(frozen=True)
class Target:
    steps: tuple[str, ...]
    target: int
    ceiling: int
    why: str = ""


TARGETS: dict[str, Target] = {
    "POST /login": Target(("POST /login",), 2, 2),
    "POST /login (again, no failure before)": Target(("POST /login (again)",), 2, 2),
    "POST /login (wrong password)": Target(("POST /login (wrong password)",), 2, 2),
    "POST /login (unknown email)": Target(("POST /login (unknown email)",), 2, 2),
    "GET /session": Target(("GET /session",), 1, 1),
    "GET /consoles": Target(("GET /consoles",), 1, 5,
                            "the memberships, the grants and each context's resources are queries of their own"),
    "POST /consoles/select": Target(("POST /consoles/select",), 2, 2),
    "POST /consoles/exchange": Target(("POST /consoles/exchange",), 1, 1),
    "POST /login, then POST /mfa/verify (TOTP)": Target(("POST /login (TOTP enrolled)", "POST /mfa/verify (totp)"),
                                                        4, 6, "the factor and both counters are a second "
                                                        "BatchGetItem after the session's, and each verify unwraps "
                                                        "its seed with a KMS Decrypt"),
    **{f"POST /password/reset/email ({known} {kind})": Target((f"POST /password/reset/email ({known} {kind})",), 3, 5,
                                                              "the lookup is two reads (one for an account id); "
                                                              "the throttles are one write, the link (its "
                                                              "account's verification process) one more and the "
                                                              "mail SES's one call")
       for kind in _RESET_KEYS for known in ("known", "unknown")},
    "POST /password/reset/sms/complete": Target(("POST /password/reset/sms/complete",), 3, 6,
                                                "the flow and the account are read apart; the consumption, the "
                                                "password and the login throttle are three writes"),
}


def counted(target: Target, measured: Mapping[str, Counter[str]]) -> int | None:
    """The calls of the target's steps together; None when a step was not measured."""
    if any(step not in measured for step in target.steps):
        return None
    return sum(sum(measured[step].values()) for step in target.steps)
