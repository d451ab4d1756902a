"""CPU per request: our process's CPU per password login and per `GET /session`, moto elsewhere.

moto runs in its own process (`python -m gatehouse.local.moto_server`, the server `make run`
starts), so `time.process_time()` in this process holds only our own work: the Chalice app
(app.py, every Blueprint, as `chalice local` serves it), the flows, botocore building, signing and
parsing each call, and the argon2id verify. A login is one `POST /login` of a verified account
with the right password; its CPU is set against one argon2id verify with the same parameters
(`Settings().argon2`), measured in the same process in the same run: efficiency = hash ÷ login
(1.0 would mean the hash is the whole cost). The django-allauth peer (tests/bench/peer/) is
measured the same way in its own virtual environment.

`python -m tests.bench.cpu [n]` prints the rows alone (with the peer); `--profile` prints
cProfile's top functions of the logins and session checks instead.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
for _path in (str(ROOT), str(ROOT / "layers" / "shared" / "python")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from tests.bench.coldstart import moto_process  # noqa: E402
from tests.bench.run import BASE, PASSWORD, Row, _last_token, moto_stack  # noqa: E402

TARGET_EFFICIENCY = 0.90
TARGET_SESSION_MS = 2.0




def _cpu_interleaved(n: int, *calls: Callable[[], None]) -> list[list[float]]:
    """This process's CPU seconds for each of n rounds of every call, one after the other, so that
    a change in the machine's load (it is shared) weighs on each alike."""
    samples: list[list[float]] = [[] for _ in calls]
    for _ in range(n):
        for once, out in zip(calls, samples, strict=True):
            started = time.process_time()
            once()
            out.append(time.process_time() - started)
    return samples


def _summary(samples: list[float]) -> dict[str, float]:
    return {"mean_ms": statistics.fmean(samples) * 1000, "median_ms": statistics.median(samples) * 1000,
            "min_ms": min(samples) * 1000}


