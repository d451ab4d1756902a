"""The pages in a real headless Chromium against the local stack: the newcomer's journey from the
home page to both consoles, and what a person sees when the API says no.

Debian's Chromium (/usr/bin/chromium, `make browser`) driven by Playwright; no browser download.
Set GATEHOUSE_SCREENSHOTS=<dir> to keep the screenshots for a look.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import CONSOLE_AUTH, STRONG_PASSWORD, Stack

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


class Tab:
    """A fresh browser context (own cookies) with one page, collecting the console's complaints."""

    def __init__(self, browser: object, stack: Stack) -> None:
        self.context = browser.new_context(base_url=stack.base, viewport={"width": 1100, "height": 800})  # type: ignore[attr-defined]
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.problems: list[str] = []
        # The browser logs every 4xx answer as a console error; the API's refusals are expected, so
        # only script errors and CSP violations count.
        self.page.on("console", lambda m: m.type == "error" and not m.text.startswith("Failed to load resource")
                     and self.problems.append(m.text))
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser: object, stack: Stack) -> Iterator[Tab]:
    opened = Tab(browser, stack)
    yield opened
    opened.close()
    # A Content-Security-Policy violation or a script error is a bug in the pages, whatever the test.
    assert not opened.problems, opened.problems


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    keep = os.environ.get("GATEHOUSE_SCREENSHOTS")
    target = Path(keep) if keep else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    return target


def expect(locator: object) -> object:
    return playwright_api.expect(locator)


def sign_in(page: object, email: str, start: str = "/ui/", password: str = STRONG_PASSWORD) -> None:
    """Sign in with the password on the home page's form (`start` may carry a `next`)."""
    page.goto(start)  # type: ignore[attr-defined]
    login = page.locator("#login-form")  # type: ignore[attr-defined]
    login.get_by_label("Email", exact=True).fill(email)
    login.get_by_label("Password", exact=True).fill(password)
    login.get_by_role("button", name="Sign in").click()


def test_newcomer_signs_up_follows_the_link_and_reaches_both_consoles(
        tab: Tab, stack: Stack, unique_email: str, shots: Path) -> None:
    page = tab.page
    page.goto("/")
    expect(page).to_have_url(f"{stack.base}/ui/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Gatehouse")
    page.screenshot(path=str(shots / "home.png"), full_page=True)

    signup = page.locator("#signup-form")
    signup.get_by_label("Email", exact=True).fill(unique_email)
    signup.get_by_label("Choose a password").fill(STRONG_PASSWORD)
    signup.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("status")).to_contain_text(f"We sent a link to {unique_email}")

    # The local outbox page shows the email with its link clickable.
    page.goto(f"/ui/outbox?to={unique_email}")
    expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    page.locator("#messages a[href*='/ui/verify?token=']").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Account created")
    page.get_by_role("link", name="Sign in").last.click()

    login = page.locator("#login-form")
    login.get_by_label("Email", exact=True).fill(unique_email)
    login.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
    login.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{stack.base}/ui/consoles")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a console")
    expect(page.locator("#who")).to_have_text(unique_email)
    page.screenshot(path=str(shots / "consoles.png"), full_page=True)

    page.get_by_role("button", name="Open Scaleway").click()
    expect(page).to_have_url(re.compile(re.escape(f"{stack.base}/dev/console/scaleway?code=") + r"[\w-]+$"))
    expect(page.locator("h1")).to_have_text("Scaleway console")
    expect(page.locator("#status")).to_contain_text(f"Signed in as {unique_email}")

    page.get_by_role("link", name="Switch console").click()
    expect(page.get_by_role("region", name="Scaleway")).to_contain_text("current")
    page.get_by_role("button", name="Open Dedibox").click()
    expect(page).to_have_url(re.compile(re.escape(f"{stack.base}/dev/console/dedibox?code=") + r"[\w-]+$"))
    expect(page.locator("h1")).to_have_text("Dedibox console")
    expect(page.locator("#status")).to_contain_text(f"Signed in as {unique_email}")


