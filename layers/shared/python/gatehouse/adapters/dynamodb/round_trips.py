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

from botocore.exceptions import ClientError

from gatehouse.adapters import codec
from gatehouse.adapters.dynamodb.accounts import DynamoAccounts
from gatehouse.adapters.dynamodb.mfa import DynamoMfa
from gatehouse.adapters.dynamodb.one_time import DynamoOneTime
from gatehouse.adapters.dynamodb.sessions import DynamoSessions, live_session
from gatehouse.adapters.dynamodb.table import Table, conditional_failed, get_many, to_item
from gatehouse.adapters.dynamodb.throttle import failure_record, failures_key
from gatehouse.domain.accounts import Account, normalise_email
from gatehouse.domain.factors import Advance, Factor
from gatehouse.domain.login import LoginRead
from gatehouse.domain.one_time import OneTimeItem
from gatehouse.domain.sessions import Session
from gatehouse.domain.throttling import FailureRecord
from gatehouse.errors import ConditionFailedError


def _session_item(session: Session) -> dict[str, Any]:
    return DynamoSessions._item(session)


class DynamoLoginRoundTrips:
    def __init__(self, table: Table) -> None:
        self._t = table

    def login(self, email: str, counters: Sequence[str], now: datetime) -> LoginRead:
        claim_key = DynamoAccounts._claim("email", normalise_email(email))
        counter_keys = [failures_key(k) for k in counters]
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
        ops: list[dict[str, Any]] = [{"Put": {"Item": to_item(_session_item(session)),
                                               "ConditionExpression": "attribute_not_exists(pk)"}}]
        deleted = [DynamoSessions._key(replacing)] if replacing and replacing != session.token_hash else []
        deleted += [failures_key(k) for k in dict.fromkeys(cleared)]
        ops += [{"Delete": {"Key": to_item({"pk": pk, "sk": sk})}} for pk, sk in deleted]
        try:
            self._t.transact(ops)
        except ClientError as exc:
            if conditional_failed(exc):
                raise ConditionFailedError() from exc
            raise


class DynamoSessionRoundTrips:
    def __init__(self, table: Table) -> None:
        self._t = table

    def session(self, token_hash: str, account_id: str, now: datetime) -> tuple[Session | None, Account | None]:
        session_key, account_key = DynamoSessions._key(token_hash), DynamoAccounts._key(account_id)
        items = get_many(self._t, [session_key, account_key])
        account_item = items.get(account_key)
        account = codec.account_from_dict(account_item["data"]) if account_item else None
        return live_session(items.get(session_key), now), account


class DynamoConsoleRoundTrips:
    def __init__(self, table: Table) -> None:
        self._t = table

    def put_with_session(self, item: OneTimeItem, session: Session) -> None:
        pk, sk = DynamoOneTime._key(item.kind, item.key)
        once = {"pk": pk, "sk": sk, "subject": item.subject, "expires_at": codec.epoch(item.expires_at),
                "data": dict(item.data)}
        try:
            self._t.transact([
                {"Put": {"Item": to_item(once)}},
                # Only a session that still exists is saved: a logout racing this request wins.
                {"Put": {"Item": to_item(_session_item(session)), "ConditionExpression": "attribute_exists(pk)"}},
            ])
        except ClientError as exc:
            if conditional_failed(exc):
                raise ConditionFailedError() from exc
            raise


class DynamoSecondFactorRoundTrips:
    def __init__(self, table: Table) -> None:
        self._t = table

    def read(self, account_id: str, factor_ids: Sequence[str], counters: Sequence[str], now: datetime
             ) -> tuple[list[Factor], dict[str, FailureRecord]]:
        factor_keys = [DynamoMfa._key(account_id, f) for f in factor_ids]
        counter_keys = [failures_key(k) for k in counters]
        items = get_many(self._t, [*factor_keys, *counter_keys])
        factors = [DynamoMfa._from(items[key]) for key in factor_keys if key in items]
        return factors, {k: failure_record(items.get(key), now) for k, key in zip(counters, counter_keys, strict=True)}

    def advance_and_elevate(self, advance: Advance, session: Session, replacing: str) -> bool:
        pk, sk = DynamoMfa._key(advance.account_id, advance.factor_id)
        old_pk, old_sk = DynamoSessions._key(replacing)
        try:
            self._t.transact([
                # The single use of a TOTP step: of two requests presenting it, one moves the counter.
                {"Update": {"Key": to_item({"pk": pk, "sk": sk}), "UpdateExpression": "SET #c = :c",
                            "ConditionExpression": "attribute_exists(pk) AND #c < :c",
                            "ExpressionAttributeNames": {"#c": "counter"},
                            "ExpressionAttributeValues": to_item({":c": advance.counter})}},
                {"Put": {"Item": to_item(_session_item(session)), "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Delete": {"Key": to_item({"pk": old_pk, "sk": old_sk})}},
            ])
        except ClientError as exc:
            if not conditional_failed(exc):
                raise
            reasons = exc.response.get("CancellationReasons") or []
            if not reasons or reasons[0].get("Code") not in (None, "None"):
                return False
            raise ConditionFailedError() from exc
        return True
