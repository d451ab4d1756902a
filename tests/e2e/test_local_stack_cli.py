"""`gatehouse --stage local` finds the e2e stack on its random ports through the file the stack
wrote, with nothing else in its environment, and from any directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import Stack


def _gatehouse(stack: Stack, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert stack.state is not None and stack.state.is_file()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEHOUSE_", "AWS_"))}
    env["GATEHOUSE_LOCAL_STATE"] = str(stack.state)
    return subprocess.run([sys.executable, "-m", "gatehouse.cli", "--stage", "local", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_command_finds_the_stack_on_its_random_ports_through_its_state_file(
        stack: Stack, unique_email: str, tmp_path: Path) -> None:
    recorded = json.loads(stack.state.read_text())  # type: ignore[union-attr]
    assert f"http://localhost:{recorded['port']}" == stack.base
    assert stack.moto.endswith(f":{recorded['moto_port']}") and recorded["moto_port"] != 5555

    # A message only this stack has sent: the command reads this stack's outbox, not another one's.
    assert stack.client().post("/login/code", json={"email": unique_email}).status_code == 202
    done = _gatehouse(stack, tmp_path, "outbox", "--to", unique_email)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [m["to"] for m in lines] == [unique_email]

    status = _gatehouse(stack, tmp_path, "unify", "status")
    assert status.returncode == 0, status.stderr
    assert "demo" in status.stdout  # the wave `make run` applied to its demo legacy accounts
