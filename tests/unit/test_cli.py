"""The operator's command: one clear line on stderr for a mistake, never a traceback; --stats on stderr."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from gatehouse import bootstrap, cli


@pytest.fixture(autouse=True)
def fresh_container(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Nothing listens on port 9: a command that reaches AWS finds it unreachable, at once.
    monkeypatch.setenv("GATEHOUSE_AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    bootstrap.container.cache_clear()
    yield
    bootstrap.container.cache_clear()


def test_a_bad_wave_name_is_one_line_on_stderr_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["unify", "schedule", "--wave", "wave one", "--at", "2026-12-01T09:00:00Z"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gatehouse: error: invalid wave name 'wave one'") and "Traceback" not in err


@pytest.mark.parametrize("when", ["tomorrow", "next tuesday", "2026-13-01T09:00:00Z"])
def test_a_time_that_is_not_rfc3339_is_refused_with_the_expected_format(
        capsys: pytest.CaptureFixture[str], when: str) -> None:
    assert cli.main(["unify", "schedule", "--wave", "w1", "--at", when]) == 2
    assert capsys.readouterr().err.strip() == (
        f"gatehouse: error: --at: give a time like 2026-12-01T09:00:00Z (RFC 3339), not {when!r}")


def test_a_missing_import_file_names_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["legacy", "import", "/nonexistent/legacy.jsonl"]) == 2
    assert capsys.readouterr().err.strip() == "gatehouse: error: No such file or directory: /nonexistent/legacy.jsonl"


def test_a_stopped_local_stack_is_named_with_its_remedy_and_stats_still_print(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--stats", "unify", "status"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "gatehouse: error: DynamoDB is unreachable. Is the local stack running (`make run`)?"
    stats = json.loads(err[1].removeprefix("stats: "))
    assert stats["aws_calls_by_operation"] == {"Query": 1} and stats["peak_rss_mib"] > 0


def test_a_progress_bar_counts_towards_its_total_on_stderr(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    from gatehouse.commands._progress import bar, lines_of, tracked

    legacy = tmp_path / "legacy.jsonl"
    legacy.write_text("{}\n" * 1500)
    with legacy.open() as f, bar("import", lines_of(str(legacy)), unit="lines", delay=0) as advance:
        assert sum(1 for _ in tracked(f, advance)) == 1500
    captured = capsys.readouterr()
    assert captured.out == ""  # stdout stays the command's JSON
    assert "import: 100%" in captured.err and "1500/1500" in captured.err


def test_stats_report_the_commands_own_peak_memory_not_its_big_parents() -> None:
    import subprocess
    import sys

    ballast = bytearray(256 * 1024 * 1024)
    ballast[::4096] = b"\x01" * len(ballast[::4096])  # touched: resident in this (parent) process
    child = subprocess.run([sys.executable, "-c", "from gatehouse.cli import peak_rss_kib; print(peak_rss_kib())"],
                           capture_output=True, text=True, check=True)
    assert len(ballast) and int(child.stdout) < 128 * 1024, child.stdout


def test_legacy_import_prints_every_problem_of_a_line_in_line_order(
        capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    legacy = tmp_path / "legacy.jsonl"
    legacy.write_text(
        '{"console": "dedibox", "legacy_id": "d1", "identifier": "jdoe", "email": "jdoe", "password_hash": "x", '
        '"phone": "06 12"}\n'
        '{"console": "scaleway", "legacy_id": "s1", "email": "s@example.com"}\n')
    assert cli.main(["legacy", "import", str(legacy)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[1].strip() for line in out[:-1]] == [
        "line 1, record 'd1', field 'email'", "line 1, record 'd1', field 'password_hash'",
        "line 1, record 'd1', field 'phone'", "line 2, record 's1', field 'password_hash'"]
    assert all(line.startswith("invalid: ") for line in out[:-1])
    assert json.loads(out[-1]) == {"read": 2, "new": 0, "unchanged": 0, "invalid": 4}
