"""The organization store behaves the same as a fake and on DynamoDB: members and grants are
found from their owner and from the person's email, an email joins one organization once, and
only the owner removes what is theirs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from gatehouse.domain.organization import Grant, Member
from gatehouse.errors import ConditionFailedError

from tests.conformance.conftest import build

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(impl, request):
    return build("Organizations", impl, request)


def _uid() -> str:
    return uuid.uuid4().hex[:10]


def _member(owner: str, email: str, n: int = 0, role: str = "member") -> Member:
    return Member(id=f"mem_{_uid()}", owner_id=owner, email=email, role=role, created_at=NOW + timedelta(minutes=n))


def _grant(owner: str, email: str, n: int = 0, expires_at: datetime | None = None) -> Grant:
    return Grant(id=f"grt_{_uid()}", owner_id=owner, grantee_email=email, resources=("srv-1", "srv-2"),
                 permissions=("read", "reboot"), created_at=NOW + timedelta(minutes=n), expires_at=expires_at)


def test_members_are_listed_by_owner_and_found_by_email(store) -> None:
    owner, other, email = f"acc_{_uid()}", f"acc_{_uid()}", f"{_uid()}@example.com"
    first, second = _member(owner, email, 1, "admin"), _member(owner, f"b{email}", 2)
    elsewhere = _member(other, email, 3)
    for m in (second, first, elsewhere):
        store.add_member(m)
    assert store.members(owner) == [first, second]
    assert sorted(store.memberships(email), key=lambda m: m.owner_id) == sorted([first, elsewhere],
                                                                               key=lambda m: m.owner_id)


def test_an_email_joins_one_organization_once(store) -> None:
    owner, email = f"acc_{_uid()}", f"{_uid()}@example.com"
    store.add_member(_member(owner, email))
    with pytest.raises(ConditionFailedError):
        store.add_member(_member(owner, email, role="admin"))
    assert [m.role for m in store.members(owner)] == ["member"]


def test_only_the_owner_removes_a_member_and_then_it_is_gone_from_both_sides(store) -> None:
    owner, email = f"acc_{_uid()}", f"{_uid()}@example.com"
    member = _member(owner, email)
    store.add_member(member)
    assert store.remove_member(f"acc_{_uid()}", member.id) is False
    assert store.remove_member(owner, member.id) is True
    assert store.members(owner) == [] and store.memberships(email) == []
    assert store.remove_member(owner, member.id) is False
    store.add_member(_member(owner, email))  # and may join again
    assert len(store.memberships(email)) == 1


def test_grants_are_listed_by_owner_found_by_email_and_removed_by_their_owner_only(store) -> None:
    owner, email = f"acc_{_uid()}", f"{_uid()}@example.com"
    lasting, ending = _grant(owner, email, 1), _grant(owner, email, 2, expires_at=NOW + timedelta(days=7))
    store.add_grant(ending)
    store.add_grant(lasting)
    assert store.grants(owner) == [lasting, ending]
    assert sorted(g.id for g in store.grants_to(email)) == sorted([lasting.id, ending.id])
    assert store.remove_grant(f"acc_{_uid()}", lasting.id) is False
    assert store.remove_grant(owner, lasting.id) is True
    assert store.grants(owner) == [ending] and store.grants_to(email) == [ending]
