"""Second factors, recovery codes and passwordless login over fakes: the rules without the network."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from gatehouse.bootstrap import Container
from gatehouse.domain.accounts import Account
from gatehouse.errors import (
    ConflictError,
    InvalidCodeError,
    InvalidCredentialsError,
    NotFoundError,
    RateLimitedError,
    ReauthenticationRequiredError,
    SmsMfaDeprecatedError,
    WebAuthnRejectedError,
)

from tests.support.soft_authenticator import SoftAuthenticator
from tests.unit.conftest import FAST

PASSWORD = "a quiet harbour at dawn"


@pytest.fixture
def c() -> Container:
    return Container.in_memory(FAST.with_overrides(webauthn_origin="http://localhost:8000"))


def _account(c: Container, email: str = "jane@example.com", **kw) -> Account:
    account = Account(id=f"acc_{abs(hash(email)) % 10**12}", email=email, created_at=c.clock.now(),
                      password_hash=c.hasher.hash(PASSWORD), email_verified=True, **kw)
    c.accounts.add(account)
    return account


def _login(c: Container, email: str = "jane@example.com"):
    outcome = c.login.login(email, PASSWORD, ip="10.0.0.1")
    return outcome, c.sessions.authenticate(outcome.token)


def _code(secret: str, c: Container, offset: int = 0) -> str:
    return pyotp.TOTP(secret).at(c.clock.now() + timedelta(seconds=offset))


def _enrol_totp(c: Container, auth) -> tuple[str, dict]:
    begun = c.mfa.begin(auth, "totp")
    return begun["secret"], c.mfa.finish(auth, "totp", {"code": _code(begun["secret"], c)})


def test_totp_qr_code_is_a_standalone_svg_document_an_img_can_show(c: Container) -> None:
    import xml.etree.ElementTree as ET

    _account(c)
    _, auth = _login(c)
    root = ET.fromstring(c.mfa.begin(auth, "totp")["qr_svg"])
    # An <img> renders an SVG only in the SVG namespace, and only with a size of its own.
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert int(root.attrib["width"]) > 0 and int(root.attrib["height"]) > 0


def test_totp_enrolment_shows_the_seed_once_and_stores_it_sealed(c: Container) -> None:
    _account(c)
    _, auth = _login(c)
    begun = c.mfa.begin(auth, "totp")
    assert begun["otpauth_uri"].startswith("otpauth://totp/") and "<svg" in begun["qr_svg"]
    confirmed = c.mfa.finish(auth, "totp", {"code": _code(begun["secret"], c)})
    assert len(confirmed["recovery_codes"]) == 10
    (factor,) = c.mfa_store.list(auth.account.id)
    assert begun["secret"] not in repr(factor) and factor.id == confirmed["id"]
    overview = c.mfa.overview(auth)
    assert overview["recovery_codes_remaining"] == 10
    assert [m["type"] for m in overview["methods"]] == ["totp"]
    assert "secret" not in repr(overview)


def test_totp_confirmation_refuses_a_wrong_code_and_keeps_the_enrolment_pending(c: Container) -> None:
    _account(c)
    _, auth = _login(c)
    begun = c.mfa.begin(auth, "totp")
    with pytest.raises(InvalidCodeError):
        c.mfa.finish(auth, "totp", {"code": "000000" if _code(begun["secret"], c) != "000000" else "111111"})
    assert c.mfa.finish(auth, "totp", {"code": _code(begun["secret"], c)})["id"]


def test_a_totp_enrolment_belongs_to_the_session_that_started_it(c: Container) -> None:
    _account(c)
    _, auth = _login(c)
    _, other = _login(c)
    begun = c.mfa.begin(auth, "totp")
    with pytest.raises(InvalidCodeError):
        c.mfa.finish(other, "totp", {"code": _code(begun["secret"], c)})


def test_login_with_totp_requires_the_factor_and_a_code_works_only_once(c: Container) -> None:
    _account(c)
    _, auth = _login(c)
    secret, _ = _enrol_totp(c, auth)
    c.clock.advance(30)
    outcome, pending = _login(c)
    assert outcome.result["status"] == "mfa_required" and outcome.result["mfa_methods"] == ["totp"]
    code = _code(secret, c)
    verified = c.second_factor.verify(pending, "totp", {"code": code}, ip="10.0.0.1")
    assert verified.result["status"] == "authenticated" and verified.token != outcome.token
    assert c.sessions.authenticate(verified.token).session.aal == 2
    _, again = _login(c)
    with pytest.raises(InvalidCodeError):
        c.second_factor.verify(again, "totp", {"code": code}, ip="10.0.0.1")


def test_the_code_used_to_confirm_enrolment_cannot_be_replayed_at_login(c: Container) -> None:
    _account(c)
    _, auth = _login(c)
    begun = c.mfa.begin(auth, "totp")
    code = _code(begun["secret"], c)
    c.mfa.finish(auth, "totp", {"code": code})
    _, pending = _login(c)
    with pytest.raises(InvalidCodeError):
        c.second_factor.verify(pending, "totp", {"code": code}, ip="10.0.0.1")


def test_a_code_one_step_old_still_works_but_two_steps_old_does_not(c: Container) -> None:
    _account(c)
    _, auth = _login(c)
    secret, _ = _enrol_totp(c, auth)
    c.clock.advance(120)
    _, pending = _login(c)
    with pytest.raises(InvalidCodeError):
        c.second_factor.verify(pending, "totp", {"code": _code(secret, c, -60)}, ip="10.0.0.1")
    assert c.second_factor.verify(pending, "totp", {"code": _code(secret, c, -30)}, ip="10.0.0.1")


def test_three_failed_second_factors_after_a_right_password_send_one_warning(c: Container) -> None:
    account = _account(c)
    _, auth = _login(c)
    _enrol_totp(c, auth)
    _, pending = _login(c)
    for _ in range(4):
        with pytest.raises(InvalidCodeError):
            c.second_factor.verify(pending, "recovery_code", {"code": "AAAA-BBBB-CCCC-DDDD"}, ip="10.0.0.1")
        pending = c.sessions.authenticate(pending.token)
    warnings = [e for e in c.mailer.to(account.email) if e.tag == "mfa_failures"]
    assert len(warnings) == 1


def test_guessing_second_factors_is_throttled_per_account(c: Container) -> None:
    _account(c)
    _, auth = _login(c)
    _enrol_totp(c, auth)
    with pytest.raises(RateLimitedError):
        for _ in range(10):
            _, pending = _login(c)
            with pytest.raises(InvalidCodeError):
                c.second_factor.verify(pending, "totp", {"code": "12345"}, ip="10.0.0.1")


def test_second_factor_failures_back_off_at_most_fifteen_minutes_and_never_lock_the_owner_out(c: Container) -> None:
    _account(c)
    _, auth = _login(c)
    secret, _ = _enrol_totp(c, auth)
    waits: list[int] = []
    for _ in range(150):  # past the 100 failures that lock a password for a day
        _, pending = _login(c)  # the password is known: it keeps working
        try:
            c.second_factor.verify(pending, "totp", {"code": "12345"}, ip="10.0.0.1")
        except RateLimitedError as raised:
            assert "password" not in raised.message
            waits.append(raised.retry_after)
            c.clock.advance(raised.retry_after)
            with pytest.raises(InvalidCodeError):
                c.second_factor.verify(pending, "totp", {"code": "12345"}, ip="10.0.0.1")
        except InvalidCodeError:
            pass
    assert max(waits) == 15 * 60 and waits[-1] == 15 * 60
    c.clock.advance(15 * 60)
    _, pending = _login(c)
    assert c.second_factor.verify(pending, "totp", {"code": _code(secret, c)}, ip="10.0.0.1")


def test_a_recovery_code_works_through_the_second_factor_back_off_and_its_failures_count(c: Container) -> None:
    _account(c)
    _, auth = _login(c)
    _, confirmed = _enrol_totp(c, auth)
    for _ in range(5):
        _, pending = _login(c)
        with pytest.raises(InvalidCodeError):
            c.second_factor.verify(pending, "totp", {"code": "12345"}, ip="10.0.0.1")
    _, pending = _login(c)
    with pytest.raises(RateLimitedError) as before:
        c.second_factor.verify(pending, "totp", {"code": "12345"}, ip="10.0.0.1")
    with pytest.raises(InvalidCodeError):  # not refused by the back-off, but counted
        c.second_factor.verify(pending, "recovery_code", {"code": "AAAA-BBBB-CCCC-DDDD"}, ip="10.0.0.1")
    with pytest.raises(RateLimitedError) as after:
        c.second_factor.verify(pending, "totp", {"code": "12345"}, ip="10.0.0.1")
    assert after.value.retry_after > before.value.retry_after
    assert c.second_factor.verify(pending, "recovery_code", {"code": confirmed["recovery_codes"][0]}, ip="10.0.0.1")
    _, pending = _login(c)
    with pytest.raises(InvalidCodeError):  # the success cleared the account's count: no back-off left
        c.second_factor.verify(pending, "totp", {"code": "12345"}, ip="10.0.0.1")


def test_the_second_factor_back_off_cap_is_a_setting() -> None:
    from gatehouse.settings import load

    assert load({"GATEHOUSE_MFA_BACKOFF_MAX_SECONDS": "120"}).mfa_backoff_max_seconds == 120
    c = Container.in_memory(FAST.with_overrides(mfa_backoff_max_seconds=120))
    _account(c)
    _, auth = _login(c)
    _enrol_totp(c, auth)
    waits: list[int] = []
    for _ in range(20):
        _, pending = _login(c)
        try:
            c.second_factor.verify(pending, "totp", {"code": "12345"}, ip="10.0.0.1")
        except RateLimitedError as raised:
            waits.append(raised.retry_after)
            c.clock.advance(raised.retry_after)
        except InvalidCodeError:
            pass
    assert max(waits) == 120


def test_recovery_codes_work_once_each_and_regeneration_kills_the_old_ones(c: Container) -> None:
    _account(c)
    _, auth = _login(c)
    _, confirmed = _enrol_totp(c, auth)
    first, second = confirmed["recovery_codes"][:2]
    _, pending = _login(c)
    assert c.second_factor.verify(pending, "recovery_code", {"code": first.lower()}, ip="10.0.0.1")
    _, pending = _login(c)
    with pytest.raises(InvalidCodeError):
        c.second_factor.verify(pending, "recovery_code", {"code": first}, ip="10.0.0.1")
    fresh = c.mfa.regenerate_recovery_codes(auth)["recovery_codes"]
    assert len(set(fresh)) == 10 and all(re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", x) for x in fresh)
    with pytest.raises(InvalidCodeError):
        c.second_factor.verify(pending, "recovery_code", {"code": second}, ip="10.0.0.1")
    assert c.second_factor.verify(pending, "recovery_code", {"code": fresh[0]}, ip="10.0.0.1")


def test_managing_factors_needs_a_recent_sign_in_once_the_account_has_one(c: Container) -> None:
    _account(c)
    _, auth = _login(c)
    _enrol_totp(c, auth)
    c.clock.advance(11 * 60)
    auth = c.sessions.authenticate(auth.token)
    with pytest.raises(ReauthenticationRequiredError):
        c.mfa.begin(auth, "webauthn")
    with pytest.raises(ReauthenticationRequiredError):
        c.mfa.regenerate_recovery_codes(auth)


def test_every_factor_added_or_removed_sends_a_notice(c: Container) -> None:
    account = _account(c)
    _, auth = _login(c)
    _, confirmed = _enrol_totp(c, auth)
    c.mfa.delete(auth, confirmed["id"])
    tags = [e.tag for e in c.mailer.to(account.email)]
    assert tags.count("mfa_added") == 1 and tags.count("mfa_removed") == 1
    assert c.accounts.get(account.id).mfa_methods == () and c.mfa_store.list(account.id) == []
    assert c.mfa_store.recovery_codes_remaining(account.id) == 0
    with pytest.raises(NotFoundError):
        c.mfa.delete(auth, confirmed["id"])


def test_a_factor_named_like_a_link_is_plain_text_in_its_notices_and_never_a_link(c: Container) -> None:
    account = _account(c)
    _, auth = _login(c)
    begun = c.mfa.begin(auth, "totp")
    name = "https://evil.example/undo"
    confirmed = c.mfa.finish(auth, "totp", {"code": _code(begun["secret"], c), "name": name})
    c.mfa.delete(auth, confirmed["id"])
    notices = [e for e in c.mailer.to(account.email) if e.tag in ("mfa_added", "mfa_removed")]
    assert len(notices) == 2
    for notice in notices:
        assert f"({name})" in notice.text and f"({name})" in notice.html and 'href="https://evil' not in notice.html


def test_recovery_codes_need_a_factor(c: Container) -> None:
    _account(c)
    _, auth = _login(c)
    with pytest.raises(ConflictError):
        c.mfa.regenerate_recovery_codes(auth)


def test_enrolling_a_factor_clears_the_enroll_mfa_action(c: Container) -> None:
    account = _account(c, mfa_enrolment_required=True)
    outcome, auth = _login(c)
    assert outcome.result["required_actions"] == ["enroll_mfa"]
    _enrol_totp(c, auth)
    saved = c.accounts.get(account.id)
    assert saved.required_actions == [] and saved.mfa_enrolment_required is False


def test_sms_as_a_second_factor_is_retired(c: Container) -> None:
    with pytest.raises(SmsMfaDeprecatedError) as raised:
        c.mfa.sms()
    assert "TOTP" in raised.value.message and "passkey" in raised.value.message


# --- email codes ---------------------------------------------------------------------------------

def _mailed_code(c: Container, email: str) -> str:
    return re.search(r"\b(\d{8})\b", c.mailer.to(email)[-1].text).group(1)


def test_email_code_signs_in_an_account_without_a_second_factor(c: Container) -> None:
    _account(c)
    assert c.code_login.request("Jane@Example.com") == {"status": "code_sent"}
    outcome = c.login.sign_in("email_code", {"email": "jane@example.com", "code": _mailed_code(c, "jane@example.com")},
                              ip="10.0.0.1")
    assert outcome.result["status"] == "authenticated"


def test_email_code_never_bypasses_an_enrolled_second_factor(c: Container) -> None:
    _account(c)
    _, auth = _login(c)
    _enrol_totp(c, auth)
    c.code_login.request("jane@example.com")
    outcome = c.login.sign_in("email_code", {"email": "jane@example.com", "code": _mailed_code(c, "jane@example.com")},
                              ip="10.0.0.1")
    assert outcome.result["status"] == "mfa_required"
    assert not c.sessions.authenticate(outcome.token).session.fully_authenticated


def test_email_code_works_once(c: Container) -> None:
    _account(c)
    c.code_login.request("jane@example.com")
    code = _mailed_code(c, "jane@example.com")
    c.login.sign_in("email_code", {"email": "jane@example.com", "code": code}, ip="10.0.0.1")
    with pytest.raises(InvalidCodeError):
        c.login.sign_in("email_code", {"email": "jane@example.com", "code": code}, ip="10.0.0.1")


def test_email_code_dies_after_five_wrong_tries(c: Container) -> None:
    _account(c)
    c.code_login.request("jane@example.com")
    code = _mailed_code(c, "jane@example.com")
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    for _ in range(5):
        with pytest.raises(InvalidCodeError):
            c.login.sign_in("email_code", {"email": "jane@example.com", "code": wrong}, ip="10.0.0.1")
    with pytest.raises(InvalidCodeError):
        c.login.sign_in("email_code", {"email": "jane@example.com", "code": code}, ip="10.0.0.1")


def test_email_code_expires_after_ten_minutes(c: Container) -> None:
    _account(c)
    c.code_login.request("jane@example.com")
    code = _mailed_code(c, "jane@example.com")
    c.clock.advance(600)
    with pytest.raises(InvalidCodeError):
        c.login.sign_in("email_code", {"email": "jane@example.com", "code": code}, ip="10.0.0.1")


def test_email_code_for_an_unknown_address_answers_the_same_and_sends_no_code(c: Container) -> None:
    assert c.code_login.request("nobody@example.com") == {"status": "code_sent"}
    (mail,) = c.mailer.to("nobody@example.com")
    assert mail.tag == "login_code_unknown" and not re.search(r"\b\d{8}\b", mail.text)
    with pytest.raises(InvalidCodeError):
        c.login.sign_in("email_code", {"email": "nobody@example.com", "code": "12345678"}, ip="10.0.0.1")


# --- WebAuthn ------------------------------------------------------------------------------------

def _register(c: Container, auth, authenticator: SoftAuthenticator) -> dict:
    options = c.mfa.begin(auth, "webauthn")["options"]
    return c.mfa.finish(auth, "webauthn", {"credential": authenticator.create(options), "name": "Laptop"})


def test_a_passkey_serves_as_second_factor_and_for_passwordless_login(c: Container) -> None:
    account = _account(c)
    _, auth = _login(c)
    key = SoftAuthenticator()
    registered = _register(c, auth, key)
    assert registered["id"] and c.accounts.get(account.id).mfa_methods[0].name == "Laptop"
    _, pending = _login(c)
    options = c.second_factor.challenge(pending, "webauthn")["options"]
    assert c.second_factor.verify(pending, "webauthn", {"credential": key.get(options)}, ip="1.2.3.4")
    challenge_id, body = c.webauthn.login_options()
    outcome = c.login.sign_in("passkey", {"challenge_id": challenge_id, "credential": key.get(body["options"])},
                              ip="10.0.0.1")
    assert outcome.result["status"] == "authenticated"
    assert c.sessions.authenticate(outcome.token).session.aal == 2


def test_a_passkey_without_user_verification_cannot_sign_in_alone(c: Container) -> None:
    _account(c)
    _, auth = _login(c)
    key = SoftAuthenticator()
    _register(c, auth, key)
    key.user_verification = False
    challenge_id, body = c.webauthn.login_options()
    with pytest.raises(InvalidCredentialsError):
        c.login.sign_in("passkey", {"challenge_id": challenge_id, "credential": key.get(body["options"])},
                        ip="10.0.0.1")


def test_a_registration_from_another_origin_is_rejected(c: Container) -> None:
    _account(c)
    _, auth = _login(c)
    options = c.mfa.begin(auth, "webauthn")["options"]
    with pytest.raises(WebAuthnRejectedError):
        c.mfa.finish(auth, "webauthn", {"credential": SoftAuthenticator().create(options, origin="https://evil.test")})


def test_py_webauthn_is_imported_only_when_a_ceremony_runs() -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    probe = ("import sys; import functions.login.routes, functions.mfa_verify.routes, functions.mfa_manage.routes; "
             "from gatehouse.bootstrap import Container; c = Container.in_memory(); "
             "c.second_factor, c.mfa, c.code_login, c.login; print('webauthn' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{root / 'layers/shared/python'}"}
    out = subprocess.run([sys.executable, "-c", probe], cwd=root, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
