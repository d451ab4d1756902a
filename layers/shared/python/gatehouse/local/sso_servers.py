"""Starting the local identity providers: oidc-provider (Node, `local-oidc/`) as Google and a
two-tenant Microsoft, and the GitHub fake. The e2e tests and `gatehouse.local serve` start them
the same way, each on loopback and a port of their choice."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[5]
OIDC_DIR = ROOT / "local-oidc"
USERS_FILE = Path(__file__).with_name("sso_users.json")


def ensure_oidc_installed() -> None:
    """`npm ci` from the committed lock file when node_modules is missing or older than it (the
    Makefile does the same; this covers a test run started without make)."""
    installed = OIDC_DIR / "node_modules" / ".package-lock.json"
    lock = OIDC_DIR / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed for the local OpenID provider (Node 20 or later)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=OIDC_DIR, check=True)


def wait_http(url: str, seconds: float, child: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - a loopback URL we built
                return
        except Exception:
            if child is not None and child.poll() is not None:
                raise RuntimeError(f"the server for {url} exited with {child.returncode}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {seconds:.0f} s") from None
            time.sleep(0.1)


def start_oidc(port: int, redirect_bases: list[str], *, quiet: bool = True) -> subprocess.Popen[bytes]:
    ensure_oidc_installed()
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is needed for the local OpenID provider (Node 20 or later)")
    args = [node, str(OIDC_DIR / "server.js"), "--port", str(port), "--users", str(USERS_FILE)]
    for base in redirect_bases:
        args += ["--redirect-base", base]
    out = subprocess.DEVNULL if quiet else None
    child = subprocess.Popen(args, cwd=OIDC_DIR, stdout=out, stderr=out)
    wait_http(f"http://127.0.0.1:{port}/health", 30, child)
    return child


def start_github(port: int, redirect_bases: list[str], *, quiet: bool = True) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "gatehouse.local.github_fake", "--port", str(port)]
    for base in redirect_bases:
        args += ["--redirect-base", base]
    out = subprocess.DEVNULL if quiet else None
    child = subprocess.Popen(args, stdout=out, stderr=out)
    wait_http(f"http://127.0.0.1:{port}/health", 30, child)
    return child