def test_a_wrong_password_shows_the_apis_message_on_the_sign_in_form(
        tab: Tab, stack: Stack, signed_up: tuple[object, str]) -> None:
    _, email = signed_up
    expected = requests.post(f"{stack.base}/login", json={"email": email, "password": "not my password at all"},
                             timeout=10).json()["error"]["message"]
    page = tab.page
    page.goto("/ui/")
    login = page.locator("#login-form")
    login.get_by_label("Email", exact=True).fill(email)
    login.get_by_label("Password", exact=True).fill("still not my password")
    login.get_by_role("button", name="Sign in").click()
    expect(login.get_by_role("alert")).to_have_text(expected)
    expect(page).to_have_url(f"{stack.base}/ui/")


def test_a_weak_password_at_sign_up_shows_each_reason_next_to_the_field(
        tab: Tab, stack: Stack, unique_email: str) -> None:
    r = requests.post(f"{stack.base}/signup", json={"email": unique_email, "password": "password"}, timeout=10)
    assert r.status_code == 400 and r.json()["error"]["code"] == "weak_password"
    reasons = r.json()["error"]["details"]["reasons"]
    assert reasons

    page = tab.page
    page.goto("/ui/")
    signup = page.locator("#signup-form")
    signup.get_by_label("Email", exact=True).fill(unique_email)
    password = signup.get_by_label("Choose a password")
    password.fill("password")
    signup.get_by_role("button", name="Create my account").click()
    expect(signup.locator(".field-error[data-for=password] li")).to_have_text(reasons)
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_be_focused()
    # The error is announced with the field: it is part of the field's accessible description.
    assert "field-error" in (page.evaluate(
        "id => document.getElementById(id).className",
        password.get_attribute("aria-describedby").split()[-1]) or "")


def test_every_form_control_has_a_label_and_the_page_has_one_main_heading(tab: Tab) -> None:
    page = tab.page
    page.goto("/ui/")
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
        .filter(e => e.type !== 'hidden' && e.labels.length === 0).map(e => e.name)""")
    assert unlabelled == []


def test_pages_are_served_with_a_strict_content_security_policy(stack: Stack) -> None:
    r = requests.get(f"{stack.base}/ui/consoles", timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/html; charset=utf-8"
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script" in r.text and "<script>" not in r.text  # the only script is the module file
    js = requests.get(f"{stack.base}/ui/assets/app.js", timeout=10)
    assert js.headers["Content-Type"].startswith("text/javascript")
    assert requests.get(f"{stack.base}/ui/assets/..%2Fsecret", timeout=10).status_code == 404
    assert requests.get(f"{stack.base}/ui/nowhere", timeout=10).status_code == 404


def test_signed_out_visitor_of_the_consoles_page_is_sent_to_sign_in(tab: Tab, stack: Stack) -> None:
    page = tab.page
    page.goto("/ui/consoles")
    expect(page).to_have_url(f"{stack.base}/ui/?next=/ui/consoles")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Gatehouse")


def test_forgotten_password_is_reset_from_the_emailed_link_and_the_link_works_once(
        tab: Tab, stack: Stack, signed_up: tuple[object, str]) -> None:
    _, email = signed_up
    new_password = "a brand new lantern by the sea"
    page = tab.page
    page.goto("/ui/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    by_email = page.locator("#reset-email-form")
    by_email.get_by_label("I will give").select_option("email")
    by_email.get_by_label("Email, login or domain").fill(email)
    by_email.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("status")).to_contain_text("If an account matches, we emailed it a link")

    page.goto(f"/ui/outbox?to={email}")
    link = page.locator("#messages a[href*='/ui/reset/complete?token=']").last
    href = link.get_attribute("href")
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    page.locator("#reset-complete-form").get_by_label("New password").fill(new_password)
    page.get_by_role("button", name="Change my password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password was changed")

    page.get_by_role("link", name="Sign in").last.click()
    login = page.locator("#login-form")
    login.get_by_label("Email", exact=True).fill(email)
    login.get_by_label("Password", exact=True).fill(new_password)
    login.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a console")

    # The link is single use: following it again shows the API's refusal and a way forward.
    page.goto(href)
    page.locator("#reset-complete-form").get_by_label("New password").fill("yet another fresh password here")
    page.get_by_role("button", name="Change my password").click()
    expect(page.locator("#reset-complete-form").get_by_role("alert")).to_have_text(
        "This link is invalid or has expired. Ask for a new one.")
    expect(page.get_by_role("link", name="Ask for a new link")).to_be_visible()


def test_password_is_reset_with_the_code_texted_to_the_accounts_phone(
        tab: Tab, stack: Stack, signed_up: tuple[object, str]) -> None:
    client, email = signed_up
    phone = "+336" + str(int(email.split("-")[-1].split("@")[0]) % 10**8).zfill(8)
    r = client.patch("/account", json={"phone": phone})  # type: ignore[attr-defined]
    assert r.status_code == 200, r.text
    page = tab.page
    page.goto("/ui/reset")
    by_sms = page.locator("#reset-sms-form")
    by_sms.get_by_label("Email, login or domain").fill(email)
    by_sms.get_by_role("button", name="Text me a code").click()
    expect(page.get_by_role("status")).to_contain_text("we texted it a code")
    sms = stack.last_message(phone, "sms")["text"]
    code = re.search(r"\b(\d{6})\b", sms).group(1)  # type: ignore[union-attr]
    complete = page.locator("#reset-sms-complete-form")
    complete.get_by_label("Code from the SMS").fill(code)
    complete.get_by_label("New password").fill("the tide comes in twice a day")
    complete.get_by_role("button", name="Change my password").click()
    expect(page.get_by_role("status").last).to_contain_text("Your password was changed")
    r = requests.post(f"{stack.base}/login", json={"email": email, "password": "the tide comes in twice a day"},
                      timeout=10)
    assert r.status_code == 200


def _server_now(stack: Stack, advance: float = 0) -> float:
    """The stack's clock (tests move it forward), as epoch seconds, for computing TOTP codes."""
    from datetime import datetime

    r = requests.post(f"{stack.base}/dev/clock", json={"seconds": advance}, timeout=10)
    return datetime.fromisoformat(r.json()["now"].replace("Z", "+00:00")).timestamp()


