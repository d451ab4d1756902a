"""The local stack's moto rolls a cancelled transaction back item by item (gatehouse.local.moto_server)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from gatehouse.local import moto_server
from moto import mock_aws

from tests.support.race import race


@pytest.fixture
def client():
    moto_server.install()
    with mock_aws():
        c = boto3.client("dynamodb", region_name="eu-west-3", aws_access_key_id="t", aws_secret_access_key="t")
        c.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                             {"AttributeName": "sk", "AttributeType": "S"}],
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}])
        yield c


def _key(pk: str) -> dict:
    return {"pk": {"S": pk}, "sk": {"S": "x"}}


def test_a_cancelled_transaction_restores_updated_and_deleted_items_and_drops_new_ones(client) -> None:
    client.put_item(TableName="t", Item={**_key("updated"), "n": {"N": "1"}})
    client.put_item(TableName="t", Item={**_key("deleted"), "n": {"N": "1"}})
    with pytest.raises(ClientError) as raised:
        client.transact_write_items(TransactItems=[
            {"Update": {"TableName": "t", "Key": _key("updated"), "UpdateExpression": "SET n = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}}}},
            {"Delete": {"TableName": "t", "Key": _key("deleted")}},
            {"Put": {"TableName": "t", "Item": {**_key("new"), "n": {"N": "1"}}}},
            {"ConditionCheck": {"TableName": "t", "Key": _key("missing"),
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert client.get_item(TableName="t", Key=_key("updated"))["Item"]["n"] == {"N": "1"}
    assert client.get_item(TableName="t", Key=_key("deleted"))["Item"]["n"] == {"N": "1"}
    assert "Item" not in client.get_item(TableName="t", Key=_key("new"))
    assert client.scan(TableName="t")["Count"] == 2


def test_a_transaction_that_succeeds_writes_every_item(client) -> None:
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": "t", "Item": {**_key(f"item{i}"), "n": {"N": "1"}},
                 "ConditionExpression": "attribute_not_exists(pk)"}} for i in range(100)])
    assert client.scan(TableName="t")["Count"] == 100


def test_queries_page_through_a_partition_and_an_index_in_key_order(client) -> None:
    client.update_table(TableName="t", AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"},
                                                             {"AttributeName": "sk", "AttributeType": "S"}],
                        GlobalSecondaryIndexUpdates=[{"Create": {
                            "IndexName": "gsi", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                                             {"AttributeName": "sk", "KeyType": "RANGE"}],
                            "Projection": {"ProjectionType": "ALL"}}}])
    for i in reversed(range(250)):  # written out of order
        client.put_item(TableName="t", Item={"pk": {"S": f"p{i % 2}"}, "sk": {"S": f"{i:04d}"},
                                             "g": {"S": "odd" if i % 2 else "even"}})

    def pages(**query) -> list[str]:
        found, start = [], {}
        while True:
            out = client.query(TableName="t", Limit=40, **query, **start)
            found += [i["sk"]["S"] for i in out["Items"]]
            if "LastEvaluatedKey" not in out:
                return found
            start = {"ExclusiveStartKey": out["LastEvaluatedKey"]}

    evens = [f"{i:04d}" for i in range(0, 250, 2)]
    assert pages(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p0"}}) == evens
    assert pages(IndexName="gsi", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "even"}}) \
        == evens
    assert pages(KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                 ExpressionAttributeValues={":p": {"S": "p1"}, ":s": {"S": "01"}}) \
        == [f"{i:04d}" for i in range(101, 200, 2)]


def test_a_retried_transaction_with_the_same_token_succeeds_without_writing_again(client) -> None:
    put = {"Put": {"TableName": "t", "Item": {**_key("once"), "n": {"N": "1"}},
                   "ConditionExpression": "attribute_not_exists(pk)"}}
    client.transact_write_items(TransactItems=[put], ClientRequestToken="retry-of-a-late-answer")
    client.put_item(TableName="t", Item={**_key("once"), "n": {"N": "2"}})
    # botocore's retry of a transaction whose answer came late: DynamoDB answers success, writes nothing.
    client.transact_write_items(TransactItems=[put], ClientRequestToken="retry-of-a-late-answer")
    assert client.get_item(TableName="t", Key=_key("once"))["Item"]["n"] == {"N": "2"}
    with pytest.raises(ClientError) as raised:  # a new request is a new transaction
        client.transact_write_items(TransactItems=[put], ClientRequestToken="another-request")
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"


def test_of_racing_conditional_updates_of_one_item_exactly_one_wins_each_round(client) -> None:
    # Many attributes set at once: moto's check-then-write window is wide enough to race in.
    fields = {f"a{i}": {"S": "x" * 50} for i in range(40)}
    client.put_item(TableName="t", Item={**_key("raced"), "v": {"N": "0"}, **fields})
    setting = ", ".join(f"a{i} = :a" for i in range(40))
    for round_ in range(10):
        def bump(n: int, expected: int = round_) -> int | None:
            try:
                client.update_item(TableName="t", Key=_key("raced"), UpdateExpression=f"SET v = :next, {setting}",
                                   ConditionExpression="v = :expected",
                                   ExpressionAttributeValues={":next": {"N": str(expected + 1)}, ":a": {"S": str(n)},
                                                              ":expected": {"N": str(expected)}})
                return n
            except ClientError as exc:
                assert exc.response["Error"]["Code"] == "ConditionalCheckFailedException"
                return None

        wins = [n for n in race(bump) if n is not None]
        assert len(wins) == 1, (round_, wins)


def test_racing_adds_each_answer_their_own_new_count(client, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    import time

    from moto.dynamodb.models.dynamo_type import Item

    # Widen moto's window between a write and the serialising of its answer, as a loaded machine does.
    to_json = Item.to_json
    monkeypatch.setattr(Item, "to_json", lambda self: (time.sleep(0.002), to_json(self))[1])
    fields = {f"a{i}": {"S": "x" * 50} for i in range(4)}
    for round_ in range(5):
        pk = f"counted-{round_}"
        client.put_item(TableName="t", Item={**_key(pk), "c": {"N": "0"}, **fields})
        counts: list[int] = []
        barrier = threading.Barrier(8)

        def add() -> None:
            barrier.wait()
            out = client.update_item(TableName="t", Key=_key(pk), UpdateExpression="ADD c :one",
                                     ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="ALL_NEW")
            counts.append(int(out["Attributes"]["c"]["N"]))

        threads = [threading.Thread(target=add) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(counts) == list(range(1, 9)), (round_, counts)
