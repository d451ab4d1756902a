"""The AWS call counter of the bench and the call-counting tests."""

from __future__ import annotations

from tests.support.aws_calls import CallCounter, counter


def test_call_counter_counts_service_and_operation_only_while_counting() -> None:
    class Model:
        name = "GetItem"

        class service_model:  # the shape of botocore's OperationModel
            endpoint_prefix = "dynamodb"

    counter = CallCounter()
    counter(model=Model())
    with counter.counting() as calls:
        counter(model=Model())
        counter(model=Model())
    counter(model=Model())
    assert calls == {"dynamodb.GetItem": 2}


def test_the_process_has_one_counter_registered_once() -> None:
    assert counter() is counter()
