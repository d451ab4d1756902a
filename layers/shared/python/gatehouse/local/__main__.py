"""`python -m gatehouse.local serve`: what `make run` runs.

Starts moto's server, provisions the stage's resources, loads demo data, then serves every flow
with `chalice local --no-autoreload`. Ctrl-C or SIGTERM stops everything it started.
"""

from __future__ import annotations

import argparse
import atexit
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from types import FrameType

from gatehouse.local.state import stack_env

ROOT = Path(__file__).resolve().parents[5]


def _wait_http(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - a loopback URL we built
                return
        except Exception:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {seconds:.0f} s") from None
            time.sleep(0.1)


def _relay(child: subprocess.Popen[bytes], quiet: bool) -> None:
    """Copy a server's output to ours, redacted: its access log prints query strings, and an email
    link's `token` or a console's hand-off `code` must not reach a log, not even locally."""
    from gatehouse.api.observability import redact

    assert child.stdout is not None
    for raw in child.stdout:
        if not quiet:
            sys.stdout.write(redact(raw.decode(errors="replace")))
            sys.stdout.flush()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(port: int, moto_port: int, quiet: bool, oidc_port: int = 0, github_port: int = 0) -> int:
    env = {**os.environ, **stack_env(port, moto_port), "PYTHONUNBUFFERED": "1"}
    children: list[subprocess.Popen[bytes]] = []

    def stop(signum: int = 0, frame: FrameType | None = None) -> None:
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()
        sys.exit(0 if signum else 1)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        children.append(subprocess.Popen(
            [sys.executable, "-m", "gatehouse.local.moto_server", "-H", "127.0.0.1", "-p", str(moto_port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait_http(f"http://127.0.0.1:{moto_port}/moto-api/", 30)
        # The local identity providers (oidc-provider as Google and Microsoft, the GitHub fake),
        # on free loopback ports unless given: several stacks (the e2e tests') run side by side.
        from gatehouse.local import sso_servers

        oidc_port, github_port = oidc_port or _free_port(), github_port or _free_port()
        bases = [f"http://localhost:{port}", f"http://127.0.0.1:{port}"]
        children.append(sso_servers.start_oidc(oidc_port, bases))
        children.append(sso_servers.start_github(github_port, bases))
        sso_env = {"GATEHOUSE_LOCAL_OIDC_URL": f"http://127.0.0.1:{oidc_port}",
                   "GATEHOUSE_LOCAL_GITHUB_URL": f"http://127.0.0.1:{github_port}"}
        env.update(sso_env)
        os.environ.update(sso_env)
        os.environ.update(stack_env(port, moto_port))
        from gatehouse import settings
        from gatehouse.bootstrap import Container
        from gatehouse.local import demo
        from gatehouse.local.resources import provision

        config = settings.load()
        provision(config)
        for line in demo.load(Container(config)):
            print(f"  {line}", flush=True)
        # chalice's own CLI, with an unknown path answered in the contract's 404 (see chalice_local).
        children.append(subprocess.Popen(
            [sys.executable, "-m", "gatehouse.local.chalice_local", "local", "--no-autoreload", "--stage", "local",
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
        threading.Thread(target=_relay, args=(children[-1], quiet), daemon=True).start()
        _wait_http(f"http://127.0.0.1:{port}/health", 60)
        from gatehouse.local import state

        # Now that it answers: `gatehouse --stage local` finds this stack, whatever its ports.
        recorded = state.write(port, moto_port)
        atexit.register(state.remove, recorded)
        print(f"  local identity providers: OpenID (Google, Microsoft) {sso_env['GATEHOUSE_LOCAL_OIDC_URL']}, "
              f"GitHub {sso_env['GATEHOUSE_LOCAL_GITHUB_URL']}", flush=True)
        print(f"Gatehouse is serving on http://localhost:{port}/ui/  (API: http://localhost:{port}/openapi.json,"
              f" outbox: http://localhost:{port}/ui/outbox). Ctrl-C stops it.", flush=True)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("a part of the stack stopped; stopping the rest", file=sys.stderr)
    except Exception as exc:
        print(f"the local stack failed to start: {exc}", file=sys.stderr)
    stop()
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gatehouse.local")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("serve", help="moto + resources + demo data + chalice local")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--moto-port", type=int, default=5555)
    run.add_argument("--quiet", action="store_true", help="do not show the servers' request logs")
    run.add_argument("--oidc-port", type=int, default=0, help="the local OpenID provider's port (default: a free one)")
    run.add_argument("--github-port", type=int, default=0, help="the GitHub fake's port (default: a free one)")
    args = parser.parse_args(argv)
    return serve(args.port, args.moto_port, args.quiet, args.oidc_port, args.github_port)


if __name__ == "__main__":
    sys.exit(main())
