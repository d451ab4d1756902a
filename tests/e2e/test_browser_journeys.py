"""Journeys that end in a console, in Chromium, with only clicks, typing and the outbox (read as a
person reads their mail): signing in with an emailed code, the erased-password legacy account of
`make run` through its required actions, and a lone Dedibox account that is asked no confirmation.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import STRONG_PASSWORD, Stack
from tests.e2e.test_browser_pages import Tab, _server_now, browser, expect, sign_in, tab  # noqa: F401

pytestmark = pytest.mark.browser

TOTP_DEMO_SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def mailed_code(stack: Stack, to: str) -> str:
    """The 8-digit code of the newest sign-in email to `to`, as its reader would copy it."""
    mail = [m for m in stack.outbox(to) if m["channel"] == "email" and "code" in (m["subject"] or "").lower()]
    assert mail, f"no sign-in code email to {to}"
    match = re.search(r"\b(\d{8})\b", mail[-1]["text"])
    assert match, mail[-1]["text"]
    return match.group(1)


def ask_for_a_code(page: object, stack: Stack, email: str) -> None:
    page.goto("/ui/")  # type: ignore[attr-defined]
    page.locator("#login-form").get_by_label("Email", exact=True).fill(email)  # type: ignore[attr-defined]
    page.get_by_role("link", name="Email me a code").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in with a code")  # type: ignore[attr-defined]
    request = page.locator("#code-request-form")  # type: ignore[attr-defined]
    expect(request.get_by_label("Email", exact=True)).to_have_value(email)
    request.get_by_role("button", name="Email me a code").click()
    expect(page.get_by_role("status")).to_contain_text(email)  # type: ignore[attr-defined]


def enter_the_code(page: object, stack: Stack, email: str) -> None:
    form = page.locator("#code-verify-form")  # type: ignore[attr-defined]
    form.get_by_label("8-digit code from the email").fill(mailed_code(stack, email))
    form.get_by_role("button", name="Sign in").click()


def open_console(page: object, stack: Stack, name: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a console")  # type: ignore[attr-defined]
    page.get_by_role("button", name=f"Open {name}").first.click()  # type: ignore[attr-defined]
    expect(page).to_have_url(re.compile(re.escape(f"{stack.base}/dev/console/{name.lower()}?code=")))
    expect(page.locator("h1")).to_have_text(f"{name} console")  # type: ignore[attr-defined]


def test_a_new_user_signs_in_with_an_emailed_code_and_opens_a_console(
        tab: Tab, stack: Stack, unique_email: str) -> None:  # noqa: F811
    page = tab.page
    page.goto("/ui/")
    signup = page.locator("#signup-form")
    signup.get_by_label("Email", exact=True).fill(unique_email)
    signup.get_by_label("Choose a password").fill(STRONG_PASSWORD)
    signup.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("status")).to_contain_text(f"We sent a link to {unique_email}")
    page.goto(f"/ui/outbox?to={unique_email}")
    page.locator("#messages a[href*='/ui/verify?token=']").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Account created")

    ask_for_a_code(page, stack, unique_email)
    wrong = page.locator("#code-verify-form")
    wrong.get_by_label("8-digit code from the email").fill("00000000" if mailed_code(stack, unique_email)
                                                           != "00000000" else "11111111")
    wrong.get_by_role("button", name="Sign in").click()
    expect(wrong.get_by_role("alert")).not_to_be_empty()
    enter_the_code(page, stack, unique_email)
    expect(page).to_have_url(f"{stack.base}/ui/consoles")
    expect(page.locator("#who")).to_have_text(unique_email)
    open_console(page, stack, "Scaleway")


def test_the_erased_password_account_signs_in_with_a_code_sets_a_password_and_a_factor_then_opens_dedibox(
        tab: Tab, stack: Stack) -> None:  # noqa: F811
    import pyotp

    email = "many@legacy.gatehouse.local"  # "several D with one email, no S": password and factor erased
    page = tab.page
    sign_in(page, email, password="demo-many-1 password")  # what such a user tries first
    expect(page.locator("#login-form").get_by_role("alert")).not_to_be_empty()
    expect(page.get_by_role("link", name="Email me a code")).to_be_visible()

    ask_for_a_code(page, stack, email)
    enter_the_code(page, stack, email)
    expect(page.get_by_role("heading", level=1)).to_have_text("One more step")
    expect(page.get_by_text("Confirm your email address")).to_have_count(0)  # the code proved it
    choose = page.locator("#set-password-form")
    choose.get_by_label("New password").fill("a lantern above the quiet bay")
    choose.get_by_role("button", name="Save the password").click()

    expect(page.locator("#set-password-form")).to_have_count(0)
    page.get_by_role("link", name="Set up a second factor").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Second factors")
    page.get_by_role("button", name="Add an authenticator app").click()
    totp = pyotp.TOTP(page.locator("#totp-secret").inner_text().strip())
    confirm = page.locator("#totp-confirm-form")
    confirm.get_by_label("6-digit code from the app").fill(totp.at(_server_now(stack)))
    confirm.get_by_role("button", name="Confirm").click()
    expect(page.locator("#recovery-codes li")).not_to_have_count(0)

    page.locator("#nav").get_by_role("link", name="Consoles").click()
    open_console(page, stack, "Dedibox")

    # The new password works from now on (the second factor is then asked for).
    page.goto("/ui/")
    page.locator("#logout").click()
    sign_in(page, email, password="a lantern above the quiet bay")
    expect(page.get_by_role("heading", level=1)).to_have_text("Second step")


def test_a_lone_dedibox_account_reaches_a_console_without_confirming_its_address(
        tab: Tab, stack: Stack) -> None:  # noqa: F811
    import pyotp

    # "one D, no S": its address came from Dedibox and is not verified, yet nothing is asked of it.
    page = tab.page
    sign_in(page, "totp@legacy.gatehouse.local", password="totp dedibox password")
    expect(page.get_by_role("heading", level=1)).to_have_text("Second step")
    second = page.locator("#totp-form")
    second.get_by_label("6-digit code").fill(pyotp.TOTP(TOTP_DEMO_SEED).at(_server_now(stack)))
    second.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Confirm your email address")).to_have_count(0)
    open_console(page, stack, "Dedibox")