def test_an_authenticator_app_is_set_up_then_asked_for_at_the_next_sign_in(
        tab: Tab, stack: Stack, signed_up: tuple[object, str]) -> None:
    pyotp = pytest.importorskip("pyotp")
    _, email = signed_up
    page = tab.page
    sign_in(page, email, "/ui/?next=/ui/mfa")
    expect(page.get_by_role("heading", level=1)).to_have_text("Second factors")

    page.get_by_role("button", name="Add an authenticator app").click()
    expect(page.get_by_role("img", name="QR code to scan with your authenticator app")).to_be_visible()
    totp = pyotp.TOTP(page.locator("#totp-secret").inner_text().strip())
    confirm = page.locator("#totp-confirm-form")
    confirm.get_by_label("6-digit code from the app").fill(totp.at(_server_now(stack)))
    confirm.get_by_role("button", name="Confirm").click()
    expect(page.locator("#recovery-codes li")).not_to_have_count(0)
    expect(page.locator("#mfa-methods li")).to_have_count(1)

    page.locator("#logout").click()
    expect(page).to_have_url(f"{stack.base}/ui/")
    login = page.locator("#login-form")
    login.get_by_label("Email", exact=True).fill(email)
    login.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
    login.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{stack.base}/ui/mfa")
    expect(page.get_by_role("heading", level=1)).to_have_text("Second step")

    second = page.locator("#totp-form")
    second.get_by_label("6-digit code").fill("000000" if totp.at(_server_now(stack)) != "000000" else "111111")
    second.get_by_role("button", name="Verify").click()
    expect(second.get_by_role("alert")).not_to_be_empty()
    # A code accepted once never works again: the next one comes from the next 30-second step.
    second.get_by_label("6-digit code").fill(totp.at(_server_now(stack, advance=30)))
    second.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a console")


