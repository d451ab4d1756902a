"""The table's definition: keys, the one GSI, on-demand billing and TTL on `expires_at`."""

from __future__ import annotations

from botocore.exceptions import ClientError

from gatehouse.adapters.aws import client, error_code
from gatehouse.settings import Settings


def create_table(settings: Settings) -> None:
    """Create the table (idempotent): on-demand, TTL on expires_at, the sessions GSI."""
    ddb = client("dynamodb", settings)
    try:
        ddb.create_table(
            TableName=settings.table_name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "gsi1pk", "gsi1sk")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[{
                "IndexName": "gsi1",
                "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"},
                              {"AttributeName": "gsi1sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }],
        )
    except ClientError as exc:
        if error_code(exc) != "ResourceInUseException":
            raise
        return
    ddb.get_waiter("table_exists").wait(TableName=settings.table_name)
    ddb.update_time_to_live(TableName=settings.table_name,
                            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
