"""The bench's cheap measurements, run small, so `make bench` cannot rot unnoticed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gatehouse.settings import Argon2Params

from tests.bench import run


def test_hash_cost_is_measured_in_seconds_per_hash() -> None:
    seconds = run.measure_hash(2, Argon2Params(memory_kib=64, time_cost=1, parallelism=1))
    assert 0 < seconds < 1


def test_web_function_cold_start_imports_neither_webauthn_nor_boto3() -> None:
    assert "web" in run.lambda_functions()
    measured = run.measure_cold_start("web", repeats=1)
    assert "error" not in measured, measured
    assert measured["modules"] > 0 and measured["ms"] > 0
    assert measured["webauthn"] is False and measured["boto3"] is False


@pytest.mark.parametrize("flow", ["login", "settings", "sso"])
def test_no_cold_start_imports_a_jwt_or_oidc_library_not_even_the_sso_functions(flow: str) -> None:
    # PyJWT and the oidc strategy load on the first SSO callback only.
    measured = run.measure_cold_start(flow, repeats=1)
    assert "error" not in measured, measured
    assert measured["jwt"] is False


def test_web_function_cold_start_imports_no_pydantic() -> None:
    # The pages take no request body: the endpoint decorator must not pull pydantic in for them.
    measured = run.measure_cold_start("web", repeats=1)
    assert "error" not in measured, measured
    assert measured["pydantic"] is False


def test_artifacts_without_a_build_say_to_run_make_package(tmp_path: Path) -> None:
    rows = run.artifact_rows(tmp_path)
    assert rows == [("artifact", "build/", "-", "no build/manifest.json: run `make package`")]


def test_table_is_one_markdown_table_and_escapes_pipes() -> None:
    text = run.table([("a", "b|c", "1", "d")])
    assert text.splitlines() == ["| measure | what | value | detail |", "|---|---|---|---|", "| a | b\\|c | 1 | d |"]


def test_unification_rows_give_each_command_its_rate_and_memory_and_the_calls_per_thousand() -> None:
    from tests.bench import unification

    steps = ("import", "plan", "schedule", "notify", "apply")
    measured = {"accounts": 2000, "records": 3716, "announced": 1715, "completed": 1715, "signed_in_after": True,
                "accounts_per_second": dict.fromkeys(steps, 500.0), "seconds": dict.fromkeys(steps, 4.0),
                "peak_rss_mib": dict.fromkeys(steps, 70.0), "aws_calls_per_1000_notified": 120.5,
                "aws_calls_per_1000_applied": 600.0,
                "aws_calls_by_operation": {s: {"Query": 2} for s in steps}}
    rows = unification.rows(measured)
    assert [r[1] for r in rows[:5]] == [f"gatehouse {unification.COMMANDS[s]}" for s in steps]
    assert rows[0][2] == "500 accounts/s" and "peak RSS 70 MiB" in rows[0][3]
    assert rows[5][1:3] == ("AWS calls per 1,000 accounts notified", "120")
    assert rows[6][2] == "600" and rows[6][3].endswith("a unified account signs in after: yes")


def test_timing_rows_give_both_medians_their_difference_and_the_verdict() -> None:
    from tests.bench import timing

    rows = timing.rows([("POST /login/code", [401.0, 402.0, 400.0], [400.5, 399.0, 401.5]),
                        ("POST /recovery-requests", [16.0, 17.0], [11.0, 11.0])])
    assert rows[0] == ("timing", "POST /login/code known vs unknown", "median 401.0 ms vs 400.5 ms",
                       "difference 0.5 ms over 3 interleaved pairs (within the 5 ms target)")
    assert rows[1][3].startswith("difference 5.5 ms over 2 interleaved pairs (**over**")


def test_timing_runs_known_and_unknown_keys_through_the_app_and_both_wait_for_the_floor() -> None:
    from tests.bench import timing

    code_login = [case for case in timing.CASES if case[1] == "/login/code"]
    [(name, known, unknown)] = timing.measure_timing(pairs=2, cases=code_login)
    assert name == "POST /login/code" and len(known) == len(unknown) == 2
    assert min(known + unknown) >= 400  # the stage's unknown-key floor, slept for real


@pytest.mark.slow
def test_cold_start_bench_times_import_and_a_first_request_from_the_packaged_functions() -> None:
    from tests.bench import coldstart

    measured = coldstart.measure(["login", "web"], repeats=1)
    assert measured["login"]["status"] == 200 and measured["login"]["layers"] == ["shared", "crypto"]
    assert measured["web"]["status"] == 200 and measured["web"]["layers"] == ["shared"]
    assert measured["web"]["pydantic"] is False
    # pyOpenSSL beside botocore no longer drags cryptography into a password login.
    assert measured["login"]["cryptography"] is False
    for m in measured.values():
        assert 0 < m["import_min"] <= m["import_median"] and 0 < m["request_min"] <= m["request_median"]
        assert m["import_cpu_min"] > 0 and m["request_cpu_min"] > 0 and m["total_cpu_min"] > 0
    rows = coldstart.rows(measured)
    assert [r[1] for r in rows] == ["login", "web"] and all(r[2].endswith(")") for r in rows)
    assert all("; CPU " in r[3] and "first request " in r[3] for r in rows)


def test_cpu_harness_measures_logins_sessions_and_one_hash_through_the_app() -> None:
    from tests.bench import cpu

    measured = cpu.measure_cpu(2, separate_moto=False)  # moto in this process: the shape, not the numbers
    for part in ("login", "session", "hash"):
        assert 0 < measured[part]["min_ms"] <= measured[part]["mean_ms"]
    assert measured["login"]["mean_ms"] > measured["hash"]["mean_ms"]  # a login verifies one hash, and more
    assert measured["efficiency"] == measured["hash"]["mean_ms"] / measured["login"]["mean_ms"]
    rows = cpu.rows(measured, "not measured: no registry")
    assert [r[1].split(",")[0] for r in rows] == ["POST /login (password)", "POST /accounts/login/",
                                                  "GET /session"]
    assert "efficiency = hash ÷ login" in rows[0][3] and rows[1][2:] == ("-", "not measured: no registry")
    assert rows[2][2].endswith(" ms") and "moto in this process" in rows[2][1]


def test_cpu_rows_set_ours_beside_the_peer_and_say_which_is_above() -> None:
    from tests.bench import cpu

    part = {"mean_ms": 20.0, "median_ms": 19.0, "min_ms": 18.0}
    ours = {"n": 3, "separate_moto": True, "login": part, "session": {**part, "mean_ms": 1.5},
            "hash": {**part, "mean_ms": 18.5}, "efficiency": 0.925, "params": "m=19456 KiB, t=2, p=1"}
    peer = {"n": 3, "login": {**part, "mean_ms": 25.0}, "hash": part, "efficiency": 0.74, "params": "m=19456 KiB",
            "django": "6.1", "allauth": "65.1"}
    login, allauth, session = cpu.rows(ours, peer)
    assert login[2] == "20.0 ms" and "= 0.93 (meets the 0.90 target)" in login[3]
    assert allauth[2] == "25.0 ms" and "efficiency = hash ÷ login = 0.74; ours is above it" in allauth[3]
    assert session[2] == "1.50 ms" and session[3].startswith("under the 2 ms target")
    worse = cpu.rows({**ours, "efficiency": 0.5, "session": {**part, "mean_ms": 3.0}}, peer)
    assert "**under** the 0.90" in worse[0][3] and "**not above**" in worse[1][3] and "**over**" in worse[2][3]
    tie = cpu.rows({**ours, "efficiency": 0.745}, peer)
    assert "ours is level with it (0.745 vs 0.740)" in tie[1][3]


def test_peer_output_is_its_last_json_line_and_an_incomplete_one_is_refused() -> None:
    from tests.bench import peer

    part = {"mean_ms": 30.0, "median_ms": 29.0}
    line = json.dumps({"n": 2, "login": part, "hash": part, "efficiency": 1.0, "params": "m=1", "django": "6",
                       "allauth": "65"})
    assert peer.parse("Operations to perform...\n" + line)["login"] == part
    with pytest.raises(ValueError, match="lacks allauth"):
        peer.parse(line.replace('"allauth"', '"other"'))
    with pytest.raises(ValueError):
        peer.parse("")


def test_peer_row_says_why_when_its_environment_cannot_be_made(tmp_path: Path) -> None:
    from tests.bench import peer

    reason = peer.ensure_venv(tmp_path / "venv", base=str(tmp_path / "no-python"))
    assert isinstance(reason, str) and reason.startswith("not measured: the peer's environment could not be made")
