"""Unification at scale: import, plan, schedule, notify and apply N legacy accounts on moto.

    python -m tests.bench.unification --accounts 100000

starts its own local stack (what `make run` starts: moto, the resources, the API), writes N
generated accounts (one per row of DESIGN.md's table, in turn, every legacy hash format) to a
JSON Lines file, and runs the operator's commands on it as an operator would, each with
`--stats`: `legacy import`, `unify plan`, `unify schedule`, `notify run`, `unify run`. Then a
unified account signs in over HTTP. It reports, per command, accounts per second, peak memory
(RSS) and AWS calls, and AWS calls per 1,000 accounts notified. `make bench` runs it small; the
e2e tests use `generate_lines` for their own legacy accounts.
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
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, seconds: float, stack: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:
            if stack.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the local stack did not start ({url})") from None
            time.sleep(0.2)


def _command(env: dict[str, str], *argv: str) -> dict[str, Any]:
    """Run one `gatehouse --stats ...` as an operator would; its JSON result and its stats."""
    gatehouse = str(Path(sys.executable).with_name("gatehouse"))
    done = subprocess.run([gatehouse, "--stats", *argv], env=env, capture_output=True, text=True, check=False)
    stats = next((json.loads(line[len("stats: "):]) for line in done.stderr.splitlines()
                  if line.startswith("stats: ")), None)
    if done.returncode not in (0, 1) or stats is None:
        raise RuntimeError(f"gatehouse {' '.join(argv)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return {"result": json.loads(done.stdout.splitlines()[-1]), **stats}


def measure_unification(n: int, prefix: str | None = None) -> dict[str, Any]:
    """Unify `n` generated accounts on a fresh local stack (`make run`'s), through the operator's
    commands; then sign in over HTTP with one unified account. Figures per command, as a dict."""
    from gatehouse.local.state import stack_env

    port, moto_port = _free_port(), _free_port()
    stack = subprocess.Popen([sys.executable, "-m", "gatehouse.local", "serve", "--quiet", "--port", str(port),
                              "--moto-port", str(moto_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    prefix = prefix or f"bench{time.time_ns() % 10**8}"
    try:
        _wait(f"http://127.0.0.1:{port}/health", 120, stack)
        env = {**os.environ, **stack_env(port, moto_port)}
        with tempfile.TemporaryDirectory() as tmp:
            legacy, report = Path(tmp, "legacy.jsonl"), Path(tmp, "plan.jsonl")
            with legacy.open("w", encoding="utf-8") as out:
                out.writelines(generate_lines(n, prefix))
            at = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            steps = {
                "import": _command(env, "legacy", "import", str(legacy)),
                "plan": _command(env, "unify", "plan", "--report", str(report)),
                "schedule": _command(env, "unify", "schedule", "--wave", prefix, "--at", at),
                "notify": _command(env, "notify", "run"),
                "apply": _command(env, "unify", "run"),
            }
            status = _command(env, "unify", "status")["result"].get(prefix)
        signed_in = _sign_in(port, email_of(prefix, 0))
    finally:
        stack.terminate()
        try:
            stack.wait(timeout=20)
        except subprocess.TimeoutExpired:
            stack.kill()
    announced = steps["notify"]["result"]["announced"]
    return {
        "accounts": n, "records": steps["import"]["result"]["new"],
        "planned": steps["plan"]["result"]["accounts"], "announced": announced,
        "completed": steps["apply"]["result"]["completed"], "signed_in_after": signed_in,
        "conflicts": steps["apply"]["result"]["conflicts"][:20], "status_after": status,
        "accounts_per_second": {k: round(n / v["seconds"], 1) for k, v in steps.items()},
        "seconds": {k: v["seconds"] for k, v in steps.items()},
        "peak_rss_mib": {k: v["peak_rss_mib"] for k, v in steps.items()},
        "aws_calls_per_1000_notified": round(steps["notify"]["aws_calls"] * 1000 / max(announced, 1), 1),
        "aws_calls_per_1000_applied": round(steps["apply"]["aws_calls"] * 1000
                                            / max(steps["apply"]["result"]["completed"], 1), 1),
        "aws_calls_by_operation": {k: v["aws_calls_by_operation"] for k, v in steps.items()},
    }


def _sign_in(port: int, email: str) -> bool:
    """A unified account (case "linked": Scaleway password kept) signs in over HTTP."""
    body = json.dumps({"email": email, "password": PASSWORD}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/login", data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Origin": f"http://localhost:{port}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return bool(r.status == 200)
    except urllib.error.HTTPError:
        return False


def rows(m: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The bench table's rows for one measured unification."""
    n = f"{m['accounts']:,} accounts ({m['records']:,} records)"
    out = [(f"unification, {m['accounts']:,}", f"gatehouse {COMMANDS[step]}", f"{rate:,.0f} accounts/s",
            f"{m['seconds'][step]:,.1f} s for {n}; peak RSS {m['peak_rss_mib'][step]:.0f} MiB; "
            f"{sum(m['aws_calls_by_operation'][step].values()):,} AWS calls")
           for step, rate in m["accounts_per_second"].items()]
    notify, apply = m["aws_calls_by_operation"]["notify"], m["aws_calls_by_operation"]["apply"]
    out.append((f"unification, {m['accounts']:,}", "AWS calls per 1,000 accounts notified",
                f"{m['aws_calls_per_1000_notified']:,.0f}",
                f"{m['announced']:,} announced; " + ", ".join(f"{k} {v:,}" for k, v in sorted(notify.items()))
                + " (the local outbox's BatchWriteItem included: 1 per 25 emails)"))
    out.append((f"unification, {m['accounts']:,}", "AWS calls per 1,000 accounts applied",
                f"{m['aws_calls_per_1000_applied']:,.0f}",
                f"{m['completed']:,} completed; " + ", ".join(f"{k} {v:,}" for k, v in sorted(apply.items()))
                + f"; a unified account signs in after: {'yes' if m['signed_in_after'] else 'NO'}"))
    return out


COMMANDS = {"import": "legacy import", "plan": "unify plan", "schedule": "unify schedule",
            "notify": "notify run", "apply": "unify run"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.unification")
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--markdown", action="store_true", help="print the bench table's rows, not JSON")
    args = parser.parse_args(argv)
    measured = measure_unification(args.accounts)
    if args.markdown:
        for row in rows(measured):
            print("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    else:
        print(json.dumps(measured, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
