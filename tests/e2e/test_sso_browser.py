"""SSO in a real headless Chromium: the provider's own sign-in page (oidc-provider, the GitHub
fake) on another site (127.0.0.1) than Gatehouse (localhost), so the transaction cookie really
has to survive a cross-site redirect back (SameSite=Lax), as it must with Google or Microsoft."""

from __future__ import annotations

import re

import pytest

from tests.e2e import test_browser_pages as pages
from tests.e2e.conftest import Stack
from tests.e2e.test_browser_pages import Tab, expect

# The pages' Chromium (one per session) and their tab, which fails a test on a script error or CSP violation.
browser, tab = pages.browser, pages.tab

pytestmark = pytest.mark.browser


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
