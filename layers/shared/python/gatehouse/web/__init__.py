"""The browser pages' static files: one app shell (index.html), its script and its stylesheet.

The `web` function serves them; they are read with importlib.resources once per cold start, so a
request costs no disk read. The pages are plain ES modules with no build step and nothing fetched
from another origin, which lets the Content-Security-Policy below stay strict.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

# Every page the shell knows how to render (app.js routes on the path); anything else is a 404.
PAGES = frozenset({"", "verify", "consoles", "account", "reset", "reset/complete", "mfa", "verify-email",
                   "outbox"})
# Sign-in with an emailed code, and where the link confirming an account's address lands.
PAGES = PAGES | {"code", "confirm-email"}
# Recovery when the email no longer works: the request form, the owner's cancel link, support's queue.
PAGES = PAGES | {"recovery", "recovery/cancel", "support"}

ASSET_TYPES = {
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
# The pages' texts, one catalogue per language (static/i18n/<locale>.js); `{name}` takes no slash, so
# each is served under a flat name.
ASSET_PATHS = {"i18n-en.js": "i18n/en.js", "i18n-fr.js": "i18n/fr.js"}
ASSET_TYPES |= dict.fromkeys(ASSET_PATHS, "text/javascript; charset=utf-8")

# No inline script or style, nothing from another origin, no framing. `data:` images are for the
# TOTP QR code when the API returns one as a data URI.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)




def content_security_policy(upload_origin: str | None = None) -> str:
    """The policy, letting the page also post to `upload_origin` (the recovery form sends its documents
    straight to the bucket with presigned forms; no other page may reach it)."""
    if not upload_origin:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("connect-src 'self'", f"connect-src 'self' {upload_origin}")


@cache
def read(name: str) -> str:
    """The text of one static file; cached for the life of the process (one cold start)."""
    return resources.files(__name__).joinpath("static", name).read_text(encoding="utf-8")


def shell() -> str:
    return read("index.html")


def asset(name: str) -> tuple[str, str] | None:
    """(text, content type) of a public asset, or None for any other name (no path tricks)."""
    content_type = ASSET_TYPES.get(name)
    return None if content_type is None else (read(ASSET_PATHS.get(name, name)), content_type)
