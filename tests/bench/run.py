"""`make bench`: one markdown table, measured in one run, printed and written to reports/bench.md.

1. AWS calls per flow: each main flow once, in-process, through the real Chalice app (app.py)
   against an in-process moto server, counting every botocore call with `on_api_call`; then each
   main flow's count beside its target (tests/bench/targets.py, which tests/unit/test_call_targets.py
   enforces), and the steps of a known and an unknown key side by side.
2. Cold start per Lambda: modules imported by `functions.<flow>.lambda_function` in a fresh
   interpreter, how long that takes, and whether `webauthn` (or boto3) came along; then, from the
   packaged artifacts with only each function's own layers, import plus a first request, min and
   median over fresh processes (tests/bench/coldstart.py).
3. Artifact sizes from `build/` (`make package`), unzipped and zipped.
4. Login throughput against the cost of one argon2id hash with the configured parameters.
5. Unification through the operator's commands against a fresh local stack (tests/bench/unification.py):
   accounts per second and peak memory per command, AWS calls per 1,000 accounts notified.
6. Known versus unknown keys timed on the anonymous routes that take one (tests/bench/timing.py):
   medians over 30 interleaved pairs (the password login over 150); `python -m tests.bench.timing`
   runs this section alone.
7. CPU per request (tests/bench/cpu.py): this process's CPU per login against one argon2id verify
   and per GET /session, moto in another process, beside the django-allauth peer measured the same
   way in its own virtual environment (tests/bench/peer/); `python -m tests.bench.cpu` alone.

Each section is a function that returns its rows, so a unit test can run the cheap ones small.
"""

from __future__ import annotations

import io
import json
import os
import re
import statistics
import subprocess
import sys
import time
import zipfile
from base64 import b64encode
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.aws_calls import counter

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "shared" / "python"
REPORT = ROOT / "reports" / "bench.md"
BASE = "http://localhost:8000"
PASSWORD = "a quiet harbour at dawn"
NEW_PASSWORD = "the lighthouse keeper sleeps late"

for path in (str(ROOT), str(LAYER)):
    if path not in sys.path:
        sys.path.insert(0, path)

Row = tuple[str, str, str, str]
UNIFICATION_ACCOUNTS = 2000  # the 100,000 run takes ~25 min: `python -m tests.bench.unification --accounts 100000`


# --- 1. AWS calls per flow ------------------------------------------------------------------
@contextmanager
def moto_stack(endpoint: str | None = None) -> Iterator[Any]:
    """moto's server in this process (or the one at `endpoint`), the stage's resources in it, and a
    fresh container.

    The local stage would record every message in the outbox (one more DynamoDB write per email);
    the deployed stages do not, so the mailer and SMS sender here are the real SES and SNS
    adapters, wrapped to keep what was sent for the benchmark to read its links and codes.
    """
    from moto.server import ThreadedMotoServer

    from tests.e2e.conftest import free_port

    server = None
    if endpoint is None:
        port = free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        endpoint = f"http://127.0.0.1:{port}"
    saved = dict(os.environ)
    os.environ.update({
        "GATEHOUSE_STAGE": "local", "GATEHOUSE_AWS_ENDPOINT_URL": endpoint,
        "GATEHOUSE_PUBLIC_BASE_URL": BASE, "GATEHOUSE_ALLOWED_ORIGINS": BASE,
        "GATEHOUSE_TABLE_NAME": "gatehouse-bench", "AWS_DEFAULT_REGION": "eu-west-3",
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_METRICS_DISABLED": "true", "GATEHOUSE_LOG_LEVEL": "ERROR", "POWERTOOLS_LOG_LEVEL": "ERROR",
    })
    try:
        from gatehouse import settings as settings_module
        from gatehouse.adapters.delivery import SesMailer, SnsSms
        from gatehouse.bootstrap import container
        from gatehouse.local.resources import provision

        container.cache_clear()
        c = container()
        provision(c.settings)
        # Unwrapped once per cold start (a GetItem and a kms.Decrypt): warm, as for a warm Lambda.
        c.code_pepper.hmac("warm")
        sent: list[Any] = []
        c.mailer = _Keeping(SesMailer(c.settings), sent)
        c.sms = _Keeping(SnsSms(c.settings), sent)
        setattr(c, "bench_sent", sent)  # the container has no such slot: the bench adds one
        assert settings_module.load().aws_endpoint_url == endpoint
        yield c
    finally:
        from gatehouse.bootstrap import container

        container.cache_clear()
        os.environ.clear()
        os.environ.update(saved)
        if server is not None:
            server.stop()


