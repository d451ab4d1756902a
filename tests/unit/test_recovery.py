"""Password recovery over fakes: the rules of the flow and of its two strategies."""

from __future__ import annotations

import re

import pytest
from gatehouse.bootstrap import Container
from gatehouse.domain.accounts import Account, MfaMethod
from gatehouse.errors import (
    InvalidCodeError,
    InvalidInputError,
    InvalidTokenError,
    NotAuthenticatedError,
    WeakPasswordError,
)
from gatehouse.flows.recovery import Lookup
from gatehouse.settings import Argon2Params, Settings

from tests.support.race import race

OLD = "an old and tired password"
NEW = "a brand new lighthouse keeper"
IP = "203.0.113.7"


@pytest.fixture
def c() -> Container:
    # Cheap argon2 parameters: these tests are about the flow, not the hash.
    return Container.in_memory(Settings(argon2=Argon2Params(memory_kib=1024, time_cost=1),
                                        public_base_url="https://accounts.example.net"))


def make_account(c: Container, email: str = "jane@example.com", *, phone: str | None = "+33612345678",
                 locale: str = "en", mfa: bool = False, domains: tuple[str, ...] = (),
                 legacy: tuple[str, ...] = ()) -> Account:
    now = c.clock.now()
    account = Account(id=f"acc_{abs(hash(email)):024d}"[:28], email=email, created_at=now,
                      password_hash=c.hasher.hash(OLD), email_verified=True, locale=locale, phone=phone,
                      mfa_methods=(MfaMethod("mfa_1", "totp", "phone app", now),) if mfa else ())
    c.accounts.add(account, aliases={"domain": list(domains), "legacy": list(legacy)})
    return account


def link_token(c: Container, to: str) -> str:
    match = re.search(r"token=([A-Za-z0-9_\-]+)", c.mailer.to(to)[-1].text)
    assert match
    return match.group(1)


def last_code(c: Container) -> str:
    match = re.search(r"\b(\d{6})\b", c.sms.sent[-1].text)
    assert match
    return match.group(1)


# --- lookup ------------------------------------------------------------------------------------

@pytest.mark.parametrize("keys", [{}, {"email": "a@b.fr", "domain": "b.fr"}, {"identifier": "  "},
                                  {"identifier": "x", "email": "a@b.fr", "domain": "b.fr"}])
def test_lookup_needs_exactly_one_key(keys) -> None:
    with pytest.raises(InvalidInputError) as err:
        Lookup.parse(**{"identifier": None, "email": None, "domain": None, **keys})
    assert set(err.value.details["fields"]) == {"identifier", "email", "domain"}


def test_an_account_is_found_by_id_legacy_identifier_email_and_domain(c) -> None:
    account = make_account(c, domains=("Example.FR",), legacy=("jdoe",))
    for lookup in (Lookup("identifier", account.id), Lookup("identifier", "jdoe"),
                   Lookup("email", "JANE@example.com"), Lookup("domain", "example.fr.")):
        c.recovery.request("email", lookup, ip=IP)
    assert len(c.mailer.to(account.email)) == 4


# --- email link --------------------------------------------------------------------------------

def test_the_link_points_at_the_configured_host_and_works_once(c) -> None:
    account = make_account(c)
    c.recovery.request("email", Lookup("email", account.email), ip=IP)
    mail = c.mailer.to(account.email)[-1]
    assert "https://accounts.example.net/ui/reset/complete?token=" in mail.text
    assert 'href="https://accounts.example.net/ui/reset/complete?token=' in mail.html
    token = link_token(c, account.email)
    c.recovery.complete("email", {"token": token}, NEW)
    assert c.hasher.verify(c.accounts.get(account.id).password_hash, NEW)
    with pytest.raises(InvalidTokenError):
        c.recovery.complete("email", {"token": token}, NEW + " again")


