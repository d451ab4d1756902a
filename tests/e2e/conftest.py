"""The e2e tier: the real local stack (`python -m gatehouse.local serve`, what `make run` runs),
started once per test session on free ports, and driven over HTTP."""

from __future__ import annotations

import base64
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    base: str
    moto: str
    log: Path
    # Where this stack recorded its endpoints for `gatehouse --stage local` (GATEHOUSE_LOCAL_STATE).
    state: Path | None = None

    def client(self) -> Browserish:
        return Browserish(self.base)

    def outbox(self, to: str | None = None) -> list[dict[str, Any]]:
        params = {"to": to} if to else {}
        return requests.get(f"{self.base}/dev/outbox", params=params, timeout=10).json()["messages"]

    def last_message(self, to: str, channel: str = "email") -> dict[str, Any]:
        found = [m for m in self.outbox(to) if m["channel"] == channel]
        assert found, f"no {channel} to {to} in the outbox"
        return found[-1]

    def link_token(self, to: str) -> str:
        text = self.last_message(to)["text"]
        match = re.search(r"[?&]token=([A-Za-z0-9_\-]+)", text)
        assert match, f"no link with a token in: {text!r}"
        return match.group(1)

    def advance_clock(self, seconds: float) -> None:
        requests.post(f"{self.base}/dev/clock", json={"seconds": seconds}, timeout=10).raise_for_status()

    def env(self) -> dict[str, str]:
        """The environment a `gatehouse --stage local` command needs to talk to this stack."""
        from gatehouse.local.state import stack_env

        port = int(self.base.rsplit(":", 1)[1])
        moto_port = int(self.moto.rsplit(":", 1)[1])
        return {**os.environ, **stack_env(port, moto_port)}


class Browserish(requests.Session):
    """A requests session that behaves like the Gatehouse pages: JSON, and our Origin header."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base
        self.headers.update({"Origin": base, "User-Agent": "gatehouse-e2e"})

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if isinstance(url, str) and url.startswith("/"):
            url = self.base + url
        kwargs.setdefault("timeout", 30)
        return super().request(method, url, *args, **kwargs)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    port, moto_port = free_port(), free_port()
    log = tmp_path_factory.mktemp("stack") / "stack.log"
    # Its own state file: the project's one belongs to the developer's `make run`.
    state = log.with_name("local.json")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gatehouse.local", "serve", "--port", str(port), "--moto-port", str(moto_port)],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "GATEHOUSE_LOCAL_STATE": str(state)},
        )
    base = f"http://localhost:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if requests.get(f"{base}/health", timeout=2).status_code == 200 and b"serving" in log.read_bytes():
                break
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the local stack did not start:\n" + log.read_text(errors="replace")[-4000:])
        time.sleep(0.3)
    yield Stack(base=base, moto=f"http://127.0.0.1:{moto_port}", log=log, state=state)
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


_counter = iter(range(10**9))


@pytest.fixture
def unique_email() -> str:
    return f"user{next(_counter)}-{os.getpid()}-{time.monotonic_ns() % 10**9}@example.com"


STRONG_PASSWORD = "a quiet harbour at dawn"
# Each console's HTTP Basic auth on the local stage (its secrets are the local stage's fixed ones).
CONSOLE_AUTH = {console: "Basic " + base64.b64encode(f"{console}:local-{console}-secret".encode()).decode()
                for console in ("scaleway", "dedibox")}


def sign_up(stack: Stack, email: str, password: str = STRONG_PASSWORD, locale: str = "en") -> Browserish:
    """Sign up and verify; returns a logged-in client."""
    client = stack.client()
    r = client.post("/signup", json={"email": email, "password": password, "locale": locale})
    assert r.status_code == 202, r.text
    r = client.post("/signup/verify", json={"token": stack.link_token(email)})
    assert r.status_code == 200, r.text
    r = client.post("/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return client


@pytest.fixture
def signed_up(stack: Stack, unique_email: str) -> tuple[Browserish, str]:
    return sign_up(stack, unique_email), unique_email


@dataclass(frozen=True)
class Legacy:
    """Generated legacy accounts (tests.bench.unification), unified on the stack by the operator's commands."""

    prefix: str

    def email(self, n: int) -> str:
        from tests.bench.unification import email_of

        return email_of(self.prefix, n)

    def login(self, stack: Stack, n: int) -> Browserish:
        from tests.bench.unification import PASSWORD

        client = stack.client()
        r = client.post("/login", json={"email": self.email(n), "password": PASSWORD})
        assert r.status_code == 200 and r.json()["status"] == "authenticated", r.text
        return client


@pytest.fixture(scope="session")
def legacy(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Legacy:
    """Six unified accounts, one per case of tests.bench.unification.CASES but the lone Scaleway one:
    0 linked (a Dedibox context with one server), 3 Dedibox only (SMS retired: `enroll_mfa`, a legacy
    API key; its address unverified, which never blocks it), 5 two Dedibox contexts (a, b) and a Scaleway one."""
    from datetime import UTC, datetime, timedelta

    from tests.bench.unification import generate_lines

    prefix = f"lg{time.time_ns() % 10**9}"
    path = tmp_path_factory.mktemp("legacy") / "legacy.jsonl"
    path.write_text("".join(generate_lines(6, prefix)), encoding="utf-8")
    gatehouse = str(Path(sys.executable).with_name("gatehouse"))
    at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    for args in (("legacy", "import", str(path)), ("unify", "schedule", "--wave", f"w-{prefix}", "--at", at),
                 ("notify", "run"), ("unify", "run")):
        done = subprocess.run([gatehouse, "--stage", "local", *args], cwd=ROOT, env=stack.env(), capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
    return Legacy(prefix)
def set_phone(stack: Stack, client: Browserish, phone: str, password: str = STRONG_PASSWORD) -> dict[str, Any]:
    """Make `phone` the signed-in account's phone the only way there is: the password, then the code
    texted to the number (POST /account/phone, then /account/phone/verify). Returns the account."""
    r = client.post("/account/phone", json={"phone": phone, "password": password})
    assert r.status_code == 202, r.text
    match = re.search(r"\b(\d{6})\b", stack.last_message(phone, "sms")["text"])
    assert match, "no code in the SMS"
    r = client.post("/account/phone/verify", json={"code": match.group(1)})
    assert r.status_code == 200, r.text
    return dict(r.json())


@pytest.fixture(scope="session")
def sso_totp_secret(stack: Stack) -> str:
    """The TOTP secret of the demo account behind the Google user `google-totp`, enrolled once per
    test session: the HTTP and the browser SSO tests share that account, whichever runs first."""
    from gatehouse.local.demo import DEMO_PASSWORD

    from tests.e2e.test_mfa_totp import enrol_totp

    owner = stack.client()
    r = owner.post("/login", json={"email": "sso-totp@gatehouse.local", "password": DEMO_PASSWORD})
    assert r.status_code == 200 and r.json()["status"] == "authenticated", r.text
    secret, _ = enrol_totp(stack, owner)
    return secret
