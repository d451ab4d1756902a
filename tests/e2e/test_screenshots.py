"""`scripts/screenshots.py`, the README's screenshots, run as the README says against the e2e stack."""

from __future__ import annotations

import importlib.util
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, Stack

pytestmark = pytest.mark.browser

SCRIPT = ROOT / "scripts" / "screenshots.py"


def expected_shots() -> tuple[str, ...]:
    spec = importlib.util.spec_from_file_location("screenshots", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return tuple(module.SHOTS)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def run_script(stack: Stack, out: Path) -> subprocess.CompletedProcess[str]:
    # A subprocess, as the README runs it: a second Playwright in this pytest process is not needed.
    return subprocess.run([sys.executable, str(SCRIPT), "--base", stack.base, "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_the_screenshot_script_writes_every_main_page_as_a_real_image_and_runs_again_the_same(
        stack: Stack, tmp_path: Path) -> None:
    names = expected_shots()
    assert len(names) >= 12 and names[0] == "01-sign-in.png"
    for run in ("first", "second"):  # the second run proves the demo accounts were left as found
        out = tmp_path / run
        done = run_script(stack, out)
        assert done.returncode == 0, done.stdout + done.stderr
        assert sorted(p.name for p in out.iterdir()) == sorted(names)
        for name in names:
            data = (out / name).read_bytes()
            assert png_size(data) == (1280, 800), name
            # A blank or broken page compresses to a few kilobytes; every page here has text and cards.
            assert len(data) > 15_000, (name, len(data))


def test_the_screenshot_script_names_make_run_when_no_local_stack_answers(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path / "out")], cwd=ROOT,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "GATEHOUSE_LOCAL_STATE": str(tmp_path / "none.json")})
    assert done.returncode == 2
    assert "make run" in done.stderr
    assert not (tmp_path / "out").exists()