def test_a_newer_link_kills_the_older_one(c) -> None:
    account = make_account(c)
    c.recovery.request("email", Lookup("email", account.email), ip=IP)
    first = link_token(c, account.email)
    c.recovery.request("email", Lookup("domain", "nothing.example"), ip=IP)  # another subject: no effect
    c.recovery.request("email", Lookup("identifier", account.id), ip=IP)
    with pytest.raises(InvalidTokenError):
        c.recovery.complete("email", {"token": first}, NEW)
    c.recovery.complete("email", {"token": link_token(c, account.email)}, NEW)


def test_the_link_expires_after_thirty_minutes(c) -> None:
    account = make_account(c)
    c.recovery.request("email", Lookup("email", account.email), ip=IP)
    c.clock.advance(30 * 60 + 1)
    with pytest.raises(InvalidTokenError):
        c.recovery.complete("email", {"token": link_token(c, account.email)}, NEW)


def test_checking_a_link_uses_nothing_and_refuses_a_used_expired_or_replaced_one(c) -> None:
    account = make_account(c)
    c.recovery.request("email", Lookup("email", account.email), ip=IP)
    replaced = link_token(c, account.email)
    c.recovery.request("email", Lookup("email", account.email), ip=IP)
    token = link_token(c, account.email)
    with pytest.raises(InvalidTokenError):
        c.recovery.check("email", {"token": replaced})
    c.recovery.check("email", {"token": token})
    c.recovery.check("email", {"token": token})  # a check never uses the link up
    c.recovery.complete("email", {"token": token}, NEW)
    with pytest.raises(InvalidTokenError):
        c.recovery.check("email", {"token": token})

    c.recovery.request("email", Lookup("email", account.email), ip=IP)
    c.clock.advance(30 * 60 + 1)
    with pytest.raises(InvalidTokenError):
        c.recovery.check("email", {"token": link_token(c, account.email)})


def test_racing_uses_of_one_link_have_one_winner(c) -> None:
    account = make_account(c)
    c.recovery.request("email", Lookup("email", account.email), ip=IP)
    token = link_token(c, account.email)
    results = race(lambda i: c.recovery.complete("email", {"token": token}, f"{NEW} {i}"),
                   expected=(InvalidTokenError,))
    assert sum(not isinstance(r, InvalidTokenError) for r in results) == 1


def test_a_link_is_one_verification_process_of_its_account_holding_only_its_secrets_digest(c) -> None:
    from gatehouse.domain.secrets import digest

    account = make_account(c)
    c.recovery.request("email", Lookup("email", account.email), ip=IP)
    c.recovery.request("email", Lookup("email", account.email), ip=IP)
    token = link_token(c, account.email)
    handle, _, secret = token.rpartition("-")
    assert handle == account.id and len(secret) == 64  # 256 bits
    process = c.verifications.get("reset_email", account.id, c.clock.now())
    assert process is not None and process.digest == digest(secret) and secret not in repr(process)
    assert process.failures == 0


def test_a_wrong_or_forged_link_is_refused_and_counts_nothing(c) -> None:
    account = make_account(c)
    flow_id = c.recovery.request("email", Lookup("email", account.email), ip=IP)
    token = link_token(c, account.email)
    forged = [token[:-1] + ("0" if token[-1] != "0" else "1"), f"{flow_id}-{'0' * 64}", f"-{'0' * 64}",
              f"{'?' * 600}-{'0' * 64}", "made-up"]
    for wrong in forged * 3:
        with pytest.raises(InvalidTokenError):
            c.recovery.check("email", {"token": wrong})
        with pytest.raises(InvalidTokenError):
            c.recovery.complete("email", {"token": wrong}, NEW)
    c.recovery.complete("email", {"token": token}, NEW)  # still good: a wrong secret is simply not found


