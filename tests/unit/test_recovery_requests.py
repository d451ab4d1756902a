"""Manual recovery requests over fakes: the same answer for any key, support only, one decision,
and an approval that moves the account to the new address and sends it a reset link."""

from __future__ import annotations

import re

import pytest
from gatehouse.bootstrap import Container
from gatehouse.domain.accounts import Account
from gatehouse.errors import ConflictError, ForbiddenError, NotAuthenticatedError, NotFoundError, RateLimitedError
from gatehouse.flows.recovery import Lookup

from tests.unit.conftest import FAST

PASSWORD = "a quiet harbour at dawn"


@pytest.fixture
def c() -> Container:
    return Container.in_memory(FAST)


def _account(c: Container, email: str, **extra) -> Account:
    account = Account(id=f"acc_{abs(hash(email)) % 10**12:012d}", email=email, created_at=c.clock.now(),
                      password_hash=c.hasher.hash(PASSWORD), email_verified=True, extra=extra)
    c.accounts.add(account, aliases={"domain": [f"{email.split('@')[0]}.example"]})
    return account


def _signed_in(c: Container, account: Account):
    return c.sessions.authenticate(c.login.login(account.email, PASSWORD, ip="10.0.0.1").token)


def _submit(c: Container, lookup: Lookup, new_email: str = "new@example.net", ip: str = "10.0.0.9") -> dict:
    return c.recovery_requests.submit(lookup, new_email, "1 rue de la Paix, Paris", "+33612345678", ip=ip)


def test_the_answer_has_the_same_shape_whether_or_not_the_key_matches_an_account(c: Container) -> None:
    jane = _account(c, "jane@example.com")
    known = _submit(c, Lookup("domain", "jane.example"))
    unknown = _submit(c, Lookup("domain", "nobody.example"))
    assert set(known) == set(unknown) == {"request_id", "uploads"}
    assert [u["document"] for u in known["uploads"]] == ["last_bill", "card_statement"]
    assert known["uploads"][0]["fields"]["key"] == f"recovery-requests/{known['request_id']}/last_bill"
    # The owner of the account hears of it; nobody else is written to.
    [notice] = c.mailer.sent
    assert notice.to == jane.email and "contact support now" in notice.text


def test_only_support_agents_see_and_decide_requests(c: Container) -> None:
    jane = _account(c, "jane@example.com")
    made = _submit(c, Lookup("domain", "jane.example"))
    with pytest.raises(ForbiddenError):
        c.recovery_requests.pending(_signed_in(c, jane))
    with pytest.raises(ForbiddenError):
        c.recovery_requests.decide(_signed_in(c, jane), made["request_id"], True, "")
    agent = _signed_in(c, _account(c, "agent@example.com", roles=["support"]))
    [listed] = c.recovery_requests.pending(agent)["requests"]
    assert listed["account"] == {"id": jane.id, "email": jane.email} and listed["new_email"] == "new@example.net"
    assert [d["document"] for d in listed["documents"]] == ["last_bill", "card_statement"]


def test_an_approval_moves_the_account_ends_its_sessions_and_sends_the_new_address_a_reset_link(c: Container) -> None:
    jane = _account(c, "jane@example.com")
    janes_session = _signed_in(c, jane)
    made = _submit(c, Lookup("identifier", jane.id))
    agent = _signed_in(c, _account(c, "agent@example.com", roles=["support"]))
    assert c.recovery_requests.decide(agent, made["request_id"], True, "documents match") == {
        "request_id": made["request_id"], "status": "approved"}
    moved = c.accounts.get(jane.id)
    assert moved.email == "new@example.net" and c.accounts.get_by_email("jane@example.com") is None
    with pytest.raises(NotAuthenticatedError):
        c.sessions.authenticate(janes_session.token)
    assert "now uses new@example.net" in c.mailer.to("jane@example.com")[-1].text
    link = c.mailer.to("new@example.net")[-1].text
    token = re.search(r"token=([A-Za-z0-9_\-]+)", link).group(1)  # type: ignore[union-attr]
    c.recovery.complete("email", {"token": token}, "tidal pools under copper skies")
    assert c.login.login("new@example.net", "tidal pools under copper skies", ip="10.0.0.1").token
    assert c.recovery_requests.pending(agent) == {"requests": []}


def test_a_request_is_decided_once(c: Container) -> None:
    jane = _account(c, "jane@example.com")
    made = _submit(c, Lookup("identifier", jane.id))
    agent = _signed_in(c, _account(c, "agent@example.com", roles=["support"]))
    c.recovery_requests.decide(agent, made["request_id"], False, "the bill names someone else")
    assert "the bill names someone else" in c.mailer.to("new@example.net")[-1].text
    assert c.accounts.get(jane.id).email == "jane@example.com"
    with pytest.raises(ConflictError):
        c.recovery_requests.decide(agent, made["request_id"], True, "")
    with pytest.raises(NotFoundError):
        c.recovery_requests.decide(agent, "rrq_nope", True, "")


def test_a_request_matching_no_account_or_asking_for_a_taken_address_can_only_be_rejected(c: Container) -> None:
    _account(c, "jane@example.com")
    _account(c, "taken@example.net")
    agent = _signed_in(c, _account(c, "agent@example.com", roles=["support"]))
    nobody = _submit(c, Lookup("domain", "nobody.example"))
    taken = _submit(c, Lookup("domain", "jane.example"), new_email="taken@example.net")
    for made in (nobody, taken):
        with pytest.raises(ConflictError):
            c.recovery_requests.decide(agent, made["request_id"], True, "")
        assert c.recovery_requests.decide(agent, made["request_id"], False, "")["status"] == "rejected"
    assert c.accounts.get_by_email("jane@example.com") is not None


def test_one_source_ip_makes_a_bounded_number_of_requests(c: Container) -> None:
    for _ in range(c.settings.recovery_requests_per_ip):
        _submit(c, Lookup("domain", "nobody.example"), ip="203.0.113.5")
    with pytest.raises(RateLimitedError):
        _submit(c, Lookup("domain", "nobody.example"), ip="203.0.113.5")
    assert _submit(c, Lookup("domain", "nobody.example"), ip="203.0.113.6")["request_id"]