class _Keeping:
    def __init__(self, inner: Any, sent: list[Any]) -> None:
        self._inner, self._sent = inner, sent

    def send(self, message: Any) -> None:
        self._inner.send(message)
        self._sent.append(message)


class Browser:
    """chalice.test.Client with a cookie jar of one cookie and our Origin, like the pages."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.cookie = ""

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        sent = {"Origin": BASE, "Content-Type": "application/json", "User-Agent": "bench", **(headers or {})}
        if self.cookie:
            sent["Cookie"] = self.cookie
        r = getattr(self.client.http, method.lower())(path, headers=sent,
                                                      body=json.dumps(body) if body is not None else b"")
        if cookie := r.headers.get("Set-Cookie"):
            self.cookie = cookie.split(";")[0]
        return r


def _last_token(c: Any) -> str:
    match = re.search(r"[?&]token=([A-Za-z0-9_\-]+)", c.bench_sent[-1].text)
    assert match, "no link in the last message"
    return match.group(1)


def _json(r: Any) -> Any:
    return json.loads(r.body) if r.body else None


def measure_flow_calls() -> list[tuple[str, int, Counter[str]]]:
    """Every main flow once, in order, through the app; (flow, status, calls) each."""
    from chalice.test import Client

    from app import app

    hook = counter()
    results: list[tuple[str, int, Counter[str]]] = []
    with moto_stack() as c, Client(app) as client:
        browser = Browser(client)
        email = f"bench-{time.monotonic_ns()}@example.com"

        def step(name: str, method: str, path: str, body: Any = None, expect: int = 200,
                 headers: dict[str, str] | None = None, who: Browser | None = None) -> Any:
            with hook.counting() as calls:
                r = (who or browser).call(method, path, body, headers)
            assert r.status_code == expect, f"{name}: {r.status_code} {r.body!r}"
            results.append((name, r.status_code, Counter(calls)))
            return r

        step("GET /ui/ (a page)", "GET", "/ui/")
        step("POST /signup", "POST", "/signup", {"email": email, "password": PASSWORD}, 202)
        step("POST /signup/verify", "POST", "/signup/verify", {"token": _last_token(c)})
        step("POST /signup (email taken, same answer)", "POST", "/signup",
             {"email": email, "password": PASSWORD}, 202)
        step("POST /login (wrong password)", "POST", "/login", {"email": email, "password": "wrong password!"}, 401,
             who=Browser(client))
        step("POST /login (unknown email)", "POST", "/login",
             {"email": "nobody-" + email, "password": PASSWORD}, 401, who=Browser(client))
        step("POST /login", "POST", "/login", {"email": email, "password": PASSWORD})
        step("GET /session", "GET", "/session")
        step("GET /consoles", "GET", "/consoles")
        code = _json(step("POST /consoles/select", "POST", "/consoles/select", {"console": "scaleway"}))[
            "redirect_url"].split("code=")[1]
        basic = "Basic " + b64encode(b"scaleway:local-scaleway-secret").decode()
        step("POST /consoles/exchange", "POST", "/consoles/exchange", {"code": code},
             headers={"Authorization": basic}, who=Browser(client))
        step("GET /account", "GET", "/account")
        step("PATCH /account", "PATCH", "/account", {"name": "Bench Mark"})
        made = _json(step("POST /api-keys", "POST", "/api-keys", {"name": "bench"}, 201))
        step("GET /api-keys", "GET", "/api-keys")
        step("POST /api-keys/verify", "POST", "/api-keys/verify", {"key_id": made["key_id"], "secret": made["secret"]},
             headers={"Authorization": basic}, who=Browser(client))
        step("DELETE /api-keys/{id}", "DELETE", f"/api-keys/{made['key_id']}", expect=204)
        step("POST /logout", "POST", "/logout", expect=204)
        step("POST /login (again)", "POST", "/login", {"email": email, "password": PASSWORD}, who=browser)
        if _has_route("/mfa/totp"):
            import pyotp

            step("GET /mfa", "GET", "/mfa")
            secret = _json(step("POST /mfa/totp", "POST", "/mfa/totp"))["secret"]
            totp = pyotp.TOTP(secret)
            step("POST /mfa/totp/confirm", "POST", "/mfa/totp/confirm",
                 {"code": totp.at(c.clock.now().timestamp())}, 201)
            browser.call("POST", "/logout")
            step("POST /login (TOTP enrolled)", "POST", "/login", {"email": email, "password": PASSWORD})
            c.clock.advance(30)  # a TOTP step is accepted once: the sign-in needs the next one
            step("POST /mfa/verify (totp)", "POST", "/mfa/verify",
                 {"method": "totp", "code": totp.at(c.clock.now().timestamp())})
        step("POST /password/change", "POST", "/password/change",
             {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, 204)
    return results


def _has_route(path: str) -> bool:
    from gatehouse.api.routing import ROUTES

    return any(r.path == path for r in ROUTES)


def measure_recovery_calls() -> list[tuple[str, int, Counter[str]]] | str:
    """The reset flows, measured by tests/bench/recovery.py where the recovery engineer wrote one."""
    try:
        from tests.bench import recovery  # type: ignore[attr-defined]
    except ImportError:
        return "tests/bench/recovery.py is not there yet"
    try:
        with moto_stack():
            breakdown = getattr(recovery, "reset_call_breakdown", None)
            measured = breakdown() if breakdown else recovery.measure_reset_calls()
    except Exception as exc:  # one broken section must not hide the others
        return f"failed: {type(exc).__name__}: {exc}"
    rows: list[tuple[str, int, Counter[str]]] = []
    for name, value in dict(measured).items():
        if isinstance(value, int):
            rows.append((name, 0, Counter({"(total)": value})))
        elif isinstance(value, tuple) and len(value) == 2:
            rows.append((name, int(value[0]), Counter(value[1])))
        else:
            rows.append((name, 0, Counter(value)))
    return rows


def _calls_rows(results: list[tuple[str, int, Counter[str]]]) -> list[Row]:
    rows = []
    for name, status, calls in results:
        detail = ", ".join(f"{op} x{n}" if n > 1 else op for op, n in sorted(calls.items())) or "none"
        rows.append(("AWS calls", name + (f" → {status}" if status else ""), str(sum(calls.values())), detail))
    return rows


def target_rows(steps: dict[str, Counter[str]]) -> list[Row]:
    """Each main flow's calls beside its target (tests/bench/targets.py)."""
    from tests.bench.targets import TARGETS, counted

    rows = []
    for flow, target in TARGETS.items():
        calls = counted(target, steps)
        if calls is None:
            rows.append(("AWS call target", flow, "-", "not measured"))
            continue
        verdict = "met" if calls <= target.target else f"**over**: {target.why}" if target.why else "**over**"
        rows.append(("AWS call target", flow, f"{calls} (target {target.target})", verdict))
    return rows


