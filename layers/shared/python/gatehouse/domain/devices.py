"""A session's device in words ("Chrome on Linux"), from its User-Agent header.

The parsing is ua-parser's (the maintained uap-core rules), not a regex of ours. It is imported on
the first call only: the login function lists sessions, but its cold start (every sign-in) must not
pay for loading a few hundred rules it may never use.
"""

from __future__ import annotations

from functools import lru_cache

UNKNOWN = "Unknown device"


@lru_cache(maxsize=256)
def describe(user_agent: str) -> str:
    """"Browser on OS", or what of the two is known; `UNKNOWN` when neither is."""
    browser, system = parts(user_agent)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or UNKNOWN


@lru_cache(maxsize=256)
def parts(user_agent: str) -> tuple[str | None, str | None]:
    """(browser, system) by name, each None when unknown: a page in another language joins them itself
    ("Chrome sur Linux")."""
    if not user_agent.strip():
        return None, None
    import ua_parser

    parsed = ua_parser.parse(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent and parsed.user_agent.family != "Other" else None
    system = parsed.os.family if parsed.os and parsed.os.family != "Other" else None
    return browser, system
