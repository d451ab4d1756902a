"""A session's device in words, for the sessions list."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from gatehouse.domain.devices import UNKNOWN, describe

CHROME_LINUX = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/131.0.0.0 Safari/537.36")
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Version/17.5 Mobile/15E148 Safari/604.1")


@pytest.mark.parametrize(("user_agent", "device"), [
    (CHROME_LINUX, "Chrome on Linux"),
    (FIREFOX_WINDOWS, "Firefox on Windows"),
    (SAFARI_IPHONE, "Mobile Safari on iOS"),
])
def test_a_browsers_user_agent_reads_as_browser_on_system(user_agent: str, device: str) -> None:
    assert describe(user_agent) == device


@pytest.mark.parametrize("user_agent", ["", "   ", "gatehouse-e2e"])
def test_an_empty_or_unrecognised_user_agent_is_an_unknown_device(user_agent: str) -> None:
    assert describe(user_agent) == UNKNOWN


def test_ua_parser_is_imported_only_when_sessions_are_listed() -> None:
    root = Path(__file__).resolve().parents[2]
    probe = ("import sys; import functions.login.routes; from gatehouse.bootstrap import Container; "
             "c = Container.in_memory(); c.login, c.sessions; print('ua_parser' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{root / 'layers/shared/python'}"}
    out = subprocess.run([sys.executable, "-c", probe], cwd=root, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