# Steps measured for a key that names an account and for one that does not: (what, known, unknown).
KNOWN_UNKNOWN = [("POST /login", "POST /login (wrong password)", "POST /login (unknown email)")] + [
    (f"POST /password/reset/{strategy} ({kind})", f"POST /password/reset/{strategy} (known {kind})",
     f"POST /password/reset/{strategy} (unknown {kind})")
    for strategy in ("email", "sms") for kind in ("email", "domain", "legacy identifier", "account id")]


def known_unknown_rows(steps: dict[str, Counter[str]]) -> list[Row]:
    """A known and an unknown key side by side: the same DynamoDB calls, or a timing leak."""
    def dynamo(calls: Counter[str]) -> Counter[str]:
        return Counter({op: n for op, n in calls.items() if op.startswith("dynamodb.")})

    rows = []
    for what, known, unknown in KNOWN_UNKNOWN:
        if known not in steps or unknown not in steps:
            continue
        a, b = steps[known], steps[unknown]
        same = "the same DynamoDB calls" if dynamo(a) == dynamo(b) else "**different DynamoDB calls**"
        delivery = "" if a == b else " (only the delivery differs: nothing is sent to nobody)" if dynamo(a) == dynamo(
            b) else ""
        rows.append(("AWS calls known vs unknown", what, f"{sum(a.values())} vs {sum(b.values())}",
                     f"{same}{delivery}: " + "; ".join(
                         ", ".join(f"{op} x{n}" if n > 1 else op for op, n in sorted(c.items())) for c in (a, b))))
    return rows


