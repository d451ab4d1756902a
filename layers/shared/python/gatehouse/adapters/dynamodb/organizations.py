"""The organizations port on DynamoDB."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from gatehouse.adapters import codec
from gatehouse.adapters.dynamodb.table import Table, conditional_failed, to_item
from gatehouse.errors import ConditionFailedError
from gatehouse.ports import (
    Grant,
    Member,
)


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

    def _remove(self, owner_id: str, listed_sk: str, other: tuple[str, str]) -> bool:
        try:
            self._t.transact([
                {"Delete": {"Key": to_item({"pk": f"ACCOUNT#{owner_id}", "sk": listed_sk}),
                            "ConditionExpression": "attribute_exists(pk)"}},
                {"Delete": {"Key": to_item({"pk": other[0], "sk": other[1]})}},
            ])
        except ClientError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def add_member(self, member: Member) -> None:
        values = {"member_id": member.id, "owner_id": member.owner_id, "email": member.email, "role": member.role,
                  "created_at": codec.iso(member.created_at)}
        try:
            self._t.transact([
                {"Put": {"Item": to_item({**values, "pk": f"MEMBEROF#{member.email}", "sk": member.owner_id}),
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Put": {"Item": to_item({**values, "pk": f"ACCOUNT#{member.owner_id}", "sk": f"MEMBER#{member.id}"})}},
            ])
        except ClientError as exc:
            if conditional_failed(exc):
                raise ConditionFailedError() from exc
            raise

    def members(self, owner_id: str) -> list[Member]:
        return sorted((self._member(i) for i in self._query(f"ACCOUNT#{owner_id}", "MEMBER#")),
                      key=lambda m: (m.created_at, m.id))

    def remove_member(self, owner_id: str, member_id: str) -> bool:
        listed = self._t.get(f"ACCOUNT#{owner_id}", f"MEMBER#{member_id}")
        if listed is None:
            return False
        return self._remove(owner_id, f"MEMBER#{member_id}", (f"MEMBEROF#{listed['email']}", owner_id))

    def memberships(self, email: str) -> list[Member]:
        return [self._member(i) for i in self._query(f"MEMBEROF#{email}")]

    def add_grant(self, grant: Grant) -> None:
        values = {"grant_id": grant.id, "owner_id": grant.owner_id, "grantee_email": grant.grantee_email,
                  "resources": list(grant.resources), "permissions": list(grant.permissions),
                  "created_at": codec.iso(grant.created_at),
                  "grant_expires_at": codec.iso(grant.expires_at) if grant.expires_at else None}
        self._t.transact([
            {"Put": {"Item": to_item({**values, "pk": f"ACCOUNT#{grant.owner_id}", "sk": f"GRANT#{grant.id}"}),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"Item": to_item({**values, "pk": f"GRANTEE#{grant.grantee_email}",
                                      "sk": f"{grant.owner_id}#{grant.id}"})}},
        ])

    def grants(self, owner_id: str) -> list[Grant]:
        return sorted((self._grant(i) for i in self._query(f"ACCOUNT#{owner_id}", "GRANT#")),
                      key=lambda g: (g.created_at, g.id))

    def remove_grant(self, owner_id: str, grant_id: str) -> bool:
        listed = self._t.get(f"ACCOUNT#{owner_id}", f"GRANT#{grant_id}")
        if listed is None:
            return False
        return self._remove(owner_id, f"GRANT#{grant_id}",
                            (f"GRANTEE#{listed['grantee_email']}", f"{owner_id}#{grant_id}"))

    def grants_to(self, email: str) -> list[Grant]:
        return [self._grant(i) for i in self._query(f"GRANTEE#{email}")]
