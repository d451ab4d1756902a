"""The round-trip ports on DynamoDB: what several ports need together, in one call on the one table.

A password login reads its email's claim item (which carries the account's login projection) and
its two throttle counters in one BatchGetItem, and starts its session (ending the token it came
with, clearing its failures) in one transaction; a session route reads the session and its
account in one BatchGetItem (the account id travels beside the token); choosing a console stores
the hand-off code and saves the session in one transaction. One class per flow that needs it, so
that each Lambda's role reaches only the keys its own flow sends (infra/permissions.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gatehouse.adapters import codec
from gatehouse.adapters.dynamodb import keys
from gatehouse.adapters.dynamodb.accounts import DynamoAccounts
from gatehouse.adapters.dynamodb.mfa import factor_from
from gatehouse.adapters.dynamodb.one_time import one_time_item
from gatehouse.adapters.dynamodb.sessions import live_session, session_item
from gatehouse.adapters.dynamodb.table import ConditionLost, Table, get_many, to_item
from gatehouse.adapters.dynamodb.throttle import failure_record
from gatehouse.domain.accounts import Account, normalise_email
from gatehouse.domain.factors import Advance, Factor
from gatehouse.domain.login import LoginRead
from gatehouse.domain.one_time import OneTimeItem
from gatehouse.domain.sessions import Session
from gatehouse.domain.throttling import FailureRecord


class DynamoLoginRoundTrips:
    def __init__(self, table: Table) -> None:
        self._t = table

    def login(self, email: str, counters: Sequence[str], now: datetime) -> LoginRead:
        claim_key = keys.claim("email", normalise_email(email))
        counter_keys = [keys.throttle(k) for k in counters]
        items = get_many(self._t, [claim_key, *counter_keys])
        claim = items.get(claim_key)
        account: Account | None = None
        if claim and claim.get("login"):
            account = codec.account_from_dict(claim["login"])
        elif claim:  # a claim written before it carried the projection: one more read
            account = DynamoAccounts(self._t).get(claim["account_id"])
        failures = {k: failure_record(items.get(key), now) for k, key in zip(counters, counter_keys, strict=True)}
        return LoginRead(account=account, failures=failures)

    def start_session(self, session: Session, replacing: str | None, cleared: Sequence[str]) -> None:
        ops: list[dict[str, Any]] = [{"Put": {"Item": to_item(session_item(session)),
                                               "ConditionExpression": "attribute_not_exists(pk)"}}]
        deleted = [keys.session(replacing)] if replacing and replacing != session.token_hash else []
        deleted += [keys.throttle(k) for k in dict.fromkeys(cleared)]
        ops += [{"Delete": {"Key": to_item(key.item())}} for key in deleted]
        self._t.transact(ops)  # lost (the token is taken): ConditionLost


class DynamoSessionRoundTrips:
    def __init__(self, table: Table) -> None:
        self._t = table

    def session(self, token_hash: str, account_id: str, now: datetime) -> tuple[Session | None, Account | None]:
        session_key, account_key = keys.session(token_hash), keys.account(account_id)
        items = get_many(self._t, [session_key, account_key])
        account_item = items.get(account_key)
        account = codec.account_from_dict(account_item["data"]) if account_item else None
        return live_session(items.get(session_key), now), account


class DynamoConsoleRoundTrips:
    def __init__(self, table: Table) -> None:
        self._t = table

    def put_with_session(self, item: OneTimeItem, session: Session) -> None:
        self._t.transact([
            {"Put": {"Item": to_item(one_time_item(item))}},
            # Only a session that still exists is saved: a logout racing this request wins (ConditionLost).
            {"Put": {"Item": to_item(session_item(session)), "ConditionExpression": "attribute_exists(pk)"}},
        ])


class DynamoSecondFactorRoundTrips:
    def __init__(self, table: Table) -> None:
        self._t = table

    def read(self, account_id: str, factor_ids: Sequence[str], counters: Sequence[str], now: datetime
             ) -> tuple[list[Factor], dict[str, FailureRecord]]:
        factor_keys = [keys.factor(account_id, f) for f in factor_ids]
        counter_keys = [keys.throttle(k) for k in counters]
        items = get_many(self._t, [*factor_keys, *counter_keys])
        factors = [factor_from(items[key]) for key in factor_keys if key in items]
        return factors, {k: failure_record(items.get(key), now) for k, key in zip(counters, counter_keys, strict=True)}

    def advance_and_elevate(self, advance: Advance, session: Session, replacing: str) -> bool:
        try:
            self._t.transact([
                # The single use of a TOTP step: of two requests presenting it, one moves the counter.
                {"Update": {"Key": to_item(keys.factor(advance.account_id, advance.factor_id).item()),
                            "UpdateExpression": "SET #c = :c",
                            "ConditionExpression": "attribute_exists(pk) AND #c < :c",
                            "ExpressionAttributeNames": {"#c": "counter"},
                            "ExpressionAttributeValues": to_item({":c": advance.counter})}},
                {"Put": {"Item": to_item(session_item(session)), "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Delete": {"Key": to_item(keys.session(replacing).item())}},
            ])
        except ConditionLost as lost:
            if not lost.reasons or lost.reasons[0] != "None":
                return False  # the step was used
            raise  # lost on the new session (its token taken, a concurrent write): the ConditionFailedError it was
        return True