def test_a_link_issued_before_links_were_processes_works_once_until_it_expires(c) -> None:
    # A link in flight when this deploys is a one-time item (its token 43 URL-safe characters).
    from datetime import timedelta

    from gatehouse.domain.one_time import OneTimeItem
    from gatehouse.domain.secrets import digest, new_token

    account = make_account(c)
    old, expiring = new_token(), new_token()
    for token, minutes in ((old, 30), (expiring, 1)):
        c.once.replace_latest(OneTimeItem(kind="recovery_link", key=digest(token), subject=f"{account.id}{minutes}",
                                          expires_at=c.clock.now() + timedelta(minutes=minutes),
                                          data={"flow_id": "rec_old", "account_id": account.id}))
    c.clock.advance(61)
    with pytest.raises(InvalidTokenError):
        c.recovery.check("email", {"token": expiring})
    c.recovery.check("email", {"token": old})
    c.recovery.complete("email", {"token": old}, NEW)
    assert c.hasher.verify(c.accounts.get(account.id).password_hash, NEW)
    with pytest.raises(InvalidTokenError):
        c.recovery.complete("email", {"token": old}, NEW)


def test_a_weak_password_does_not_burn_the_link(c) -> None:
    account = make_account(c)
    c.recovery.request("email", Lookup("email", account.email), ip=IP)
    token = link_token(c, account.email)
    with pytest.raises(WeakPasswordError) as err:
        c.recovery.complete("email", {"token": token}, "jane-secret-1")
    assert err.value.details["reasons"]
    c.recovery.complete("email", {"token": token}, NEW)


def test_the_email_is_in_the_account_language(c) -> None:
    account = make_account(c, locale="fr")
    c.recovery.request("email", Lookup("email", account.email), ip=IP)
    assert c.mailer.to(account.email)[-1].subject == "Réinitialisez votre mot de passe"


def test_an_unknown_address_gets_a_no_account_notice_and_no_link(c) -> None:
    flow_id = c.recovery.request("email", Lookup("email", "nobody@example.com"), ip=IP)
    assert flow_id.startswith("rec_")
    [notice] = c.mailer.to("nobody@example.com")
    assert "no Gatehouse account uses it" in notice.text and "token=" not in notice.text


def test_unknown_identifiers_and_domains_send_nothing(c) -> None:
    c.recovery.request("email", Lookup("identifier", "acc_nobody"), ip=IP)
    c.recovery.request("email", Lookup("domain", "nobody.example"), ip=IP)
    c.recovery.request("sms", Lookup("email", "nobody@example.com"), ip=IP)
    assert c.mailer.sent == [] and c.sms.sent == []


def test_every_reset_request_is_held_to_the_same_time_floor_known_unknown_or_throttled(c) -> None:
    account = make_account(c, domains=("jane.example",), legacy=("jdoe",))
    floor = c.reset_floor.seconds
    assert floor == 0.4
    lookups = [Lookup("email", account.email), Lookup("domain", "jane.example"), Lookup("identifier", "jdoe"),
               Lookup("domain", "nobody.example"), Lookup("identifier", "nobody"), Lookup("identifier", "acc_x")]
    for strategy in ("email", "sms"):
        for lookup in lookups:
            c.recovery.request(strategy, lookup, ip=IP)
    for _ in range(6):  # past the per-account limit: throttled, silently
        c.recovery.request("email", Lookup("email", account.email), ip=IP)
    # Each answer waited out what its work left of the floor: over fakes, most of it.
    assert len(c.reset_floor.waited) == 2 * len(lookups) + 6
    assert all(floor / 2 < waited <= floor for waited in c.reset_floor.waited)


def test_the_floor_pads_short_work_adds_nothing_to_long_work_and_holds_when_the_work_fails() -> None:
    from gatehouse.flows.pacing import ResponseFloor

    now, slept = [100.0], []
    floor = ResponseFloor(0.4, monotonic=lambda: now[0], sleep=slept.append)
    with floor.held():
        now[0] += 0.15
    with floor.held():
        now[0] += 0.9  # an AWS hiccup: as slow as the work, on either path
    with pytest.raises(RuntimeError), floor.held():
        now[0] += 0.1
        raise RuntimeError("store unavailable")
    assert slept == [pytest.approx(0.25), pytest.approx(0.3)]


# --- SMS code ----------------------------------------------------------------------------------

