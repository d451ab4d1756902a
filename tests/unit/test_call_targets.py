"""Every main flow at its AWS call budget (tests/bench/targets.py), counted as `make bench` counts
them: through the real Chalice app against an in-process moto server, SES and SNS included."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from tests.bench.run import measure_flow_calls, measure_recovery_calls
from tests.bench.targets import TARGETS, counted


@pytest.fixture(scope="module")
def measured() -> Iterator[dict[str, Counter[str]]]:
    import logging

    logging.disable(logging.WARNING)
    try:
        steps = {name: calls for name, _, calls in measure_flow_calls()}
        recovery = measure_recovery_calls()
        assert not isinstance(recovery, str), recovery
        steps.update({name: calls for name, _, calls in recovery})
        yield steps
    finally:
        logging.disable(logging.NOTSET)


def test_no_flow_makes_more_aws_calls_than_its_target(measured: dict[str, Counter[str]]) -> None:
    over = {}
    for flow, target in TARGETS.items():
        calls = counted(target, measured)
        assert calls is not None, f"{flow}: a step was not measured ({target.steps})"
        if calls > target.ceiling:
            over[flow] = (calls, target.ceiling, {s: dict(measured[s]) for s in target.steps})
    assert over == {}


def test_a_known_and_an_unknown_email_make_the_same_calls_at_login(measured: dict[str, Counter[str]]) -> None:
    assert measured["POST /login (wrong password)"] == measured["POST /login (unknown email)"]
    assert measured["POST /login (wrong password)"] == Counter({"dynamodb.BatchGetItem": 1,
                                                                "dynamodb.TransactWriteItems": 1})


def test_no_ceiling_is_below_its_target_or_hides_why() -> None:
    for flow, target in TARGETS.items():
        assert target.ceiling >= target.target, flow
        assert (target.ceiling == target.target) == (not target.why), flow
