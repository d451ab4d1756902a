"""Where `make run` tells `gatehouse --stage local` which ports its stack was given.

`python -m gatehouse.local serve` writes its endpoints to one small JSON file once the stack
answers, and removes it when it stops; the command reads it, checks that the stack answers, and
takes the stage's environment from it (`stack_env`). Without it the command would reach whatever
listens on the default ports, another project's moto, say, and act on the wrong data.

The file is `$GATEHOUSE_LOCAL_STATE` when set (the e2e tests give each stack its own), else
`.gatehouse/local.json` in the project, else `gatehouse/local.json` under the user's cache dir.
"""

from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Final

STATE_VARIABLE: Final = "GATEHOUSE_LOCAL_STATE"
_PROJECT: Final = Path(__file__).resolve().parents[5]


class NoLocalStackError(RuntimeError):
    """No local stack answers: the message names `make run`, the remedy."""


def state_path() -> Path:
    if explicit := os.environ.get(STATE_VARIABLE):
        return Path(explicit)
    if (_PROJECT / "Makefile").is_file():
        return _PROJECT / ".gatehouse" / "local.json"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "gatehouse" / "local.json"



def stack_env(port: int, moto_port: int) -> dict[str, str]:
    """The environment of the local stage on these ports (chalice's config adds the fixed part)."""
    base = f"http://localhost:{port}"
    return {
        "GATEHOUSE_STAGE": "local",
        "GATEHOUSE_AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
        "GATEHOUSE_PUBLIC_BASE_URL": base,
        "GATEHOUSE_ALLOWED_ORIGINS": f"{base},http://127.0.0.1:{port}",
        "GATEHOUSE_WEBAUTHN_RP_ID": "localhost",
        "GATEHOUSE_WEBAUTHN_ORIGIN": base,
        "GATEHOUSE_CONSOLES": (
            f'[{{"id": "scaleway", "name": "Scaleway", "url": "{base}/dev/console/scaleway"}},'
            f' {{"id": "dedibox", "name": "Dedibox", "url": "{base}/dev/console/dedibox"}}]'
        ),
        "AWS_DEFAULT_REGION": "eu-west-3",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }

@dataclass(frozen=True)
class LocalStack:
    port: int
    moto_port: int
    pid: int

    @property
    def base_url(self) -> str:
        return f"http://localhost:{self.port}"

    def env(self) -> dict[str, str]:
        return stack_env(self.port, self.moto_port)


def write(port: int, moto_port: int, path: Path | None = None) -> Path:
    """Record this process's stack; atomic, so a reader never sees half a file."""
    target = path or state_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".{target.name}.{os.getpid()}")
    scratch.write_text(json.dumps({"port": port, "moto_port": moto_port, "pid": os.getpid(),
                                   "base_url": f"http://localhost:{port}"}) + "\n", encoding="utf-8")
    os.replace(scratch, target)
    return target


def remove(path: Path | None = None) -> None:
    """Forget this process's stack, and only it: a stack started since owns the file now."""
    target = path or state_path()
    try:
        if json.loads(target.read_text(encoding="utf-8")).get("pid") == os.getpid():
            target.unlink()
    except (OSError, ValueError, AttributeError):
        pass


def read(path: Path | None = None) -> LocalStack:
    """The running stack the file names; NoLocalStackError when there is none or it does not answer."""
    target = path or state_path()
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
        stack = LocalStack(port=int(data["port"]), moto_port=int(data["moto_port"]), pid=int(data.get("pid", 0)))
    except FileNotFoundError:
        raise NoLocalStackError(f"no local stack is running (nothing at {target}): start one with `make run`") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise NoLocalStackError(f"{target} does not describe a local stack: start one with `make run`") from None
    if stack.pid and not _alive(stack.pid):
        raise NoLocalStackError(f"the local stack recorded in {target} has stopped: start it with `make run`")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{stack.port}/health", timeout=2):
            pass
    except Exception:
        raise NoLocalStackError(f"the local stack recorded in {target} does not answer on {stack.base_url}: "
                                "start it with `make run`") from None
    return stack


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def apply(path: Path | None = None) -> LocalStack:
    """Point this process at the running local stack; variables already set keep their value."""
    stack = read(path)
    for key, value in stack.env().items():
        os.environ.setdefault(key, value)
    return stack
