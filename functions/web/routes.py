"""GET /, /ui, /ui/{page}, /ui/reset/complete, /ui/assets/{name} and /favicon.ico: the pages and their assets.

Every page is the same shell; its script renders the page the path names and talks to the JSON
API with the session cookie. Chalice's `{page}` cannot match a slash, hence the explicit
/ui/reset/complete.
"""

from __future__ import annotations

from chalice import Blueprint, Response
from gatehouse import web
from gatehouse.api.routing import Ctx, endpoint
from gatehouse.errors import NotFoundError

bp = Blueprint(__name__)

# Assets are not versioned by name, so a short max-age keeps a deploy visible within minutes.
_ASSET_CACHE = "public, max-age=300"


def _page(page: str) -> Response:
    if page not in web.PAGES:
        raise NotFoundError()
    # Only the recovery form uploads to the documents bucket: only its policy names the bucket.
    policy = web.content_security_policy(_upload_origin() if page == "recovery" else None)
    return Response(body=web.shell(), status_code=200, headers={
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": policy,
    })


def _upload_origin() -> str:
    # Imported here, not at the top: boto3 would weigh on every page's cold start, for one page's header.
    from gatehouse.adapters.documents import upload_origin
    from gatehouse.bootstrap import container

    return upload_origin(container().settings)


@endpoint(bp, "/", tags=("web",))
def web_root(ctx: Ctx) -> Response:
    """The pages live under /ui/."""
    return Response(body="", status_code=302, headers={"Location": "/ui/"})


@endpoint(bp, "/ui", tags=("web",))
def web_home(ctx: Ctx) -> Response:
    """The home page: sign in or sign up."""
    return _page("")


@endpoint(bp, "/ui/{page}", tags=("web",))
def web_page(ctx: Ctx) -> Response:
    """One page of the app (verify, consoles, account, reset, mfa, verify-email, outbox)."""
    return _page(ctx.params["page"])


@endpoint(bp, "/ui/reset/complete", tags=("web",))
def web_reset_complete(ctx: Ctx) -> Response:
    """Where the password reset email's link lands."""
    return _page("reset/complete")


@endpoint(bp, "/ui/recovery/cancel", tags=("web",))
def web_recovery_cancel(ctx: Ctx) -> Response:
    """Where the link of a recovery hold's announcement lands: the owner cancels the request."""
    return _page("recovery/cancel")


@endpoint(bp, "/ui/assets/{name}", tags=("web",))
def web_asset(ctx: Ctx) -> Response:
    """The pages' script and stylesheet."""
    found = web.asset(ctx.params["name"])
    if found is None:
        raise NotFoundError()
    text, content_type = found
    return Response(body=text, status_code=200, headers={"Content-Type": content_type,
                                                         "Cache-Control": _ASSET_CACHE})


@endpoint(bp, "/favicon.ico", tags=("web",))
def favicon(ctx: Ctx) -> Response:
    """The icon a browser asks for on its own, whatever the page links: the pages' SVG icon."""
    text, content_type = web.asset("favicon.svg") or ("", "image/svg+xml")
    return Response(body=text, status_code=200, headers={"Content-Type": content_type,
                                                         "Cache-Control": _ASSET_CACHE})
