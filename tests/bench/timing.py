"""Known versus unknown keys, timed: does the time of an answer tell whether an account exists?

Each anonymous route that takes a key (an email, a domain) runs 30 interleaved pairs (the password
login 150, CASE_PAIRS) through the real Chalice app against an in-process moto server, with the
stage's real floors (they sleep):
one request for a key that names an account, one for a key that does not, in alternating order
so that a drift of the machine falls on both sides alike. Every request uses a fresh key (a new
account or a new unknown address), so no per-key message throttle turns a pair into two silent
answers. The row gives both medians and their difference; the target is under 5 ms.

`python -m tests.bench.timing [--pairs N] [/login/code ...]` prints the rows alone, of every route
or of those named (the whole `make bench` takes minutes).
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from typing import Any

from tests.bench.run import BASE, PASSWORD, Browser, Row, moto_stack

PAIRS = 30
# Routes timed over more pairs than PAIRS in `make bench` (issue 14: the login over 150).
CASE_PAIRS = {"POST /login": 150}
TARGET_MS = 5.0


def _accounts(c: Any, n: int, tag: str) -> list[Any]:
    """`n` accounts, each with a domain alias; one hash for all (the hash is not what is timed)."""
    from gatehouse.domain.accounts import Account
    from gatehouse.domain.secrets import new_id

    password_hash = c.hasher.hash(PASSWORD)
    made = []
    for _ in range(n):
        account_id = new_id("acc")
        account = Account(id=account_id, email=f"{tag}-{account_id}@example.com", created_at=c.clock.now(),
                          password_hash=password_hash, email_verified=True, phone="+33612345678")
        c.accounts.add(account, aliases={"domain": [f"{account_id}.example"]})
        made.append(account)
    return made


def _nobody(tag: str) -> str:
    return f"{tag}-nobody-{time.monotonic_ns()}"


# One route each: (name, path, body for a known account, body for an unknown key, expected status).
Case = tuple[str, str, Callable[[Any], dict[str, Any]], Callable[[str], dict[str, Any]], int]
CASES: list[Case] = [
    # A known email with a wrong password against an unknown email: both hash, both count a failure.
    ("POST /login", "/login",
     lambda a: {"email": a.email, "password": "not the password"},
     lambda n: {"email": f"{n}@example.com", "password": "not the password"}, 401),
    ("POST /password/reset/email", "/password/reset/email",
     lambda a: {"email": a.email}, lambda n: {"email": f"{n}@example.com"}, 202),
    ("POST /login/code", "/login/code",
     lambda a: {"email": a.email}, lambda n: {"email": f"{n}@example.com"}, 202),
    ("POST /signup", "/signup",
     lambda a: {"email": a.email, "password": PASSWORD}, lambda n: {"email": f"{n}@example.com", "password": PASSWORD},
     202),
    ("POST /recovery-requests", "/recovery-requests",
     lambda a: {"domain": a.id + ".example", "new_email": "new-" + a.email, "postal_address": "1 rue du Port",
                "phone": "+33612345678"},
     lambda n: {"domain": f"{n}.example", "new_email": f"new-{n}@example.com", "postal_address": "1 rue du Port",
                "phone": "+33612345678"}, 202),
]


@contextmanager
def _app_client() -> Iterator[Any]:
    """The app imported once moto_stack has set the environment (metrics off), when run alone."""
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        yield client


def measure_timing(pairs: int = PAIRS, cases: list[Case] | None = None) -> list[tuple[str, list[float], list[float]]]:
    """(route, known milliseconds, unknown milliseconds) for each case, `pairs` of each."""
    results = []
    # Powertools prints its metrics (EMF) on stdout every 100 data points: keep the table readable.
    with moto_stack() as c, _app_client() as client, redirect_stdout(io.StringIO()):
        # Silent throttles would turn both sides into the same short path: lift them for the bench
        # (before the flows are built: they read their limits once).
        c.settings = c.settings.with_overrides(reset_messages_per_account=10**6, reset_messages_per_ip=10**6,
                                               recovery_requests_per_ip=10**6, ip_failures_per_window=10**6)
        for name, path, known_body, unknown_body, status in cases or CASES:
            n = CASE_PAIRS.get(name, pairs) if pairs == PAIRS else pairs
            tag = path.strip("/").replace("/", "-")
            accounts = _accounts(c, n + 1, tag)

            def timed(body: dict[str, Any], name: str = name, path: str = path, status: int = status) -> float:
                started = time.perf_counter()
                r = Browser(client).call("POST", path, body, headers={"Origin": BASE})
                elapsed = (time.perf_counter() - started) * 1000
                assert r.status_code == status, f"{name}: {r.status_code} {r.body!r}"
                return elapsed

            timed(known_body(accounts[-1]))  # warm up: the first call builds the flow and its clients
            timed(unknown_body(_nobody(tag)))
            known: list[float] = []
            unknown: list[float] = []
            for i in range(n):
                first_known = i % 2 == 0
                for is_known in (first_known, not first_known):
                    if is_known:
                        known.append(timed(known_body(accounts[i])))
                    else:
                        unknown.append(timed(unknown_body(_nobody(tag))))
            results.append((name, known, unknown))
    return results


def rows(measured: list[tuple[str, list[float], list[float]]]) -> list[Row]:
    out: list[Row] = []
    for name, known, unknown in measured:
        a, b = statistics.median(known), statistics.median(unknown)
        verdict = "within" if abs(a - b) < TARGET_MS else "**over**"
        out.append(("timing", f"{name} known vs unknown", f"median {a:.1f} ms vs {b:.1f} ms",
                    f"difference {abs(a - b):.1f} ms over {len(known)} interleaved pairs "
                    f"({verdict} the {TARGET_MS:.0f} ms target)"))
    return out


def main(argv: list[str]) -> int:
    import logging

    from tests.bench.run import table

    logging.disable(logging.WARNING)
    pairs = int(argv[argv.index("--pairs") + 1]) if "--pairs" in argv else PAIRS
    paths = [a for a in argv if a.startswith("/")]
    print(table(rows(measure_timing(pairs, [case for case in CASES if not paths or case[1] in paths]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
