"""Manual recovery requests over fakes: the same answer (and time) for any key, four documents with
one-key forms, support only, a side-by-side view, no approval with a document missing, a hold that
changes nothing until it ends and that the owner can cancel, a scheduled run that applies it once,
recorded downloads, and documents deleted a while after the decision."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from gatehouse.bootstrap import Container
from gatehouse.domain.accounts import Account, MfaMethod
from gatehouse.errors import (
    ConflictError,
    DocumentsMissingError,
    ForbiddenError,
    InvalidTokenError,
    NotAuthenticatedError,
    NotFoundError,
    RateLimitedError,
)
from gatehouse.flows.recovery import Lookup
from gatehouse.flows.recovery_requests import DOCUMENTS

from tests.unit.conftest import FAST

PASSWORD = "a quiet harbour at dawn"
HOLD = FAST.recovery_hold_seconds


@pytest.fixture
def c() -> Container:
    return Container.in_memory(FAST)


def _account(c: Container, email: str, **fields) -> Account:
    extra = fields.pop("extra", {})
    account = Account(id=f"acc_{abs(hash(email)) % 10**12:012d}", email=email, created_at=c.clock.now(),
                      password_hash=c.hasher.hash(PASSWORD), email_verified=True, extra=extra, **fields)
    c.accounts.add(account, aliases={"domain": [f"{email.split('@')[0]}.example"]})
    return account


def _agent(c: Container):
    return _signed_in(c, _account(c, "agent@example.com", extra={"roles": ["support"]}))


def _signed_in(c: Container, account: Account):
    return c.sessions.authenticate(c.login.login(account.email, PASSWORD, ip="10.0.0.1").token)


def _submit(c: Container, lookup: Lookup, new_email: str = "new@example.net", ip: str = "10.0.0.9", **kw) -> dict:
    return c.recovery_requests.submit(lookup, new_email, "1 rue de la Paix, Paris", "+33612345678", ip=ip, **kw)


def _upload(c: Container, made: dict, skip: tuple[str, ...] = ()) -> None:
    for form in made["uploads"]:
        if form["document"] not in skip:
            c.documents.upload(form["fields"]["key"], form["content_type"], 1000 + len(form["document"]))


def _approved(c: Container, jane: Account, agent) -> dict:
    made = _submit(c, Lookup("identifier", jane.id))
    _upload(c, made)
    decided = c.recovery_requests.decide(agent, made["request_id"], True, "documents match")
    return {**made, **decided}


def _cancel_token(text: str) -> tuple[str, str]:
    found = re.search(r"/ui/recovery/cancel\?request=(rrq_[A-Za-z0-9_\-]+)&token=([A-Za-z0-9_\-]+)", text)
    assert found, text
    return found.group(1), found.group(2)


def test_the_answer_has_the_same_shape_whether_or_not_the_key_matches_an_account(c: Container) -> None:
    jane = _account(c, "jane@example.com")
    known = _submit(c, Lookup("domain", "jane.example"))
    unknown = _submit(c, Lookup("domain", "nobody.example"))
    assert set(known) == set(unknown) == {"request_id", "uploads", "hold_seconds"}
    assert [u["document"] for u in known["uploads"]] == [u["document"] for u in unknown["uploads"]] == [
        "identity_1", "identity_2", "last_bill", "card_statement"]
    # The owner of the account hears of it; nobody else is written to.
    [notice] = c.mailer.sent
    assert notice.to == jane.email and "contact support now" in notice.text


def test_each_document_gets_a_form_for_its_own_random_key_and_exactly_the_type_chosen(c: Container) -> None:
    first = _submit(c, Lookup("domain", "nobody.example"), content_types={"identity_1": "image/jpeg"})
    second = _submit(c, Lookup("domain", "nobody.example"))
    keys = [u["fields"]["key"] for made in (first, second) for u in made["uploads"]]
    assert len(set(keys)) == 8
    for made in (first, second):
        for upload in made["uploads"]:
            prefix = f"recovery-requests/{made['request_id']}/{upload['document']}-"
            assert upload["fields"]["key"].startswith(prefix) and len(upload["fields"]["key"]) > len(prefix) + 16
    assert [(u["content_type"], u["fields"]["Content-Type"]) for u in first["uploads"]] == [
        ("image/jpeg", "image/jpeg")] + [("application/pdf", "application/pdf")] * 3


def test_only_support_agents_see_decide_and_download(c: Container) -> None:
    jane = _account(c, "jane@example.com")
    made = _submit(c, Lookup("domain", "jane.example"))
    _upload(c, made)
    janes = _signed_in(c, jane)
    with pytest.raises(ForbiddenError):
        c.recovery_requests.pending(janes)
    with pytest.raises(ForbiddenError):
        c.recovery_requests.decide(janes, made["request_id"], True, "")
    with pytest.raises(ForbiddenError):
        c.recovery_requests.download(janes, made["request_id"], "identity_1")
    [listed] = c.recovery_requests.pending(_agent(c))["requests"]
    assert listed["account"]["id"] == jane.id and listed["new_email"] == "new@example.net"


def test_support_sees_the_request_beside_the_account_on_file(c: Container) -> None:
    jane = _account(c, "jane@example.com", name="Jane Doe", postal_address="3 quai Voltaire, Paris",
                    phone="+33611111111", organization="Doe SARL",
                    mfa_methods=(MfaMethod("mfa_1", "totp", "Phone", c.clock.now()),),
                    extra={"last_bill": {"amount": "42.00 EUR", "date": "2026-10-31"}})
    bare = _account(c, "bare@example.com")
    c.clock.advance(400 * 24 * 3600)
    made = _submit(c, Lookup("domain", "jane.example"), content_types={"identity_2": "image/png"})
    _upload(c, made, skip=("card_statement",))
    other = _submit(c, Lookup("domain", "bare.example"))
    by_id = {r["id"]: r for r in c.recovery_requests.pending(_agent(c))["requests"]}
    listed = by_id[made["request_id"]]
    assert (listed["new_email"], listed["postal_address"], listed["phone"]) == (
        "new@example.net", "1 rue de la Paix, Paris", "+33612345678")
    assert listed["account"] == {
        "id": jane.id, "email": jane.email, "name": "Jane Doe", "postal_address": "3 quai Voltaire, Paris",
        "phone": "+33611111111", "organization": "Doe SARL",
        "last_bill": {"amount": "42.00 EUR", "date": "2026-10-31"},
        "created_at": "2026-11-23T09:00:00Z", "age_days": 400, "second_factors": ["totp"]}
    documents = {d["document"]: d for d in listed["documents"]}
    assert documents["identity_2"] == {
        "document": "identity_2", "uploaded": True, "content_type": "image/png", "size": 1010,
        "url": f"/support/recovery-requests/{made['request_id']}/documents/identity_2"}
    assert documents["card_statement"] == {"document": "card_statement", "uploaded": False, "content_type": None,
                                           "size": None, "url": None}
    on_file = by_id[other["request_id"]]["account"]
    assert (on_file["id"], on_file["last_bill"], on_file["second_factors"], on_file["name"]) == (
        bare.id, None, [], None)


def test_an_approval_is_refused_while_any_document_is_missing(c: Container) -> None:
    jane = _account(c, "jane@example.com")
    agent = _agent(c)
    made = _submit(c, Lookup("identifier", jane.id))
    _upload(c, made, skip=("identity_2", "last_bill"))
    with pytest.raises(DocumentsMissingError) as refused:
        c.recovery_requests.decide(agent, made["request_id"], True, "")
    assert refused.value.code == "documents_missing"
    assert refused.value.details["missing"] == ["identity_2", "last_bill"]
    assert c.recovery_requests.pending(agent)["requests"][0]["status"] == "pending"
    _upload(c, made)
    assert c.recovery_requests.decide(agent, made["request_id"], True, "")["status"] == "approved"


def test_an_approval_starts_a_hold_announced_by_email_and_sms_during_which_nothing_changes(c: Container) -> None:
    jane = _account(c, "jane@example.com", phone="+33611111111")
    janes_session = _signed_in(c, jane)
    agent = _agent(c)
    approved = _approved(c, jane, agent)
    effective_at = c.clock.now() + timedelta(seconds=HOLD)
    assert approved["status"] == "approved" and approved["effective_at"] == effective_at.isoformat().replace(
        "+00:00", "Z")
    [announced] = [e for e in c.mailer.to(jane.email) if e.tag == "recovery_hold_started"]
    assert "new@example.net" in announced.text
    [sms] = c.sms.sent
    assert sms.to == "+33611111111" and "new@example.net" in sms.text
    # Two links, one per channel, each naming the request.
    assert _cancel_token(announced.text)[0] == _cancel_token(sms.text)[0] == approved["request_id"]
    assert _cancel_token(announced.text)[1] != _cancel_token(sms.text)[1]

    assert c.sessions.authenticate(janes_session.token).account.id == jane.id
    c.clock.advance(HOLD - 120)
    late_session = _signed_in(c, jane)
    c.clock.advance(60)
    assert c.recovery_requests.run_due() == {"applied": 0, "reopened": 0, "lost": 0, "documents_deleted": 0}
    assert c.accounts.get(jane.id).email == jane.email
    assert c.sessions.authenticate(late_session.token).account.id == jane.id
    assert c.mailer.to("new@example.net") == []


def test_when_the_hold_ends_the_account_moves_its_sessions_end_and_the_new_address_can_reset(c: Container) -> None:
    jane = _account(c, "jane@example.com", mfa_methods=(MfaMethod("mfa_1", "totp", "Phone", c.clock.now()),))
    agent = _agent(c)
    approved = _approved(c, jane, agent)
    c.clock.advance(HOLD - 3600)
    janes_session = _signed_in(c, jane)
    c.clock.advance(3600)
    assert c.recovery_requests.run_due()["applied"] == 1
    moved = c.accounts.get(jane.id)
    assert moved.email == "new@example.net" and c.accounts.get_by_email("jane@example.com") is None
    # The second factor stays: the new owner still needs it (or a recovery code).
    assert [m.type for m in moved.mfa_methods] == ["totp"]
    with pytest.raises(NotAuthenticatedError):
        c.sessions.authenticate(janes_session.token)
    assert "now uses new@example.net" in c.mailer.to("jane@example.com")[-1].text
    token = re.search(r"token=([A-Za-z0-9_\-]+)", c.mailer.to("new@example.net")[-1].text).group(1)  # type: ignore[union-attr]
    c.recovery.complete("email", {"token": token}, "tidal pools under copper skies")
    outcome = c.login.login("new@example.net", "tidal pools under copper skies", ip="10.0.0.1")
    assert outcome.result["status"] == "mfa_required"
    assert c.recovery_request_store.get(approved["request_id"]).status == "applied"


def test_the_decisions_reset_link_is_not_swallowed_by_the_reset_throttle(c: Container) -> None:
    jane = _account(c, "jane@example.com")
    agent = _agent(c)
    _approved(c, jane, agent)
    c.clock.advance(HOLD - 60)
    # Someone hammers the reset form for this account until it is throttled, silently.
    for _ in range(c.settings.reset_messages_per_account + 2):
        c.recovery.request("email", Lookup("identifier", jane.id), ip="203.0.113.1")
    c.clock.advance(60)
    c.recovery_requests.run_due()
    [link] = [e for e in c.mailer.to("new@example.net") if e.tag == "reset_link"]
    assert "/ui/reset/complete?token=" in link.text


def test_two_runs_of_the_schedule_apply_a_hold_once(c: Container) -> None:
    jane = _account(c, "jane@example.com")
    agent = _agent(c)
    _approved(c, jane, agent)
    c.clock.advance(HOLD)
    assert c.recovery_requests.run_due()["applied"] == 1
    assert c.recovery_requests.run_due()["applied"] == 0
    assert len([e for e in c.mailer.to("new@example.net") if e.tag == "reset_link"]) == 1
    assert len([e for e in c.mailer.to("jane@example.com") if e.tag == "recovery_request_approved"]) == 1


def test_the_owners_cancel_link_ends_the_request_once_and_nothing_changes(c: Container) -> None:
    jane = _account(c, "jane@example.com", phone="+33611111111")
    agent = _agent(c)
    approved = _approved(c, jane, agent)
    request_id, by_mail = _cancel_token(c.mailer.to(jane.email)[-1].text)
    _, by_sms = _cancel_token(c.sms.sent[-1].text)
    with pytest.raises(InvalidTokenError):
        c.recovery_requests.cancel(request_id, "not-the-token")
    c.recovery_requests.cancel(request_id, by_mail)
    with pytest.raises(InvalidTokenError):
        c.recovery_requests.cancel(request_id, by_mail)  # used
    with pytest.raises(InvalidTokenError):
        c.recovery_requests.cancel(request_id, by_sms)  # the request already ended
    c.clock.advance(HOLD - 60)
    janes_session = _signed_in(c, jane)
    c.clock.advance(60)
    assert c.recovery_requests.run_due()["applied"] == 0
    assert c.accounts.get(jane.id).email == jane.email
    assert c.sessions.authenticate(janes_session.token).account.id == jane.id
    assert c.recovery_request_store.get(approved["request_id"]).status == "cancelled"
    assert c.mailer.to("new@example.net") == []


def test_a_cancel_link_is_refused_for_another_request_and_once_the_hold_took_effect(c: Container) -> None:
    jane = _account(c, "jane@example.com")
    agent = _agent(c)
    approved = _approved(c, jane, agent)
    other = _submit(c, Lookup("domain", "nobody.example"))
    _, token = _cancel_token(c.mailer.to(jane.email)[-1].text)
    with pytest.raises(InvalidTokenError):
        c.recovery_requests.cancel(other["request_id"], token)
    c.clock.advance(HOLD)
    c.recovery_requests.run_due()
    with pytest.raises(InvalidTokenError):
        c.recovery_requests.cancel(approved["request_id"], token)
    assert c.accounts.get(jane.id).email == "new@example.net"


def test_a_cancel_link_is_a_verification_process_of_its_request_and_of_racing_uses_one_wins(c: Container) -> None:
    from gatehouse.flows.recovery_requests import CANCEL_KIND

    from tests.support.race import race

    jane = _account(c, "jane@example.com", phone="+33611111111")
    approved = _approved(c, jane, _agent(c))
    request_id, by_mail = _cancel_token(c.mailer.to(jane.email)[-1].text)
    _, by_sms = _cancel_token(c.sms.sent[-1].text)
    # Each channel's link is its own process of the request, holding only its secret's digest.
    assert by_mail.startswith("email-") and by_sms.startswith("sms-")
    held = c.verifications.get(CANCEL_KIND, f"{request_id}.email", c.clock.now())
    assert held is not None and held.digest and by_mail.split("-")[1] not in str(held)
    assert c.verifications.get(CANCEL_KIND, f"{request_id}.sms", c.clock.now()) is not None
    with pytest.raises(InvalidTokenError):  # the SMS channel's secret does not open the email's process
        c.recovery_requests.cancel(request_id, "email-" + by_sms.split("-")[1])
    results = race(lambda _: c.recovery_requests.cancel(request_id, by_mail), expected=(InvalidTokenError,))
    assert [r for r in results if not isinstance(r, InvalidTokenError)] == [None]
    assert c.recovery_request_store.get(approved["request_id"]).status == "cancelled"


def test_a_cancel_link_announced_before_links_were_processes_still_cancels_once(c: Container) -> None:
    from gatehouse.domain.one_time import OneTimeItem
    from gatehouse.domain.secrets import digest, new_token
    from gatehouse.flows.recovery_requests import CANCEL_KIND

    jane = _account(c, "jane@example.com")
    approved = _approved(c, jane, _agent(c))
    request_id = approved["request_id"]
    old = new_token()  # what an announcement sent before this change carried
    c.once.put(OneTimeItem(kind=CANCEL_KIND, key=digest(old), subject=request_id,
                           expires_at=c.clock.now() + timedelta(seconds=HOLD), data={"request_id": request_id}))
    c.recovery_requests.cancel(request_id, old)
    with pytest.raises(InvalidTokenError):
        c.recovery_requests.cancel(request_id, old)
    assert c.recovery_request_store.get(request_id).status == "cancelled"


def test_an_address_taken_during_the_hold_sends_the_request_back_to_support(c: Container) -> None:
    jane = _account(c, "jane@example.com")
    agent = _agent(c)
    approved = _approved(c, jane, agent)
    _account(c, "new@example.net")
    c.clock.advance(HOLD)
    assert c.recovery_requests.run_due()["reopened"] == 1
    assert c.accounts.get(jane.id).email == jane.email
    assert [r["id"] for r in c.recovery_requests.pending(agent)["requests"]] == [approved["request_id"]]


def test_a_refusal_tells_the_new_address_and_a_request_is_decided_once(c: Container) -> None:
    jane = _account(c, "jane@example.com")
    made = _submit(c, Lookup("identifier", jane.id))
    agent = _agent(c)
    assert c.recovery_requests.decide(agent, made["request_id"], False, "the bill names someone else") == {
        "request_id": made["request_id"], "status": "rejected"}
    assert "the bill names someone else" in c.mailer.to("new@example.net")[-1].text
    assert c.accounts.get(jane.id).email == "jane@example.com"
    with pytest.raises(ConflictError):
        c.recovery_requests.decide(agent, made["request_id"], True, "")
    with pytest.raises(NotFoundError):
        c.recovery_requests.decide(agent, "rrq_nope", True, "")


def test_a_request_matching_no_account_or_asking_for_a_taken_address_can_only_be_rejected(c: Container) -> None:
    _account(c, "jane@example.com")
    _account(c, "taken@example.net")
    agent = _agent(c)
    nobody = _submit(c, Lookup("domain", "nobody.example"))
    taken = _submit(c, Lookup("domain", "jane.example"), new_email="taken@example.net")
    for made in (nobody, taken):
        _upload(c, made)
        with pytest.raises(ConflictError):
            c.recovery_requests.decide(agent, made["request_id"], True, "")
        assert c.recovery_requests.decide(agent, made["request_id"], False, "")["status"] == "rejected"
    assert c.accounts.get_by_email("jane@example.com") is not None


def test_every_download_by_an_agent_is_recorded_and_saves_the_file(c: Container) -> None:
    jane = _account(c, "jane@example.com")
    agent = _agent(c)
    made = _submit(c, Lookup("identifier", jane.id), content_types={"last_bill": "image/jpeg"})
    _upload(c, made, skip=("card_statement",))
    url = c.recovery_requests.download(agent, made["request_id"], "last_bill")
    assert "disposition=attachment" in url and url.endswith(f"filename={made['request_id']}-last_bill.jpg")
    c.clock.advance(90)
    c.recovery_requests.download(agent, made["request_id"], "identity_1")
    for document in ("card_statement", "passport"):
        with pytest.raises(NotFoundError):
            c.recovery_requests.download(agent, made["request_id"], document)
    [listed] = c.recovery_requests.pending(agent)["requests"]
    assert listed["downloads"] == [
        {"document": "last_bill", "by": agent.account.id, "at": "2026-11-23T09:00:00Z"},
        {"document": "identity_1", "by": agent.account.id, "at": "2026-11-23T09:01:30Z"}]


def test_documents_are_deleted_once_the_retention_after_the_decision_has_passed(c: Container) -> None:
    jane = _account(c, "jane@example.com")
    agent = _agent(c)
    rejected = _submit(c, Lookup("identifier", jane.id))
    _upload(c, rejected)
    c.recovery_requests.decide(agent, rejected["request_id"], False, "")
    applied = _approved(c, jane, agent)
    keys = {u["fields"]["key"] for made in (rejected, applied) for u in made["uploads"]}
    retention = c.settings.recovery_documents_retention_seconds
    c.clock.advance(retention - 60)
    assert c.recovery_requests.run_due() == {"applied": 1, "reopened": 0, "lost": 0, "documents_deleted": 0}
    assert keys <= set(c.documents.objects)
    c.clock.advance(60)
    assert c.recovery_requests.run_due()["documents_deleted"] == 2
    assert keys.isdisjoint(c.documents.objects)
    with pytest.raises(NotFoundError):
        c.recovery_requests.download(agent, applied["request_id"], "identity_1")
    assert c.recovery_requests.run_due()["documents_deleted"] == 0


def test_a_recovery_request_is_held_to_the_reset_floor_whether_or_not_the_key_matches(c: Container) -> None:
    _account(c, "jane@example.com")
    floor = c.reset_floor.seconds
    assert floor == c.settings.reset_response_floor_ms / 1000 > 0
    _submit(c, Lookup("domain", "jane.example"))
    _submit(c, Lookup("domain", "nobody.example"))
    _submit(c, Lookup("identifier", "jdoe-unknown"))
    # Only the known key sent an email; every answer waited out what its work left of the floor.
    assert len(c.mailer.sent) == 1
    assert len(c.reset_floor.waited) == 3
    assert all(floor / 2 < waited <= floor for waited in c.reset_floor.waited)


def test_one_source_ip_makes_a_bounded_number_of_requests(c: Container) -> None:
    for _ in range(c.settings.recovery_requests_per_ip):
        _submit(c, Lookup("domain", "nobody.example"), ip="203.0.113.5")
    with pytest.raises(RateLimitedError):
        _submit(c, Lookup("domain", "nobody.example"), ip="203.0.113.5")
    assert _submit(c, Lookup("domain", "nobody.example"), ip="203.0.113.6")["request_id"]


def test_the_four_documents_are_the_products_promise() -> None:
    assert DOCUMENTS == ("identity_1", "identity_2", "last_bill", "card_statement")


def test_the_hold_and_the_documents_retention_are_settings() -> None:
    from gatehouse.settings import load

    assert (FAST.recovery_hold_seconds, FAST.recovery_documents_retention_seconds) == (72 * 3600, 30 * 86400)
    loaded = load({"GATEHOUSE_RECOVERY_HOLD_SECONDS": "60", "GATEHOUSE_RECOVERY_DOCUMENTS_RETENTION_SECONDS": "120"})
    assert (loaded.recovery_hold_seconds, loaded.recovery_documents_retention_seconds) == (60, 120)