def test_the_code_goes_to_the_phone_and_says_it_is_not_a_password(c) -> None:
    account = make_account(c)
    flow_id = c.recovery.request("sms", Lookup("email", account.email), ip=IP)
    [sms] = c.sms.sent
    assert sms.to == account.phone and "not a password" in sms.text
    c.recovery.complete("sms", {"flow_id": flow_id, "code": last_code(c)}, NEW)
    assert c.hasher.verify(c.accounts.get(account.id).password_hash, NEW)


def test_the_code_is_in_the_account_language(c) -> None:
    make_account(c, locale="fr")
    c.recovery.request("sms", Lookup("email", "jane@example.com"), ip=IP)
    assert "n'est pas un mot de passe" in c.sms.sent[-1].text


def test_five_wrong_codes_kill_the_flow(c) -> None:
    account = make_account(c)
    flow_id = c.recovery.request("sms", Lookup("email", account.email), ip=IP)
    code = last_code(c)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    remaining = []
    for _ in range(5):
        with pytest.raises(InvalidCodeError) as err:
            c.recovery.complete("sms", {"flow_id": flow_id, "code": wrong}, NEW)
        remaining.append(err.value.details["attempts_remaining"])
    assert remaining == [4, 3, 2, 1, 0]
    with pytest.raises(InvalidCodeError):
        c.recovery.complete("sms", {"flow_id": flow_id, "code": code}, NEW)


def test_a_resend_keeps_the_failure_count(c) -> None:
    account = make_account(c)
    first = c.recovery.request("sms", Lookup("email", account.email), ip=IP)
    for _ in range(3):
        with pytest.raises(InvalidCodeError):
            c.recovery.complete("sms", {"flow_id": first, "code": "000000x"}, NEW)
    second = c.recovery.request("sms", Lookup("identifier", account.id), ip=IP)
    assert second != first
    with pytest.raises(InvalidCodeError) as err:
        c.recovery.complete("sms", {"flow_id": second, "code": "000000x"}, NEW)
    assert err.value.details["attempts_remaining"] == 1
    with pytest.raises(InvalidCodeError):  # the older flow ended with the resend
        c.recovery.complete("sms", {"flow_id": first, "code": last_code(c)}, NEW)
    c.recovery.complete("sms", {"flow_id": second, "code": last_code(c)}, NEW)


def test_a_resend_after_the_flow_died_sends_nothing_until_it_expires(c) -> None:
    account = make_account(c)
    flow_id = c.recovery.request("sms", Lookup("email", account.email), ip=IP)
    for _ in range(5):
        with pytest.raises(InvalidCodeError):
            c.recovery.complete("sms", {"flow_id": flow_id, "code": "x"}, NEW)
    c.recovery.request("sms", Lookup("email", account.email), ip=IP)
    assert len(c.sms.sent) == 1
    c.clock.advance(10 * 60 + 1)
    fresh = c.recovery.request("sms", Lookup("email", account.email), ip=IP)
    assert len(c.sms.sent) == 2
    c.recovery.complete("sms", {"flow_id": fresh, "code": last_code(c)}, NEW)


def test_the_code_expires_after_ten_minutes(c) -> None:
    account = make_account(c)
    flow_id = c.recovery.request("sms", Lookup("email", account.email), ip=IP)
    c.clock.advance(10 * 60 + 1)
    with pytest.raises(InvalidCodeError):
        c.recovery.complete("sms", {"flow_id": flow_id, "code": last_code(c)}, NEW)


def test_a_code_from_another_flow_is_refused(c) -> None:
    make_account(c, "a@example.com", phone="+33611111111")
    make_account(c, "b@example.com", phone="+33622222222")
    flow_a = c.recovery.request("sms", Lookup("email", "a@example.com"), ip=IP)
    c.recovery.request("sms", Lookup("email", "b@example.com"), ip=IP)
    with pytest.raises(InvalidCodeError):
        c.recovery.complete("sms", {"flow_id": flow_a, "code": last_code(c)}, NEW)


