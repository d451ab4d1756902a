"""DynamoDB adapters, one module per port, over one table (single-table design, TTL on `expires_at`).

Keys: `pk`/`sk`; one GSI (`gsi1pk`/`gsi1sk`). Every one-time consumption is one conditional write:
DynamoDB's TTL deletes expired items only eventually (moto never does), so each condition re-checks
`expires_at > now` itself. `table` holds the client wrapper, `schema` the table's definition.
"""

from __future__ import annotations

from gatehouse.adapters.dynamodb.accounts import DynamoAccounts
from gatehouse.adapters.dynamodb.api_keys import DynamoApiKeys
from gatehouse.adapters.dynamodb.config import DynamoConfig
from gatehouse.adapters.dynamodb.identities import DynamoIdentities
from gatehouse.adapters.dynamodb.mfa import DynamoMfa
from gatehouse.adapters.dynamodb.one_time import DynamoOneTime
from gatehouse.adapters.dynamodb.organizations import DynamoOrganizations
from gatehouse.adapters.dynamodb.outbox import DynamoOutbox
from gatehouse.adapters.dynamodb.recovery_requests import DynamoRecoveryRequests
from gatehouse.adapters.dynamodb.resources import DynamoResources
from gatehouse.adapters.dynamodb.round_trips import (
    DynamoConsoleRoundTrips,
    DynamoLoginRoundTrips,
    DynamoSecondFactorRoundTrips,
    DynamoSessionRoundTrips,
)
from gatehouse.adapters.dynamodb.schema import create_table
from gatehouse.adapters.dynamodb.sessions import DynamoSessions
from gatehouse.adapters.dynamodb.table import (
    Table,
    from_item,
    to_item,
)
from gatehouse.adapters.dynamodb.throttle import DynamoThrottle
from gatehouse.adapters.dynamodb.unification import SHARDS, DynamoUnification
from gatehouse.adapters.dynamodb.verifications import DynamoVerifications

__all__ = [
    "SHARDS",
    "DynamoAccounts",
    "DynamoApiKeys",
    "DynamoConfig",
    "DynamoConsoleRoundTrips",
    "DynamoIdentities",
    "DynamoLoginRoundTrips",
    "DynamoMfa",
    "DynamoOneTime",
    "DynamoOrganizations",
    "DynamoOutbox",
    "DynamoRecoveryRequests",
    "DynamoResources",
    "DynamoSecondFactorRoundTrips",
    "DynamoSessionRoundTrips",
    "DynamoSessions",
    "DynamoThrottle",
    "DynamoUnification",
    "DynamoVerifications",
    "Table",
    "create_table",
    "from_item",
    "to_item",
]