# --- 2. cold start --------------------------------------------------------------------------
_PROBE = """
import json, sys, time
before = set(sys.modules)
started = time.perf_counter()
import {module}
elapsed = (time.perf_counter() - started) * 1000
new = set(sys.modules) - before
print(json.dumps({{"modules": len(new), "ms": elapsed,
    "webauthn": any(m == "webauthn" or m.startswith("webauthn.") for m in new),
    "boto3": "boto3" in new, "argon2": "argon2" in new, "pydantic": "pydantic" in new,
    "jwt": any(m == "jwt" or m.startswith(("jwt.", "gatehouse.strategies.oidc")) for m in new)}}))
"""


def lambda_functions() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "functions").glob("*/lambda_function.py"))


def measure_cold_start(flow: str, repeats: int = 3) -> dict[str, Any]:
    """Modules and milliseconds to import one Lambda's handler module in a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(LAYER)]), "GATEHOUSE_STAGE": "local",
           "PYTHONDONTWRITEBYTECODE": "0"}
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", _PROBE.format(module=f"functions.{flow}.lambda_function")],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
        if out.returncode != 0:
            return {"error": (out.stderr.strip().splitlines() or ["?"])[-1]}
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["ms"])  # the least disturbed run; bytecode is cached after the first
    return {**best, "ms": best["ms"], "median_ms": statistics.median(r["ms"] for r in runs)}


def _cold_rows() -> list[Row]:
    rows = []
    for flow in lambda_functions():
        m = measure_cold_start(flow)
        if "error" in m:
            rows.append(("cold start", flow, "error", m["error"]))
            continue
        webauthn = "**webauthn**" if m["webauthn"] else "no webauthn"
        rows.append(("cold start", flow, f"{m['modules']} modules",
                     f"{m['ms']:.0f} ms (median {m['median_ms']:.0f}); {webauthn}; "
                     f"boto3 {'yes' if m['boto3'] else 'no'}; argon2 {'yes' if m['argon2'] else 'no'}; "
                     f"JWT/OIDC {'yes' if m['jwt'] else 'no'}"))
    return rows


# --- 3. artifact sizes ----------------------------------------------------------------------
def zipped_size(root: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                z.write(path, path.relative_to(root))
    return buffer.tell()


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MiB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KiB"


def artifact_rows(build: Path = ROOT / "build") -> list[Row]:
    manifest = build / "manifest.json"
    if not manifest.is_file():
        return [("artifact", "build/", "-", "no build/manifest.json: run `make package`")]
    data = json.loads(manifest.read_text())
    parts = [("layer", build / data["layer"]["path"], data["layer"]["bytes"])]
    parts += [(f"layer {name}", build / layer["path"], layer["bytes"]) for name, layer in data.get("layers", {}).items()
              if name != "shared"]
    parts += [(f"function {f['name']}", build / f["code_uri"], f["bytes"]) for f in data["functions"]]
    rows = []
    for name, path, unzipped in parts:
        zipped = zipped_size(path) if path.exists() else 0
        rows.append(("artifact", name, _size(unzipped), f"zipped {_size(zipped)}; {data['runtime']} {data['arch']}"))
    return rows


# --- 4. login throughput against one hash ---------------------------------------------------
def measure_hash(n: int, params: Any = None) -> float:
    """Seconds per argon2id hash with the configured (or given) parameters."""
    from gatehouse.settings import Settings
    from gatehouse.strategies.password import PasswordHasher

    hasher = PasswordHasher(params or Settings().argon2)
    hasher.hash(PASSWORD)  # warm up: the first call allocates
    started = time.perf_counter()
    for _ in range(n):
        hasher.hash(PASSWORD)
    return (time.perf_counter() - started) / n


def measure_logins(n: int) -> tuple[float, float]:
    """Seconds per successful POST /login through the app against moto, and AWS calls per login."""
    from chalice.test import Client

    from app import app

    with moto_stack() as c, Client(app) as client:
        email = f"bench-login-{time.monotonic_ns()}@example.com"
        browser = Browser(client)
        assert browser.call("POST", "/signup", {"email": email, "password": PASSWORD}).status_code == 202
        assert browser.call("POST", "/signup/verify", {"token": _last_token(c)}).status_code == 200
        assert Browser(client).call("POST", "/login", {"email": email, "password": PASSWORD}).status_code == 200
        hook = counter()
        with hook.counting() as calls:
            started = time.perf_counter()
            for _ in range(n):
                r = Browser(client).call("POST", "/login", {"email": email, "password": PASSWORD})
                assert r.status_code == 200, r.body
            elapsed = time.perf_counter() - started
        return elapsed / n, sum(calls.values()) / n


def throughput_rows(n: int = 20) -> list[Row]:
    from gatehouse.settings import Settings

    p = Settings().argon2
    per_hash = measure_hash(n)
    per_login, calls = measure_logins(n)
    per_call = (per_login - per_hash) / calls if calls else 0.0
    return [
        ("password hash", f"argon2id m={p.memory_kib} KiB, t={p.time_cost}, p={p.parallelism}",
         f"{per_hash * 1000:.1f} ms", f"{1 / per_hash:.1f} hashes/s on one core, n={n}"),
        ("login throughput", "POST /login, one process, in-process moto",
         f"{1 / per_login:.1f} logins/s", f"{per_login * 1000:.1f} ms each; login ÷ hash = "
                                          f"{per_login / per_hash:.2f} (1 means the hash is the whole cost); "
                                          f"the rest is {calls:.0f} AWS calls of ~{per_call * 1000:.1f} ms to moto "
                                          f"and the app itself"),
    ]


NOTES = """
Notes: AWS calls are counted in-process against moto through the real Chalice app, with the SES
and SNS adapters of the deployed stages (the local stage also writes each message to the outbox).
On a deployed stage the first /consoles/exchange of a cold start adds one
secretsmanager.GetSecretValue (the console secrets are read once per cold start). Cold-start
imports are those of `functions.<flow>.lambda_function`; boto3 and argon2 load on first use.
"""


# --- the table ------------------------------------------------------------------------------
def table(rows: list[Row]) -> str:
    lines = ["| measure | what | value | detail |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _section(name: str, make: Callable[[], list[Row]]) -> list[Row]:
    started = time.perf_counter()
    try:
        rows = make()
    except Exception as exc:  # report the failure in the table, keep measuring
        rows = [(name, "failed", "-", f"{type(exc).__name__}: {exc}")]
    print(f"  {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return rows


def main() -> int:
    import logging

    from tests.bench import coldstart, cpu, timing, unification

    logging.disable(logging.WARNING)  # the app's request log lines would bury the table
    started = time.perf_counter()
    rows: list[Row] = []
    steps: dict[str, Counter[str]] = {}

    def flows() -> list[Row]:
        measured = measure_flow_calls()
        steps.update({name: calls for name, _, calls in measured})
        return _calls_rows(measured)

    rows += _section("AWS calls", flows)

    def recovery() -> list[Row]:
        measured = measure_recovery_calls()
        if isinstance(measured, str):
            return [("AWS calls", "password reset flows", "-", measured)]
        steps.update({name: calls for name, _, calls in measured})
        return _calls_rows(measured)

    rows += _section("AWS calls (recovery)", recovery)
    rows += _section("AWS call targets", lambda: target_rows(steps))
    rows += _section("known vs unknown", lambda: known_unknown_rows(steps))
    rows += _section("cold start", _cold_rows)
    rows += _section("cold start + first request", lambda: coldstart.rows(coldstart.measure()))
    rows += _section("artifacts", artifact_rows)
    rows += _section("throughput", throughput_rows)
    rows += _section("CPU per request", cpu.measure_rows)
    rows += _section("unification", lambda: unification.rows(unification.measure_unification(UNIFICATION_ACCOUNTS)))
    rows += _section("timing", lambda: timing.rows(timing.measure_timing()))
    text = (f"# Gatehouse bench\n\nPython {sys.version.split()[0]}, measured in one run of "
            f"{time.perf_counter() - started:.0f} s by `make bench`.\n\n" + table(rows) + NOTES)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
