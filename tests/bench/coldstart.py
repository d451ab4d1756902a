"""Cold start per function, from the packaged artifacts: import, then a first request.

Each run is a fresh isolated interpreter (`-I -S`) whose `sys.path` is what Lambda gives the function:
its artifact (`build/functions/<flow>`), its own layers (built for this machine by the same code as
`make package`), and a stand-in for the runtime's boto3. It imports the handler module, then
answers one request (API Gateway event, or the scheduled event), against a moto server in another
process, so that only the function's own work is timed. The account it signs in with is made
beforehand by the parent, through the same adapters.

`python -m tests.bench.coldstart [flow ...]` prints the rows alone.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.deployed import DEPLOYED_ENV

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
EMAIL = "cold@example.com"
PASSWORD = "a quiet harbour at dawn"

# The first request of each function: a real password login for `login`; for the others a route that
# reaches the store when it can (None: the function's first route, with an empty JSON body).
FIRST_REQUEST: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "login": ("POST", "/login", {"email": EMAIL, "password": PASSWORD}),
    "signup": ("POST", "/signup", {"email": "cold-new@example.com", "password": PASSWORD}),
    "consoles": ("GET", "/consoles", None),
    "settings": ("GET", "/account", None),
    "mfa_manage": ("GET", "/mfa", None),
    "mfa_verify": ("POST", "/mfa/verify", {"method": "totp", "code": "000000"}),
    "organization": ("GET", "/api-keys", None),
    "web": ("GET", "/ui", None),
}

_CHILD = r'''
import importlib, json, re, sys, time
args = json.loads(sys.argv[1])
sys.path[:0] = args["path"]
started, cpu_started = time.perf_counter(), time.process_time()
module_name, attribute = args["handler"].rsplit(".", 1)
handler = getattr(importlib.import_module(module_name), attribute)
imported, cpu_imported = time.perf_counter(), time.process_time()
method, path, body = args["request"] or ["", "", None]
if method:
    headers = {"Host": "api.example.test", "User-Agent": "bench", "Accept": "application/json",
               "Origin": "https://account.example.test"}
    if args["cookie"]:
        headers["Cookie"] = args["cookie"]
    if body is not None:
        headers["Content-Type"] = "application/json"
    event = {"resource": path, "path": path, "httpMethod": method, "headers": headers,
             "multiValueHeaders": {k: [v] for k, v in headers.items()}, "queryStringParameters": None,
             "multiValueQueryStringParameters": None, "pathParameters": None, "stageVariables": None,
             "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False,
             "requestContext": {"resourcePath": path, "httpMethod": method, "path": "/dev" + path, "stage": "dev",
                                "requestId": "cold", "accountId": "123456789012", "apiId": "api",
                                "identity": {"sourceIp": "203.0.113.9", "userAgent": "bench"}}}
    response = handler(event, None)
    status = response["statusCode"]
    if status >= 500:
        print(response.get("body"), file=sys.stderr)
else:
    handler({"version": "0", "id": "cold", "detail-type": "Scheduled Event", "source": "aws.events",
             "account": "123456789012", "time": "2025-11-01T00:00:00Z", "region": "eu-west-3", "resources": [],
             "detail": {}}, None)
    status = 0
done, cpu_done = time.perf_counter(), time.process_time()
print(json.dumps({"import_ms": (imported - started) * 1000, "request_ms": (done - imported) * 1000,
                  "import_cpu_ms": (cpu_imported - cpu_started) * 1000,
                  "request_cpu_ms": (cpu_done - cpu_imported) * 1000,
                  "status": status, "modules": len(sys.modules),
                  "pydantic": "pydantic" in sys.modules, "cryptography": "cryptography" in sys.modules,
                  "webauthn": "webauthn" in sys.modules}))
'''


def host() -> tuple[str, str]:
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine().lower()]
    return f"python{sys.version_info.major}.{sys.version_info.minor}", arch


def runtime_dir(root: Path) -> Path:
    """A stand-in for the Lambda runtime's own site-packages: boto3 and its dependencies only."""
    import importlib.util

    root.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_MODULES:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin, name
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        if not (root / source.name).exists():
            (root / source.name).symlink_to(source)
    return root


def child_env(endpoint: str, table: str, home: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "LANG": "C.UTF-8",
        "AWS_REGION": "eu-west-3", "AWS_DEFAULT_REGION": "eu-west-3",
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "GATEHOUSE_STAGE": "dev", "GATEHOUSE_TABLE_NAME": table, "GATEHOUSE_AWS_ENDPOINT_URL": endpoint,
        # What the template passes a deployed stage (it refuses local defaults).
        **DEPLOYED_ENV, "GATEHOUSE_KMS_KEY_ID": "alias/gatehouse-bench",
        "GATEHOUSE_DOCUMENTS_BUCKET": "bench-documents",
        "GATEHOUSE_LOG_LEVEL": "ERROR", "POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true",
    }


