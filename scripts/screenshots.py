"""Screenshots of the main pages, taken from the running stack as a person would walk through them.

    .venv/bin/python scripts/screenshots.py [--base http://localhost:8000] [--out docs/screenshots]

Without --base it reads the stack's address from the state file `python -m gatehouse.local serve`
(`make run`) writes. It drives Debian's Chromium (/usr/bin/chromium) with Playwright, signs in with
the demo accounts `make run` seeds, and writes one PNG per page at a fixed viewport, under fixed
names. It leaves the demo accounts as it found them: the second factor is shown on a fresh sign-up
(never confirmed), and every signed-in tab signs out at the end, so a second run works the same.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 800}

# Kept in step with gatehouse/local/demo.py, which `make run` seeds; the script only needs the stack's HTTP.
DEMO_EMAIL = "demo@gatehouse.local"
DEMO_PASSWORD = "correct horse battery staple"
SUPPORT_EMAIL = "support@gatehouse.local"
LEGACY_EMAIL, LEGACY_PASSWORD = "linked@legacy.gatehouse.local", "linked scaleway password"
NEWCOMER_PASSWORD = "a quiet harbour at dawn"
RECOVERY_DOMAIN = "demo-domain.example"  # the reset demo account's domain
RECOVERY_FILES = {  # a small file of each type the recovery form takes, by the field's label
    "First identity document": ("id-card.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
    "Second identity document": ("passport.pdf", b"%PDF-1.4\n% passport\n"),
    "Last bill": ("bill.pdf", b"%PDF-1.4\n% last bill\n"),
    "Card statement": ("statement.pdf", b"%PDF-1.4\n% card statement\n"),
}

# Every file the script writes, in order: the test checks each one.
SHOTS = (
    "01-sign-in.png",
    "02-sign-up.png",
    "03-outbox.png",
    "04-consoles.png",
    "05-console-scaleway.png",
    "06-account.png",
    "07-sessions.png",
    "08-security-totp.png",
    "09-password-reset.png",
    "10-recovery-request.png",
    "11-support-queue.png",
    "12-legacy-consoles.png",
    "13-sso-refused-fr.png",
)


def local_base() -> str:
    from gatehouse.local import state

    return state.read().base_url


class Walk:
    def __init__(self, browser: Any, base: str, out: Path) -> None:
        self.browser, self.base, self.out = browser, base.rstrip("/"), out
        self.taken: list[str] = []
        probe = browser.new_page()
        self.user_agent: str = probe.evaluate("navigator.userAgent")
        probe.close()

    @contextmanager
    def tab(self, locale: str = "en-GB") -> Iterator[Any]:
        """A fresh context (its own cookies), signed out when done so no demo session is left behind;
        `locale` is the browser's language (Accept-Language)."""
        user_agent = self.user_agent.replace("HeadlessChrome", "Chrome")
        context = self.browser.new_context(base_url=self.base, viewport=VIEWPORT, device_scale_factor=1,
                                           user_agent=user_agent,
                                           locale=locale, timezone_id="UTC", reduced_motion="reduce")
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            yield page
            logout = page.locator("#logout")
            if logout.count():
                logout.click()
                page.wait_for_url(f"{self.base}/ui/")
        finally:
            context.close()

    def shot(self, page: Any, name: str, ready: Callable[[], None] | None = None) -> None:
        assert name in SHOTS, name
        if ready:
            ready()
        page.wait_for_load_state("networkidle")
        # A caret blinking in a focused field would make two runs differ for nothing.
        page.evaluate("document.activeElement && document.activeElement.blur && document.activeElement.blur()")
        page.screenshot(path=str(self.out / name), animations="disabled", caret="hide")
        self.taken.append(name)
        print(f"  {name}", file=sys.stderr)

    def sign_in(self, page: Any, email: str, password: str, start: str = "/ui/") -> None:
        page.goto(start)
        login = page.locator("#login-form")
        login.get_by_label("Email", exact=True).fill(email)
        login.get_by_label("Password", exact=True).fill(password)
        login.get_by_role("button", name="Sign in").click()

    def send_recovery_request(self, page: Any) -> bool:
        """Fill the recovery form for the reset demo account, as its owner would; False when it is refused
        (a throttle after many runs), the queue then shows what it holds."""
        import tempfile

        from playwright.sync_api import expect

        form = page.locator("#recovery-form")
        form.get_by_label("I will give").select_option(label="one of my domain names")
        form.get_by_label("Dedibox login or domain name").fill(RECOVERY_DOMAIN)
        form.get_by_label("New email address").fill("reset.demo@example.net")
        form.get_by_label("Postal address").fill("12 rue de la Paix\n75002 Paris")
        form.get_by_label("Phone").fill("+33 6 12 34 56 78")
        with tempfile.TemporaryDirectory() as folder:
            for label, (name, content) in RECOVERY_FILES.items():
                path = Path(folder) / name
                path.write_bytes(content)
                form.get_by_label(label, exact=True).set_input_files(str(path))
            page.get_by_role("button", name="Send the request").click()
            try:
                expect(page.get_by_role("heading", level=1)).to_have_text("Request sent")
            except AssertionError:
                print("  (the recovery request was refused: the queue shows what it holds)", file=sys.stderr)
                return False
        return True

    def heading(self, page: Any, text: str) -> Callable[[], None]:
        from playwright.sync_api import expect

        return lambda: expect(page.get_by_role("heading", level=1)).to_have_text(text)

    def run(self) -> None:
        from playwright.sync_api import expect

        newcomer = f"jane.{int(time.time())}@example.com"
        with self.tab() as page:
            page.goto("/ui/")
            self.shot(page, "01-sign-in.png", self.heading(page, "Sign in to Gatehouse"))

            signup = page.locator("#signup-form")
            signup.get_by_label("Email", exact=True).fill(newcomer)
            signup.get_by_label("Choose a password").fill(NEWCOMER_PASSWORD)
            signup.get_by_role("button", name="Create my account").click()
            self.shot(page, "02-sign-up.png",
                      lambda: expect(page.get_by_role("status")).to_contain_text(f"We sent a link to {newcomer}"))

            page.goto(f"/ui/outbox?to={newcomer}")
            self.shot(page, "03-outbox.png",
                      lambda: expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible())
            page.locator("#messages a[href*='/ui/verify?token=']").last.click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Account created")

            # The newcomer's second factor: enrolment started, never confirmed, on an account of its own.
            self.sign_in(page, newcomer, NEWCOMER_PASSWORD, "/ui/?next=/ui/mfa")
            expect(page.get_by_role("heading", level=1)).to_have_text("Second factors")
            page.get_by_role("button", name="Add an authenticator app").click()
            qr = page.get_by_role("img", name="QR code to scan with your authenticator app")
            expect(qr).to_be_visible()
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
            qr.scroll_into_view_if_needed()
            self.shot(page, "08-security-totp.png")

        with self.tab() as page:
            self.sign_in(page, DEMO_EMAIL, DEMO_PASSWORD)
            self.shot(page, "04-consoles.png", self.heading(page, "Choose a console"))
            page.get_by_role("button", name="Open Scaleway").click()
            self.shot(page, "05-console-scaleway.png",
                      lambda: expect(page.locator("#status")).to_contain_text(f"Signed in as {DEMO_EMAIL}"))
            page.get_by_role("link", name="Switch console").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Choose a console")
            page.get_by_role("link", name="Account", exact=True).click()
            self.shot(page, "06-account.png", lambda: expect(page.locator("#profile-form")).to_be_visible())
            sessions = page.locator("#sessions")
            expect(sessions.locator("li", has_text="this one")).to_be_visible()
            sessions.evaluate("el => el.scrollIntoView({block: 'center'})")
            self.shot(page, "07-sessions.png")

        with self.tab() as page:
            page.goto("/ui/")
            page.get_by_role("link", name="Forgot your password?").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
            self.shot(page, "09-password-reset.png")
            page.locator("#to-recovery").click()
            self.shot(page, "10-recovery-request.png",
                      lambda: expect(page.locator("#recovery-form")).to_be_visible())
            sent = self.send_recovery_request(page)

        with self.tab() as page:
            self.sign_in(page, SUPPORT_EMAIL, DEMO_PASSWORD, "/ui/?next=/ui/support")
            expect(page.get_by_role("heading", level=1)).to_have_text("Recovery requests")
            request = page.get_by_role("region", name=f"Domain {RECOVERY_DOMAIN}").last
            if sent:
                expect(request).to_be_visible()
            self.shot(page, "11-support-queue.png")
            if sent:
                # Rejected at once: the reset demo account keeps its address, and the queue empties again.
                request.get_by_label("Note").fill("Screenshots only: nothing to decide.")
                request.get_by_role("button", name="Reject").click()
                expect(request.get_by_role("status")).to_contain_text("Rejected.")

        with self.tab() as page:
            self.sign_in(page, LEGACY_EMAIL, LEGACY_PASSWORD)
            card = page.get_by_role("region", name="Your Scaleway and Dedibox accounts are now one")
            self.shot(page, "12-legacy-consoles.png", lambda: expect(card).to_be_visible())

        # A French visitor whose Microsoft account (tenant two) claims an address it does not own: the
        # server's own refusal page, in the browser's language.
        with self.tab("fr-FR") as page:
            page.goto("/sso/microsoft")
            page.get_by_role("button", name=re.compile(r"Fabrikam \(tenant two\)")).click()
            self.shot(page, "13-sso-refused-fr.png",
                      self.heading(page, "La connexion avec Microsoft n\u2019a pas abouti"))

        missing = [name for name in SHOTS if name not in self.taken]
        assert not missing, missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", help="the stack's address (default: the one `make run` recorded)")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"), help="where the PNGs go")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium", file=sys.stderr)
        return 2
    try:
        base = args.base or local_base()
    except RuntimeError as error:  # NoLocalStackError: no stack answers; its message names `make run`
        print(error, file=sys.stderr)
        return 2
    if not re.match(r"https?://", base):
        print(f"--base must be an http(s) URL, not {base!r}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    print(f"screenshots of {base} into {args.out}:", file=sys.stderr)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            Walk(browser, base, args.out).run()
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
