"""API keys over fakes: made with a secret shown once, listed without it, verified by a console in
constant time, deleted by their account only, limited, and guarded like a second factor."""

from __future__ import annotations

import hashlib

import pytest
from gatehouse.bootstrap import Container
from gatehouse.domain.accounts import Account
from gatehouse.errors import ConflictError, NotFoundError, ReauthenticationRequiredError

from tests.unit.conftest import FAST

PASSWORD = "a quiet harbour at dawn"


@pytest.fixture
def c() -> Container:
    return Container.in_memory(FAST.with_overrides(api_keys_per_account=3))


def _signed_in(c: Container, email: str = "jane@example.com"):
    c.accounts.add(Account(id=f"acc_{abs(hash(email)) % 10**12}", email=email, created_at=c.clock.now(),
                           password_hash=c.hasher.hash(PASSWORD), email_verified=True))
    outcome = c.login.login(email, PASSWORD, ip="10.0.0.1")
    return c.sessions.authenticate(outcome.token)


def test_a_new_key_verifies_in_both_consoles_and_its_secret_is_shown_only_once(c: Container) -> None:
    auth = _signed_in(c)
    made = c.api_keys.create(auth, "  deploy bot ")
    assert set(made) == {"key_id", "secret"} and len(made["secret"]) >= 43  # 256 bits
    for console in ("scaleway", "dedibox"):
        assert c.api_keys.verify(console, made["key_id"], made["secret"]) == {
            "valid": True, "account_id": auth.account.id, "console": console, "context": None}
    listed = c.api_keys.list(auth)["api_keys"]
    assert [(k["key_id"], k["name"], k["console"]) for k in listed] == [(made["key_id"], "deploy bot", None)]
    digest = hashlib.sha256(made["secret"].encode()).hexdigest()
    assert made["secret"] not in repr(listed) and digest not in repr(listed)


def test_a_wrong_secret_or_an_unknown_key_is_invalid(c: Container) -> None:
    made = c.api_keys.create(_signed_in(c), "ci")
    for key_id, secret in ((made["key_id"], made["secret"] + "x"), ("key_unknown", made["secret"])):
        assert c.api_keys.verify("scaleway", key_id, secret) == {
            "valid": False, "account_id": None, "console": "scaleway", "context": None}


def test_making_a_key_sends_its_owner_a_notice(c: Container) -> None:
    made = c.api_keys.create(_signed_in(c), "deploy bot")
    [notice] = [m for m in c.mailer.sent if m.tag == "api_key_created"]
    assert notice.to == "jane@example.com" and made["key_id"] in notice.text and "deploy bot" in notice.text
    assert made["secret"] not in notice.text


def test_a_deleted_key_stops_verifying_and_nobody_else_can_delete_it(c: Container) -> None:
    jane, mallory = _signed_in(c), _signed_in(c, "mallory@example.com")
    made = c.api_keys.create(jane, "ci")
    with pytest.raises(NotFoundError):
        c.api_keys.delete(mallory, made["key_id"])
    assert c.api_keys.verify("scaleway", made["key_id"], made["secret"])["valid"] is True
    c.api_keys.delete(jane, made["key_id"])
    assert c.api_keys.verify("scaleway", made["key_id"], made["secret"])["valid"] is False
    assert c.api_keys.list(jane) == {"api_keys": []}
    with pytest.raises(NotFoundError):
        c.api_keys.delete(jane, made["key_id"])


def test_an_account_has_a_bounded_number_of_keys(c: Container) -> None:
    auth = _signed_in(c)
    first, *_ = [c.api_keys.create(auth, f"k{n}") for n in range(3)]
    with pytest.raises(ConflictError):
        c.api_keys.create(auth, "one too many")
    c.api_keys.delete(auth, first["key_id"])
    assert c.api_keys.create(auth, "room again")["key_id"]


def test_an_account_with_a_second_factor_makes_keys_only_from_a_recent_sign_in(c: Container) -> None:
    import pyotp

    auth = _signed_in(c)
    seed = c.mfa.begin(auth, "totp")["secret"]
    c.mfa.finish(auth, "totp", {"code": pyotp.TOTP(seed).at(c.clock.now())})
    c.clock.advance(11 * 60)
    auth = c.sessions.authenticate(auth.token)
    with pytest.raises(ReauthenticationRequiredError):
        c.api_keys.create(auth, "late")
    assert c.api_keys.list(auth) == {"api_keys": []}


def test_a_legacy_dedibox_key_keeps_verifying_while_its_unified_account_has_actions_pending(c: Container) -> None:
    from datetime import timedelta

    from gatehouse.errors import ActionRequiredError

    from tests.bench.unification import API_SECRET, generate_lines
    from tests.bench.unification import PASSWORD as LEGACY_PASSWORD

    c.unification.import_lines(generate_lines(4, "p"))  # n=3: one Dedibox account, its SMS factor retired
    c.unification.schedule("w", c.clock.now() - timedelta(minutes=1))
    c.unification_notifier.run()
    c.unifier.run()
    account = c.accounts.get_by_email("p-3@example.fr")
    assert [a.value for a in account.required_actions] == ["enroll_mfa"]  # unified: verify_email never blocks it
    assert c.api_keys.verify("dedibox", "key-p-3", API_SECRET) == {
        "valid": True, "account_id": account.id, "console": "dedibox", "context": "dedibox-dbx-p-3"}
    auth = c.sessions.authenticate(c.login.login(account.email, LEGACY_PASSWORD, ip="10.0.0.1").token)
    with pytest.raises(ActionRequiredError):
        c.api_keys.create(auth, "new")
    assert c.api_keys.verify("dedibox", "key-p-3", API_SECRET)["valid"] is True


def test_a_key_name_that_looks_like_a_link_is_plain_text_in_the_notice_and_never_a_link(c: Container) -> None:
    name = '<a href="https://evil.example/reset">reset</a> https://evil.example/reset'
    c.api_keys.create(_signed_in(c), name)
    [notice] = [m for m in c.mailer.sent if m.tag == "api_key_created"]
    assert f'named "{name}"' in notice.text
    escaped = "&lt;a href=&quot;https://evil.example/reset&quot;&gt;reset&lt;/a&gt; https://evil.example/reset"
    assert escaped in notice.html
    assert 'href="https://evil.example' not in notice.html
    # The notice's own link still is one.
    assert '<a href="http://localhost:8000/ui/reset">' in notice.html
