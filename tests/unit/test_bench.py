"""The bench's cheap measurements, run small, so `make bench` cannot rot unnoticed."""

from __future__ import annotations

from pathlib import Path

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


def test_artifacts_without_a_build_say_to_run_make_package(tmp_path: Path) -> None:
    rows = run.artifact_rows(tmp_path)
    assert rows == [("artifact", "build/", "-", "no build/manifest.json: run `make package`")]


def test_table_is_one_markdown_table_and_escapes_pipes() -> None:
    text = run.table([("a", "b|c", "1", "d")])
    assert text.splitlines() == ["| measure | what | value | detail |", "|---|---|---|---|", "| a | b\\|c | 1 | d |"]


def test_call_counter_counts_service_and_operation_only_while_counting() -> None:
    class Model:
        name = "GetItem"

        class service_model:  # the shape of botocore's OperationModel
            endpoint_prefix = "dynamodb"

    counter = run.CallCounter()
    counter(model=Model())
    with counter.counting() as calls:
        counter(model=Model())
        counter(model=Model())
    counter(model=Model())
    assert calls == {"dynamodb.GetItem": 2}
