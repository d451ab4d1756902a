"""The local stand-in console's own session: a signed cookie holding whom it signed in.

A real console, once it has exchanged its hand-off code, keeps its own session; so does the stand-in,
so that its page can be shown again (in the other language, from its switch) without the code, which
opens it only once. Signed with the console's secret: the page never shows a name the browser made up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping

COOKIE = "gh_console"


def remember(who: Mapping[str, str], secret: str) -> str:
    payload = base64.urlsafe_b64encode(json.dumps({"email": who["email"], "context": who["context"],
                                                   "account_id": who.get("account_id", "")}).encode()).decode()
    return f"{payload}.{_mac(payload, secret)}"


def recall(value: str | None, secret: str) -> dict[str, str] | None:
    payload, _, mac = (value or "").partition(".")
    if not payload or not hmac.compare_digest(mac, _mac(payload, secret)):
        return None
    try:
        who = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return None
    return {k: str(who.get(k, "")) for k in ("email", "context", "account_id")} if isinstance(who, dict) else None


def _mac(payload: str, secret: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
