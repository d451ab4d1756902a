"""`gatehouse --stage local` finds the stack of `make run` through the file it writes, whatever its
ports, and says in one line naming `make run` when no local stack answers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from gatehouse import bootstrap, cli
from gatehouse.local import state


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    # An environment with no stage variables: what an operator's shell has before `make run`.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEHOUSE_", "AWS_"))}
    env[state.STATE_VARIABLE] = str(tmp_path / "local.json")
    monkeypatch.setattr(os, "environ", env)
    bootstrap.container.cache_clear()
    yield tmp_path / "local.json"
    bootstrap.container.cache_clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def health_server() -> Iterator[int]:
    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/health" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def test_with_no_local_stack_the_command_says_so_in_one_line_naming_make_run(
        clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["unify", "status"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"gatehouse: error: no local stack is running (nothing at {clean_env}): start one with `make run`"]
    assert bootstrap.container.cache_info().currsize == 0  # nothing was built, nothing was reached


def test_a_recorded_stack_that_has_stopped_is_named_with_its_remedy(
        clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    clean_env.write_text(json.dumps({"port": 8000, "moto_port": 5555, "pid": gone.pid}))
    assert cli.main(["unify", "status"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"gatehouse: error: the local stack recorded in {clean_env} has stopped: start it with `make run`")


def test_a_recorded_stack_that_does_not_answer_is_named_with_its_port(
        clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    port = _free_port()
    clean_env.write_text(json.dumps({"port": port, "moto_port": 5555, "pid": os.getpid()}))
    assert cli.main(["outbox"]) == 2
    err = capsys.readouterr().err.strip()
    assert f"does not answer on http://localhost:{port}" in err and "`make run`" in err and "\n" not in err


def test_a_garbled_state_file_is_refused_in_one_line(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean_env.write_text("{not json")
    assert cli.main(["unify", "status"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"gatehouse: error: {clean_env} does not describe a local stack: start one with `make run`")


def test_the_command_takes_the_ports_the_running_stack_recorded(clean_env: Path, health_server: int) -> None:
    state.write(health_server, 61234)
    found = state.apply()
    assert (found.port, found.moto_port, found.pid) == (health_server, 61234, os.getpid())
    assert os.environ["GATEHOUSE_AWS_ENDPOINT_URL"] == "http://127.0.0.1:61234"
    assert os.environ["GATEHOUSE_PUBLIC_BASE_URL"] == f"http://localhost:{health_server}"  # links in emails


def test_variables_the_operator_set_win_over_the_recorded_stack(clean_env: Path, health_server: int) -> None:
    os.environ["GATEHOUSE_PUBLIC_BASE_URL"] = "http://gatehouse.test"
    state.write(health_server, 61234)
    state.apply()
    assert os.environ["GATEHOUSE_PUBLIC_BASE_URL"] == "http://gatehouse.test"


def test_an_explicit_endpoint_skips_the_discovery(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.environ["GATEHOUSE_AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"
    os.environ["AWS_MAX_ATTEMPTS"] = "1"
    assert cli.main(["unify", "status"]) == 2
    assert "DynamoDB is unreachable" in capsys.readouterr().err


def test_a_stopping_stack_removes_its_own_record_and_never_another_ones(clean_env: Path) -> None:
    state.write(8000, 5555)
    state.remove()
    assert not clean_env.exists()
    clean_env.write_text(json.dumps({"port": 8001, "moto_port": 5556, "pid": os.getpid() + 1}))
    state.remove()
    assert clean_env.exists()


def test_without_the_variable_the_file_is_in_the_project(monkeypatch: pytest.MonkeyPatch) -> None:
    del os.environ[state.STATE_VARIABLE]
    project = Path(state.__file__).resolve().parents[5]
    assert state.state_path() == project / ".gatehouse" / "local.json"