def test_no_sms_for_an_account_without_a_phone(c) -> None:
    make_account(c, phone=None)
    c.recovery.request("sms", Lookup("email", "jane@example.com"), ip=IP)
    assert c.sms.sent == []


def test_racing_right_codes_have_one_winner(c) -> None:
    account = make_account(c)
    flow_id = c.recovery.request("sms", Lookup("email", account.email), ip=IP)
    code = last_code(c)
    results = race(lambda _: c.recovery.complete("sms", {"flow_id": flow_id, "code": code}, NEW),
                   expected=(InvalidCodeError,))
    wins = [r for r in results if not isinstance(r, InvalidCodeError)]
    assert len(wins) == 1


# --- throttling --------------------------------------------------------------------------------

def test_at_most_five_messages_per_account_per_hour_across_both_strategies(c) -> None:
    account = make_account(c)
    ids = [c.recovery.request(s, Lookup("email", account.email), ip=f"198.51.100.{i}")
           for i, s in enumerate(["email", "sms"] * 4)]
    assert len(set(ids)) == 8
    assert len(c.mailer.to(account.email)) + len(c.sms.sent) == 5
    c.clock.advance(3600)
    c.recovery.request("email", Lookup("email", account.email), ip=IP)
    assert len(c.mailer.to(account.email)) + len(c.sms.sent) == 6


def test_one_source_ip_is_capped_across_accounts(c) -> None:
    limit = c.settings.reset_messages_per_ip
    for i in range(limit):
        c.recovery.request("email", Lookup("email", f"nobody{i}@example.com"), ip=IP)
    account = make_account(c)
    c.recovery.request("email", Lookup("email", account.email), ip=IP)
    assert c.mailer.to(account.email) == []
    c.recovery.request("email", Lookup("email", account.email), ip="198.51.100.1")
    assert len(c.mailer.to(account.email)) == 1


# --- after a reset -----------------------------------------------------------------------------

def test_a_reset_ends_every_session_mails_a_notice_and_clears_the_login_throttle(c) -> None:
    account = make_account(c)
    tokens = [c.sessions.start(account, methods=("password",))[0] for _ in range(2)]
    for _ in range(7):
        c.login_throttle.failed(account.email, IP)
    c.recovery.request("email", Lookup("email", account.email), ip=IP)
    c.recovery.complete("email", {"token": link_token(c, account.email)}, NEW)
    for token in tokens:  # ended by the account's sessions_valid_after; TTL deletes the items later
        with pytest.raises(NotAuthenticatedError):
            c.sessions.authenticate(token)
    assert c.mailer.to(account.email)[-1].subject == "Your password was changed"
    assert c.login_throttle.check(account.email, "192.0.2.1") == 0


def test_the_next_login_still_asks_for_the_second_factor(c) -> None:
    account = make_account(c, mfa=True)
    flow_id = c.recovery.request("sms", Lookup("email", account.email), ip=IP)
    c.recovery.complete("sms", {"flow_id": flow_id, "code": last_code(c)}, NEW)
    assert c.login.login(account.email, NEW, ip=IP).result["status"] == "mfa_required"


def test_an_account_changed_while_its_reset_completes_gets_the_new_password_all_the_same(c) -> None:
    account = make_account(c)
    c.recovery.request("email", Lookup("email", account.email), ip=IP)
    token = link_token(c, account.email)
    strategy = c.recovery._strategies["email"]
    consume = strategy.consume

    def consume_after_a_profile_edit(claim, now):  # a save between the read and the consumption
        stored = c.accounts.get(account.id)
        c.accounts.save(stored.evolve(name="Edited meanwhile"))
        return consume(claim, now)

    strategy.consume = consume_after_a_profile_edit  # type: ignore[method-assign]
    c.recovery.complete("email", {"token": token}, NEW)
    saved = c.accounts.get(account.id)
    assert c.hasher.verify(saved.password_hash, NEW) and saved.name == "Edited meanwhile"