def test_a_passkey_is_added_then_signs_in_as_second_step_and_alone(
        tab: Tab, stack: Stack, signed_up: tuple[object, str]) -> None:
    _, email = signed_up
    page = tab.page
    # Chromium's virtual authenticator (DevTools' WebAuthn domain): a platform passkey that always
    # verifies its user, the browser side of the ceremony left entirely to Chromium and app.js.
    devtools = tab.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    authenticator = devtools.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})["authenticatorId"]

    def sign_in_with_password() -> None:
        login = page.locator("#login-form")
        login.get_by_label("Email", exact=True).fill(email)
        login.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
        login.get_by_role("button", name="Sign in").click()

    page.goto("/ui/?next=/ui/mfa")
    sign_in_with_password()
    expect(page.get_by_role("heading", level=1)).to_have_text("Second factors")
    add = page.locator("#passkey-register-form")
    add.get_by_label("Name of this passkey").fill("Test laptop")
    add.get_by_role("button", name="Add a passkey").click()
    expect(add.get_by_role("status")).to_have_text("Your passkey was added.")
    expect(page.locator("#mfa-methods li")).to_have_count(1)
    (credential,) = devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert credential["isResidentCredential"] and credential["signCount"] == 1

    page.locator("#logout").click()
    sign_in_with_password()
    expect(page.get_by_role("heading", level=1)).to_have_text("Second step")
    page.get_by_role("button", name="Use my passkey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a console")

    page.locator("#logout").click()
    expect(page).to_have_url(f"{stack.base}/ui/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a console")
    (credential,) = devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert credential["signCount"] == 3  # each sign-in was one assertion of this passkey


def test_an_api_key_is_made_on_the_account_page_shown_once_verified_then_deleted(
        tab: Tab, stack: Stack, signed_up: tuple[object, str]) -> None:
    _, email = signed_up
    page = tab.page
    sign_in(page, email)
    expect(page).to_have_url(f"{stack.base}/ui/consoles")
    page.goto("/ui/account")
    expect(page.locator("#api-keys")).to_contain_text("No API key yet.")
    page.locator("#api-key-form").get_by_label("Name of the key").fill("deploy bot")
    page.get_by_role("button", name="Make a key").click()
    expect(page.locator("#api-key-made")).to_contain_text("it will not be shown again")
    key_id, secret = page.locator("#api-key-id").inner_text(), page.locator("#api-key-secret").inner_text()
    expect(page.locator("#api-keys")).to_contain_text("deploy bot")
    expect(page.locator("#api-keys")).to_contain_text(f"{key_id}, every console")

    def verified() -> bool:
        r = requests.post(f"{stack.base}/api-keys/verify", json={"key_id": key_id, "secret": secret},
                          headers={"Authorization": CONSOLE_AUTH["scaleway"]}, timeout=10)
        return bool(r.json()["valid"])

    assert verified()
    page.reload()  # the secret is gone from the page for good
    expect(page.locator("#api-keys")).to_contain_text("deploy bot")
    assert secret not in page.content()
    page.locator("#api-keys li", has_text="deploy bot").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("The key deploy bot was deleted: it no longer works.")).to_be_visible()
    expect(page.locator("#api-keys")).to_contain_text("No API key yet.")
    assert not verified()


@pytest.mark.parametrize(("email", "password", "says"), [
    ("linked@legacy.gatehouse.local", "linked scaleway password",
     ["Your password does not change.", "console.online.net keeps working", "Contact Dedibox support"]),
    ("late@legacy.gatehouse.local", "late scaleway password",
     ["Your password does not change.", "Sign in to Dedibox here"]),
])
def test_a_unified_account_sees_what_changed_and_whom_to_ask_on_the_consoles_page(
        tab: Tab, stack: Stack, email: str, password: str, says: list[str]) -> None:
    page = tab.page
    sign_in(page, email, password=password)
    expect(page).to_have_url(f"{stack.base}/ui/consoles")
    card = page.get_by_role("region", name="Your Scaleway and Dedibox accounts are now one")
    for text in says:
        expect(card).to_contain_text(text)
    expect(page.get_by_role("button", name="Open Dedibox")).to_be_visible()


