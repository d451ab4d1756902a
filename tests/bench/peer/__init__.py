"""The django-allauth peer of the CPU bench, in a virtual environment of its own.

`measure(n)` makes `build/peer-venv` once (`python -m venv`, then pip installs django,
django-allauth and argon2-cffi from the registry: none of them is a dependency of the project),
runs `allauth_peer.py` in it with our argon2id parameters, and returns what it measured; when the
environment cannot be made (no registry) or the peer fails, a sentence saying so, which the bench
prints in the peer's row instead of failing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
VENV = ROOT / "build" / "peer-venv"
SCRIPT = Path(__file__).with_name("allauth_peer.py")
PACKAGES = ("django", "django-allauth", "argon2-cffi")
_KEYS = {"n", "login", "hash", "efficiency", "params", "django", "allauth"}


def _python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def ensure_venv(venv: Path = VENV, base: str = sys.executable) -> Path | str:
    """The peer environment's interpreter, made if needed; or why it could not be made."""
    python = _python(venv)
    if python.exists() and _run([str(python), "-c", "import django, allauth, argon2"], 60) is None:
        return python
    for command, timeout in (([base, "-m", "venv", "--clear", str(venv)], 120),
                             ([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                               *PACKAGES], 600)):
        if (failed := _run(command, timeout)) is not None:
            return f"not measured: the peer's environment could not be made ({failed})"
    return python


def _run(command: list[str], timeout: float) -> str | None:
    """None when the command succeeds; else its last line of error."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{type(exc).__name__}: {exc}"
    if done.returncode != 0:
        return (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1][:200]
    return None


def parse(output: str) -> dict[str, Any]:
    """The peer's one JSON line (its last line of output), checked for what the rows need."""
    lines = output.strip().splitlines()
    if not lines:
        raise ValueError("the peer printed nothing")
    measured = json.loads(lines[-1])
    missing = _KEYS - set(measured)
    if missing:
        raise ValueError(f"the peer's output lacks {', '.join(sorted(missing))}")
    for part in ("login", "hash"):
        if not {"mean_ms", "median_ms"} <= set(measured[part]):
            raise ValueError(f"the peer's {part} lacks its mean or median")
    return dict(measured)


def measure(n: int = 40, params: Any = None, venv: Path = VENV) -> dict[str, Any] | str:
    """The peer's CPU per login and per argon2id verify (our parameters), or why it was not measured."""
    if params is None:
        from gatehouse.settings import Settings

        params = Settings().argon2
    python = ensure_venv(venv)
    if isinstance(python, str):
        return python
    args = {"n": n, "memory_kib": params.memory_kib, "time_cost": params.time_cost, "parallelism": params.parallelism}
    try:
        done = subprocess.run([str(python), str(SCRIPT), json.dumps(args)], capture_output=True, text=True,
                              timeout=600, check=False, cwd=SCRIPT.parent)
    except subprocess.TimeoutExpired:
        return "not measured: the peer took over 10 minutes"
    if done.returncode != 0:
        return f"not measured: the peer failed ({(done.stderr.strip().splitlines() or ['?'])[-1][:200]})"
    try:
        return parse(done.stdout)
    except ValueError as exc:
        return f"not measured: {exc}"
