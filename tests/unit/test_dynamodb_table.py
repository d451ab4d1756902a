"""The table wrapper turns a lost condition into the domain's error once, for every write."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError
from gatehouse.adapters.dynamodb.table import (
    ConditionLost,
    Table,
    attempt,
    single_write,
    to_item,
    transact_each,
)
from gatehouse.errors import ConditionFailedError

from tests.support.moto_table import moto_table

NEW = "attribute_not_exists(pk)"


@pytest.fixture(scope="module")
def table() -> Iterator[Table]:
    with moto_table("wrapper") as t:
        yield t


def _put(pk: str, condition: str = NEW) -> dict[str, dict[str, object]]:
    return {"Put": {"Item": to_item({"pk": pk, "sk": "X"}), "ConditionExpression": condition}}


def test_each_write_that_loses_its_condition_raises_the_domain_error(table: Table) -> None:
    table.put({"pk": "T#put", "sk": "X"}, ConditionExpression=NEW)
    with pytest.raises(ConditionFailedError):
        table.put({"pk": "T#put", "sk": "X"}, ConditionExpression=NEW)
    with pytest.raises(ConditionFailedError):
        table.update("T#missing", "X", "SET n = :n", {":n": 1}, ConditionExpression="attribute_exists(pk)")
    with pytest.raises(ConditionFailedError):
        table.delete("T#missing", "X", ConditionExpression="attribute_exists(pk)")
    with pytest.raises(ConditionFailedError):
        table.transact([_put("T#put")])


def test_a_lost_transaction_says_which_of_its_operations_lost(table: Table) -> None:
    table.put({"pk": "T#taken", "sk": "X"})
    with pytest.raises(ConditionLost) as lost:
        table.transact([_put("T#free"), _put("T#taken")])
    assert lost.value.reasons == ["None", "ConditionalCheckFailed"]
    assert table.get("T#free", "X") is None  # all or nothing


def test_the_lost_condition_is_only_the_domain_error_with_dynamodb_s_refusal_as_its_cause(table: Table) -> None:
    table.put({"pk": "T#compat", "sk": "X"})
    with pytest.raises(ConditionLost) as lost:
        table.put({"pk": "T#compat", "sk": "X"}, ConditionExpression=NEW)
    assert not isinstance(lost.value, ClientError)  # an `except ClientError` never swallows a lost race
    assert isinstance(lost.value.__cause__, ClientError)
    assert lost.value.__cause__.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert lost.value.message == ConditionFailedError.message and lost.value.details == {}
    assert lost.value.reasons == []


def test_an_error_that_is_not_a_lost_condition_stays_what_it_was(table: Table) -> None:
    with pytest.raises(ClientError) as refused:
        table.update("T#bad", "X", "SET = nonsense", {":n": 1})
    assert not isinstance(refused.value, ConditionFailedError)


def test_attempt_answers_whether_its_writes_won(table: Table) -> None:
    with attempt() as first:
        table.put({"pk": "T#attempt", "sk": "X"}, ConditionExpression=NEW)
    with attempt() as second:
        table.put({"pk": "T#attempt", "sk": "X"}, ConditionExpression=NEW)
    assert (first.won, second.won) == (True, False)
    with pytest.raises(ClientError), attempt():  # only a lost condition is an answer
        table.update("T#bad", "X", "SET = nonsense", {":n": 1})


def test_single_and_batched_conditional_writes_say_which_won(table: Table) -> None:
    assert single_write(table, _put("T#single")) is True
    assert single_write(table, _put("T#single")) is False
    table.put({"pk": "T#each-taken", "sk": "X"})
    ops = [_put("T#each-1"), _put("T#each-taken"), _put("T#each-2")]
    assert transact_each(table, ops) == [True, False, True]
    assert transact_each(table, [_put("T#each-3"), _put("T#each-1")], size=1) == [True, False]