class Lambda:
    """A client that calls the Chalice app as Lambda does: an API Gateway proxy event in, a dict out.

    chalice.test's local gateway would add its own work to every request (it copies the whole
    environment per request, for one); this is the path a deployed function runs, with one
    cookie kept like a browser and our Origin on every request.
    """

    def __init__(self, app: Any) -> None:
        self.app, self.cookie = app, ""

    def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        headers = {"Host": "api.example.test", "User-Agent": "bench", "Origin": BASE,
                   "Content-Type": "application/json", "Accept": "application/json"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        event = {"resource": path, "path": path, "httpMethod": method, "headers": headers,
                 "multiValueHeaders": {k: [v] for k, v in headers.items()}, "queryStringParameters": None,
                 "multiValueQueryStringParameters": None, "pathParameters": None, "stageVariables": None,
                 "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False,
                 "requestContext": {"resourcePath": path, "httpMethod": method, "path": path, "stage": "dev",
                                    "requestId": "cpu", "accountId": "123456789012", "apiId": "api",
                                    "identity": {"sourceIp": "203.0.113.9", "userAgent": "bench"}}}
        response: dict[str, Any] = self.app(event, None)
        for name, values in (response.get("multiValueHeaders") or {}).items():
            if name.lower() == "set-cookie":
                self.cookie = values[-1].split(";")[0]
        if cookie := (response.get("headers") or {}).get("Set-Cookie"):
            self.cookie = cookie.split(";")[0]
        return response


@contextmanager
def _as_deployed() -> Iterator[None]:
    """The request log line and the EMF metrics document, written as a deployed stage writes them
    (INFO, metrics on), into /dev/null: they are part of every request's CPU."""
    from gatehouse.api.observability import logger

    saved_disable, saved_level = logging.root.manager.disable, logger.log_level
    saved_env = os.environ.get("POWERTOOLS_METRICS_DISABLED")
    handler = logger.registered_handler
    with open(os.devnull, "w") as sink, redirect_stdout(sink):
        saved_stream = handler.setStream(sink) if isinstance(handler, logging.StreamHandler) else None
        logging.disable(logging.NOTSET)
        logger.setLevel("INFO")
        os.environ["POWERTOOLS_METRICS_DISABLED"] = "false"
        try:
            yield
        finally:
            if saved_stream is not None and isinstance(handler, logging.StreamHandler):
                handler.setStream(saved_stream)
            logger.setLevel(saved_level)
            logging.disable(saved_disable)
            if saved_env is None:
                os.environ.pop("POWERTOOLS_METRICS_DISABLED", None)
            else:
                os.environ["POWERTOOLS_METRICS_DISABLED"] = saved_env


def measure_cpu(n: int = 40, *, separate_moto: bool = True, profile: Any = None,
                logs: bool = True) -> dict[str, Any]:
    """CPU per login, per argon2id verify and per GET /session, n of each, in this process.

    With `separate_moto` False, moto runs in this process (the unit test's quick run): its CPU then
    counts too, so only the shape of the result means anything.
    """
    from gatehouse.strategies.password import PasswordHasher

    from app import app

    with (moto_process() if separate_moto else _no_endpoint()) as url, moto_stack(url) as c:
        params = c.settings.argon2
        email = f"cpu-{time.monotonic_ns()}@example.com"
        browser = Lambda(app)
        assert browser.call("POST", "/signup", {"email": email, "password": PASSWORD})["statusCode"] == 202
        assert browser.call("POST", "/signup/verify", {"token": _last_token(c)})["statusCode"] == 200

        def login() -> None:
            r = Lambda(app).call("POST", "/login", {"email": email, "password": PASSWORD})
            assert r["statusCode"] == 200, r["body"]

        signed_in = Lambda(app)
        assert signed_in.call("POST", "/login", {"email": email, "password": PASSWORD})["statusCode"] == 200

        def session() -> None:
            r = signed_in.call("GET", "/session")
            assert r["statusCode"] == 200, r["body"]

        hasher = PasswordHasher(params)
        stored = hasher.hash(PASSWORD)

        def verify() -> None:
            assert hasher.verify(stored, PASSWORD)

        with _as_deployed() if logs else _no_endpoint():
            for warm in (login, session, verify):  # first calls load models, connect, allocate
                warm()
            if profile is not None:  # our requests only, not the hash measured beside them
                profile.enable()
                _cpu_interleaved(n, login, session)
                profile.disable()
            logins, sessions, hashes = _cpu_interleaved(n, login, session, verify)
    measured = {"n": n, "separate_moto": separate_moto, "login": _summary(logins), "session": _summary(sessions),
                "hash": _summary(hashes),
                "params": f"m={params.memory_kib} KiB, t={params.time_cost}, p={params.parallelism}"}
    measured["efficiency"] = measured["hash"]["mean_ms"] / measured["login"]["mean_ms"]
    return measured


@contextmanager
def _no_endpoint() -> Iterator[None]:
    yield None


def rows(ours: dict[str, Any], peer: dict[str, Any] | str | None = None) -> list[Row]:
    where = "moto in another process" if ours["separate_moto"] else "moto in this process (its CPU counts)"
    eff = ours["efficiency"]
    out: list[Row] = [
        ("CPU per request", f"POST /login (password), ours, {where}", f"{ours['login']['mean_ms']:.1f} ms",
         f"argon2id verify ({ours['params']}) {ours['hash']['mean_ms']:.1f} ms in the same run; efficiency = "
         f"hash ÷ login = {eff:.2f} ({'meets' if eff >= TARGET_EFFICIENCY else '**under**'} the "
         f"{TARGET_EFFICIENCY:.2f} target); median {ours['login']['median_ms']:.1f} ms, n={ours['n']}"),
    ]
    if isinstance(peer, dict):
        peer_eff = peer["efficiency"]
        out.append(("CPU per request", "POST /accounts/login/, django-allauth peer (SQLite)",
                    f"{peer['login']['mean_ms']:.1f} ms",
                    f"argon2id verify ({peer['params']}) {peer['hash']['mean_ms']:.1f} ms in the same run; "
                    f"efficiency = hash ÷ login = {peer_eff:.2f}; ours is {_versus(eff, peer_eff)}; "
                    f"django {peer['django']}, "
                    f"django-allauth {peer['allauth']}, median {peer['login']['median_ms']:.1f} ms, n={peer['n']}"))
    elif peer is not None:
        out.append(("CPU per request", "POST /accounts/login/, django-allauth peer (SQLite)", "-", peer))
    session_ms = ours["session"]["mean_ms"]
    out.append(("CPU per request", f"GET /session, ours, {where}", f"{session_ms:.2f} ms",
                f"{'under' if session_ms < TARGET_SESSION_MS else '**over**'} the {TARGET_SESSION_MS:.0f} ms "
                f"target; median {ours['session']['median_ms']:.2f} ms, n={ours['n']}"))
    return out


def _versus(ours: float, peer: float) -> str:
    """Ours against the peer, with a hundredth either way read as a tie: that is the runs' noise here."""
    if abs(ours - peer) < 0.01:
        return f"level with it ({ours:.3f} vs {peer:.3f})"
    return "above it" if ours > peer else "**not above** it"


def measure_rows(n: int = 40) -> list[Row]:
    from tests.bench import peer

    ours = measure_cpu(n)
    return rows(ours, peer.measure(n))


def _profile(n: int) -> None:
    import cProfile
    import pstats

    prof = cProfile.Profile(time.process_time)  # CPU, not wall time: moto's share is waiting here
    measure_cpu(n, profile=prof)
    stats = pstats.Stats(prof)
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(40)


if __name__ == "__main__":
    import logging

    logging.disable(logging.WARNING)
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    count = int(args[0]) if args else 40
    if "--profile" in sys.argv:
        _profile(count)
    elif "--ours" in sys.argv:
        for row in rows(measure_cpu(count)):
            print(" | ".join(row))
    else:
        for row in measure_rows(count):
            print(" | ".join(row))