def test_an_account_not_touched_by_the_unification_sees_no_such_card(
        tab: Tab, stack: Stack, signed_up: tuple[object, str]) -> None:
    _, email = signed_up
    sign_in(tab.page, email)
    expect(tab.page.get_by_role("heading", level=1)).to_have_text("Choose a console")
    expect(tab.page.locator("#unification")).to_have_count(0)


def test_a_member_is_offered_the_organizations_account_on_the_consoles_page(
        tab: Tab, stack: Stack, signed_up: tuple[object, str]) -> None:
    from tests.e2e.conftest import sign_up

    owner, owner_email = signed_up
    member_email = "member-" + owner_email
    sign_up(stack, member_email)
    r = owner.post("/organization/members", json={"email": member_email, "role": "admin"})  # type: ignore[attr-defined]
    assert r.status_code == 201, r.text
    page = tab.page
    sign_in(page, member_email)
    scaleway = page.get_by_role("region", name="Scaleway", exact=True)
    expect(scaleway).to_contain_text("Choose the account to open.")
    expect(scaleway).to_contain_text(f"Shared by {owner_email} (whole account)")


# --- single sign-on: the provider's own sign-in page is on another site (127.0.0.1) than Gatehouse
# (localhost), so the transaction cookie really has to survive a cross-site redirect back
# (SameSite=Lax), as it must with Google or Microsoft.

def test_sign_in_with_google_as_a_linked_user_picks_the_user_and_reaches_a_console(tab: Tab, stack: Stack) -> None:
    page = tab.page
    page.goto("/sso/google")
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/google/interaction/"))
    page.get_by_role("button", name=re.compile(r"^Demo User <demo@gatehouse\.local>")).click()
    expect(page).to_have_url(re.compile(re.escape(f"{stack.base}/ui/")))
    page.goto("/ui/consoles")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a console")
    expect(page.locator("#who")).to_have_text("demo@gatehouse.local")
    page.get_by_role("button", name="Open Scaleway").click()
    expect(page.locator("#status")).to_contain_text("Signed in as demo@gatehouse.local")


def test_a_tenant_two_user_claiming_someones_email_is_refused_with_a_clear_page(tab: Tab, stack: Stack) -> None:
    page = tab.page
    page.goto("/sso/microsoft")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pick an account (Microsoft, any tenant)")
    page.get_by_role("button", name=re.compile(r"Fabrikam \(tenant two\)")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in with Microsoft did not complete")
    expect(page.locator("main")).to_contain_text("does not vouch for this email address")
    page.get_by_role("link", name="Back to sign-in").click()
    expect(page).to_have_url(f"{stack.base}/ui/")
    assert page.context.cookies(stack.base) == [] or all(c["name"] != "gh_session" for c in page.context.cookies())


def test_cancelling_on_github_says_nothing_was_changed(tab: Tab, stack: Stack) -> None:
    page = tab.page
    page.goto("/sso/github")
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("main")).to_contain_text("You cancelled the sign-in at the provider")


def test_sign_in_with_google_on_an_account_with_totp_asks_for_the_second_factor(tab: Tab, stack: Stack) -> None:
    from tests.e2e.test_mfa_totp import enrol_totp, totp_code

    owner = stack.client()
    r = owner.post("/login", json={"email": "sso-totp@gatehouse.local", "password": "correct horse battery staple"})
    secret = None
    if r.json()["status"] != "mfa_required":  # the HTTP tests may have added it already
        secret, _ = enrol_totp(stack, owner)
    page = tab.page
    page.goto("/sso/google?login_hint=google-totp")
    # Back at /ui/, the page sees an mfa_required session and goes on to the second factor.
    expect(page).to_have_url(re.compile(re.escape(f"{stack.base}/ui/mfa")))
    expect(page.locator("#totp-form")).to_be_visible()
    if secret:
        page.locator("#totp-form").get_by_label("6-digit code").fill(totp_code(stack, secret, 30))
        page.locator("#totp-form").get_by_role("button").first.click()
        expect(page).to_have_url(re.compile(re.escape(f"{stack.base}/ui/consoles")))