@contextmanager
def moto_process() -> Iterator[str]:
    """The local stack's moto server in a process of its own; its URL."""
    from tests.e2e.conftest import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gatehouse.local.moto_server", "-H", "127.0.0.1", "-p", str(port)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(400):
            if proc.poll() is not None:
                raise RuntimeError(f"moto exited with {proc.returncode}")
            try:
                urllib.request.urlopen(url + "/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _seed(env: dict[str, str]) -> str:
    """The stage's resources, one verified account, and a signed-in session's cookie for the session routes."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from gatehouse.api.routing import SESSION_COOKIE
        from gatehouse.bootstrap import Container
        from gatehouse.domain.accounts import Account, new_account_contexts
        from gatehouse.local.resources import provision
        from gatehouse.settings import load

        settings = load()
        provision(settings)  # the table, the verified sender, the KMS key, the bucket
        c = Container(settings)
        now = c.clock.now()
        account = Account(id="acc_cold", email=EMAIL, created_at=now, password_hash=c.hasher.hash(PASSWORD),
                          email_verified=True, name="Cold Start", password_changed_at=now,
                          contexts=new_account_contexts("acc_cold0000", "Cold", [x.id for x in settings.consoles]))
        c.accounts.add(account)
        outcome = c.login.login(EMAIL, PASSWORD, ip="203.0.113.9", user_agent="bench")
        token = getattr(outcome, "token", None) or getattr(outcome, "session_token", None)
        return f"{SESSION_COOKIE}={token}" if token else ""
    finally:
        os.environ.clear()
        os.environ.update(saved)


def measure(flows: list[str] | None = None, repeats: int = 5) -> dict[str, dict[str, Any]]:
    """Per function: import and first-request milliseconds (min and median over fresh processes)."""
    from infra.build import build as build_stack
    runtime, arch = host()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="gatehouse-cold-") as tmp_name:
        tmp = Path(tmp_name)
        manifest = build_stack(tmp / "build", runtime=runtime, arch=arch)  # artifacts and layers this CPU runs
        specs = manifest.get("layers") or {"shared": manifest["layer"]}
        layers = {name: tmp / "build" / spec["path"] / "python" for name, spec in specs.items()}
        boto = runtime_dir(tmp / "runtime")
        script = tmp / "cold.py"
        script.write_text(_CHILD)
        with moto_process() as url:
            env = child_env(url, f"cold-{uuid.uuid4().hex[:8]}", str(tmp))
            cookie = _seed(env)
            for entry in manifest["functions"]:
                flow = entry["name"]
                if flows and flow not in flows:
                    continue
                request = FIRST_REQUEST.get(flow)
                if request is None and entry["routes"]:
                    route = entry["routes"][0]
                    request = (route["method"], route["path"], {} if route["method"] in ("POST", "PUT", "PATCH")
                               else None)
                own = [str(layers[n]) for n in entry.get("layers", ["shared"])]
                path = [str(tmp / "build" / entry["code_uri"]), *own, str(boto)]
                # Sign-in and sign-up go without the cookie: a login would rotate the session the others use.
                anonymous = flow in ("login", "signup")
                args = {"path": path, "handler": entry["handler"], "request": request,
                        "cookie": "" if anonymous else cookie}
                runs = []
                for _ in range(repeats):
                    done = subprocess.run([sys.executable, "-I", "-S", str(script), json.dumps(args)], env=env,
                                          cwd=tmp, capture_output=True, text=True, timeout=120, check=False)
                    if done.returncode != 0:
                        runs = []
                        results[flow] = {"error": (done.stderr.strip().splitlines() or ["?"])[-1]}
                        break
                    runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
                if runs:
                    results[flow] = _summary(runs, request, entry.get("layers", ["shared"]))
    return results


def _summary(runs: list[dict[str, Any]], request: Any, layers: list[str]) -> dict[str, Any]:
    total = [r["import_ms"] + r["request_ms"] for r in runs]
    return {
        "import_min": min(r["import_ms"] for r in runs),
        "import_median": statistics.median(r["import_ms"] for r in runs),
        "request_min": min(r["request_ms"] for r in runs),
        "request_median": statistics.median(r["request_ms"] for r in runs),
        "total_min": min(total), "total_median": statistics.median(total),
        # CPU time: on this shared machine, wall time also holds the other processes' turns.
        "import_cpu_min": min(r["import_cpu_ms"] for r in runs),
        "request_cpu_min": min(r["request_cpu_ms"] for r in runs),
        "total_cpu_min": min(r["import_cpu_ms"] + r["request_cpu_ms"] for r in runs),
        "request": f"{request[0]} {request[1]}" if request else "scheduled run", "status": runs[-1]["status"],
        "modules": runs[-1]["modules"], "pydantic": runs[-1]["pydantic"], "cryptography": runs[-1]["cryptography"],
        "webauthn": runs[-1]["webauthn"], "layers": layers, "n": len(runs),
    }


def rows(measured: dict[str, dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    out = []
    for flow, m in measured.items():
        if "error" in m:
            out.append(("cold start + first request", flow, "error", m["error"]))
            continue
        heavy = ("pydantic", "cryptography", "webauthn")
        loaded = ", ".join(name for name in heavy if m[name]) or "none of " + ", ".join(heavy)
        out.append(("cold start + first request", flow, f"{m['total_min']:.0f} ms (median {m['total_median']:.0f})",
                    f"import {m['import_min']:.0f} ms (median {m['import_median']:.0f}), first request "
                    f"{m['request']} → {m['status'] or 'done'} {m['request_min']:.0f} ms "
                    f"(median {m['request_median']:.0f}); CPU {m['total_cpu_min']:.0f} ms (import "
                    f"{m['import_cpu_min']:.0f}, first request {m['request_cpu_min']:.0f}); min of {m['n']} fresh "
                    f"processes; layers "
                    f"{' + '.join(m['layers'])}; {m['modules']} modules; loaded: {loaded}"))
    return out


if __name__ == "__main__":
    for path in (str(ROOT), str(ROOT / "layers" / "shared" / "python")):
        if path not in sys.path:
            sys.path.insert(0, path)
    for row in rows(measure(sys.argv[1:] or None)):
        print(" | ".join(row))
