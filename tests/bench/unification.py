"""Unification at scale: import, plan, schedule, notify and apply N legacy accounts on moto.

    python -m tests.bench.unification --accounts 100000

starts its own moto server (the local stage's AWS), provisions it, and runs the real flows
in-process, counting every AWS call. It reports accounts per second for import + plan + apply and
AWS calls per 1,000 accounts notified. The benchmark runner (tests/bench/run.py) calls
`measure_unification(n)`; the e2e tests use `generate_lines` for their own legacy accounts.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from functools import cache
from typing import Any

PASSWORD = "unify these accounts 42"
TOTP_SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
API_SECRET = "legacy-api-secret"
# One unified account per row of DESIGN.md's table (+ a link after the cutoff, + a lone S).
CASES = ("linked", "linked_late", "same_email", "dedibox_only", "several_dedibox",
         "several_dedibox_with_scaleway", "scaleway_only")
FORMATS = ("bcrypt", "argon2id", "pbkdf2_sha256")


@cache
def hash_of(fmt: str) -> str:
    """A real hash of PASSWORD in each legacy format, computed once (hashing 100,000 would take hours)."""
    if fmt == "bcrypt":
        import bcrypt

        return bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    if fmt == "argon2id":
        from argon2 import PasswordHasher, Type

        return PasswordHasher(type=Type.ID, memory_cost=19456, time_cost=2).hash(PASSWORD)
    derived = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), b"benchsalt", 1000)
    return f"pbkdf2_sha256$1000$benchsalt${base64.b64encode(derived).decode()}"


def _d(prefix: str, n: int, suffix: str, email: str, **extra: Any) -> dict[str, Any]:
    legacy_id = f"dbx-{prefix}-{n}{suffix}"
    return {"console": "dedibox", "legacy_id": legacy_id, "identifier": f"{prefix}-{n}{suffix}", "email": email,
            "password_hash": hash_of(FORMATS[n // len(CASES) % 3]), "mfa": None, "phone": None,
            "domains": [f"{prefix}-{n}{suffix}.example"], "linked_scaleway_id": None, "linked_at": None,
            "resources": [{"id": f"srv-{prefix}-{n}{suffix}", "kind": "server", "name": "sd"}],
            "api_keys": [{"key_id": f"key-{prefix}-{n}{suffix}",
                          "secret_sha256": hashlib.sha256(API_SECRET.encode()).hexdigest()}], **extra}


def _s(prefix: str, n: int, email: str, **extra: Any) -> dict[str, Any]:
    return {"console": "scaleway", "legacy_id": f"scw-{prefix}-{n}", "email": email,
            "password_hash": hash_of("argon2id"), "mfa": None, **extra}


def email_of(prefix: str, n: int) -> str:
    return f"{prefix}-{n}@{'example.fr' if n % 2 else 'example.com'}"


def case_of(n: int) -> str:
    return CASES[n % len(CASES)]


def generate_lines(accounts: int, prefix: str) -> Iterator[str]:
    """JSON Lines for `accounts` unified accounts, cycling through CASES and hash formats, streamed."""
    for n in range(accounts):
        email, case = email_of(prefix, n), case_of(n)
        records: list[dict[str, Any]] = []
        if case == "linked":
            records = [_s(prefix, n, email), _d(prefix, n, "", f"old-{email}", linked_scaleway_id=f"scw-{prefix}-{n}",
                                                 linked_at="2025-09-01T10:00:00Z")]
        elif case == "linked_late":
            records = [_s(prefix, n, email), _d(prefix, n, "", f"old-{email}", linked_scaleway_id=f"scw-{prefix}-{n}",
                                                 linked_at="2025-11-01T10:00:00Z")]
        elif case == "same_email":
            records = [_s(prefix, n, email), _d(prefix, n, "", email, mfa={"type": "totp", "secret": TOTP_SEED})]
        elif case == "dedibox_only":
            mfa = {"type": "sms", "phone": "+33612345678"} if n % 2 else {"type": "totp", "secret": TOTP_SEED}
            records = [_d(prefix, n, "", email, mfa=mfa)]
        elif case == "several_dedibox":
            records = [_d(prefix, n, "a", email), _d(prefix, n, "b", email)]
        elif case == "several_dedibox_with_scaleway":
            records = [_s(prefix, n, email), _d(prefix, n, "a", email), _d(prefix, n, "b", email,
                                                                         linked_scaleway_id=f"scw-{prefix}-{n}",
                                                                         linked_at="2025-01-01T00:00:00Z")]
        else:
            records = [_s(prefix, n, email)]
        for r in records:
            yield json.dumps(r) + "\n"


def _on_dynamodb(calls: Counter[str]) -> int:
    singles = calls.get("PutItem", 0) + calls.get("UpdateItem", 0)
    return sum(calls.values()) - singles + -(-singles // 100)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure_unification(n: int, prefix: str | None = None) -> dict[str, Any]:
    """Run the whole unification of `n` accounts on a fresh moto server; figures as a dict."""
    port = _free_port()
    moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        os.environ.update({"GATEHOUSE_STAGE": "bench", "GATEHOUSE_AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                           "AWS_DEFAULT_REGION": "eu-west-3", "AWS_ACCESS_KEY_ID": "testing",
                           "AWS_SECRET_ACCESS_KEY": "testing"})
        from gatehouse import settings as settings_module
        from gatehouse.adapters import aws
        from gatehouse.bootstrap import Container
        from gatehouse.local.resources import provision

        config = settings_module.load()
        provision(config)
        c = Container(config)
        calls: Counter[str] = Counter()

        def count(**kwargs: Any) -> None:
            calls[kwargs["model"].name] += 1

        aws.on_api_call(count)
        prefix = prefix or f"bench{time.time_ns() % 10**8}"

        started = time.perf_counter()
        report = c.unification.import_lines(generate_lines(n, prefix))
        imported = time.perf_counter()
        planned = sum(1 for _ in c.unification.plan())
        plan_done = time.perf_counter()
        c.unification.schedule("bench", c.clock.now() - timedelta(minutes=1))
        scheduled = time.perf_counter()
        before = Counter(calls)
        announced = c.unification_notifier.run().announced
        notify_calls = calls - before
        notified = time.perf_counter()
        completed = c.unifier.run().completed
        applied = time.perf_counter()
        return {
            "accounts": n, "records": report.new, "unified_accounts": planned, "announced": announced,
            "completed": completed,
            "import_plan_apply_accounts_per_second": round(n / ((imported - started) + (plan_done - imported)
                                                                + (applied - notified)), 1),
            "import_seconds": round(imported - started, 2), "plan_seconds": round(plan_done - imported, 2),
            "schedule_seconds": round(scheduled - plan_done, 2), "notify_seconds": round(notified - scheduled, 2),
            "apply_seconds": round(applied - notified, 2),
            "aws_calls_per_1000_notified_on_moto": round(sum(notify_calls.values()) * 1000 / max(announced, 1), 1),
            # On moto, conditional writes go one by one (moto's transactions copy the whole table
            # per item); on DynamoDB the same writes go 100 to a TransactWriteItems call.
            "aws_calls_per_1000_notified": round(_on_dynamodb(notify_calls) * 1000 / max(announced, 1), 1),
            "notify_calls_by_operation": dict(notify_calls),
        }
    finally:
        moto.kill()
        moto.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.unification")
    parser.add_argument("--accounts", type=int, default=1000)
    args = parser.parse_args(argv)
    print(json.dumps(measure_unification(args.accounts), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
