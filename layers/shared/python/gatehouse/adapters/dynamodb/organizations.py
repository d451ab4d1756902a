"""The organizations port on DynamoDB."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatehouse.adapters import codec
from gatehouse.adapters.dynamodb import keys
from gatehouse.adapters.dynamodb.keys import Key
from gatehouse.adapters.dynamodb.table import Table, attempt, to_item
from gatehouse.domain.organization import Grant, Member


class DynamoOrganizations:
    """A member is two items: `ACCOUNT#<owner>` / `MEMBER#<id>` (the owner's list) and
    `MEMBEROF#<email>` / `<owner>` (what an access check reads; its key makes one email a member
    of one organization once). A grant likewise: `ACCOUNT#<owner>` / `GRANT#<id>` and
    `GRANTEE#<email>` / `<owner>#<id>`. Both items of one are written and deleted in one transaction."""

    def __init__(self, table: Table) -> None:
        self._t = table

    @staticmethod
    def _member(v: Mapping[str, Any]) -> Member:
        return Member(id=v["member_id"], owner_id=v["owner_id"], email=v["email"], role=v["role"],
                      created_at=codec.parse_iso(v["created_at"]))  # type: ignore[arg-type]

    @staticmethod
    def _grant(v: Mapping[str, Any]) -> Grant:
        expires = v.get("grant_expires_at")
        return Grant(id=v["grant_id"], owner_id=v["owner_id"], grantee_email=v["grantee_email"],
                     resources=tuple(v["resources"]), permissions=tuple(v["permissions"]),
                     created_at=codec.parse_iso(v["created_at"]),  # type: ignore[arg-type]
                     expires_at=codec.parse_iso(expires) if expires else None)

    def _query(self, pk: str, prefix: str = "") -> list[dict[str, Any]]:
        if prefix:
            return self._t.query(KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                                 ExpressionAttributeValues=to_item({":p": pk, ":s": prefix}), ConsistentRead=True)
        return self._t.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues=to_item({":p": pk}),
                             ConsistentRead=True)

    def _remove(self, listed: Key, other: Key) -> bool:
        with attempt() as write:
            self._t.transact([
                {"Delete": {"Key": to_item(listed.item()), "ConditionExpression": "attribute_exists(pk)"}},
                {"Delete": {"Key": to_item(other.item())}},
            ])
        return write.won

    def add_member(self, member: Member) -> None:
        values = {"member_id": member.id, "owner_id": member.owner_id, "email": member.email, "role": member.role,
                  "created_at": codec.iso(member.created_at)}
        self._t.transact([
            {"Put": {"Item": to_item({**values, **keys.member_of(member.email, member.owner_id).item()}),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"Item": to_item({**values, **keys.member(member.owner_id, member.id).item()})}},
        ])

    def members(self, owner_id: str) -> list[Member]:
        return sorted((self._member(i) for i in self._query(keys.account_pk(owner_id), keys.MEMBER)),
                      key=lambda m: (m.created_at, m.id))

    def remove_member(self, owner_id: str, member_id: str) -> bool:
        listed = keys.member(owner_id, member_id)
        found = self._t.get(*listed)
        if found is None:
            return False
        return self._remove(listed, keys.member_of(found["email"], owner_id))

    def memberships(self, email: str) -> list[Member]:
        return [self._member(i) for i in self._query(keys.member_of_pk(email))]

    def add_grant(self, grant: Grant) -> None:
        values = {"grant_id": grant.id, "owner_id": grant.owner_id, "grantee_email": grant.grantee_email,
                  "resources": list(grant.resources), "permissions": list(grant.permissions),
                  "created_at": codec.iso(grant.created_at),
                  "grant_expires_at": codec.iso(grant.expires_at) if grant.expires_at else None}
        self._t.transact([
            {"Put": {"Item": to_item({**values, **keys.grant(grant.owner_id, grant.id).item()}),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"Item": to_item({**values, **keys.grantee(grant.grantee_email, grant.owner_id,
                                                               grant.id).item()})}},
        ])

    def grants(self, owner_id: str) -> list[Grant]:
        return sorted((self._grant(i) for i in self._query(keys.account_pk(owner_id), keys.GRANT)),
                      key=lambda g: (g.created_at, g.id))

    def remove_grant(self, owner_id: str, grant_id: str) -> bool:
        listed = keys.grant(owner_id, grant_id)
        found = self._t.get(*listed)
        if found is None:
            return False
        return self._remove(listed, keys.grantee(found["grantee_email"], owner_id, grant_id))

    def grants_to(self, email: str) -> list[Grant]:
        return [self._grant(i) for i in self._query(keys.grantee_pk(email))]
