"""Messages state the lifetimes the settings give, not a number written into their text."""

from __future__ import annotations

import re
from dataclasses import replace

from gatehouse.bootstrap import Container

from tests.unit.conftest import FAST

PASSWORD = "a quiet harbour at dawn"


def _container(**changes: int) -> Container:
    return Container.in_memory(replace(FAST, **changes))  # type: ignore[arg-type]


def test_the_sign_up_link_email_states_the_configured_link_lifetime() -> None:
    c = _container(email_link_seconds=45 * 60)
    c.signup.request("jane@example.com", PASSWORD, "en")
    c.signup.request("jean@example.com", PASSWORD, "fr")
    assert "within 45 minutes" in c.mailer.sent[0].text
    assert "dans les 45 minutes" in c.mailer.sent[1].text


def test_the_sign_in_code_email_states_the_configured_code_lifetime() -> None:
    c = _container(login_code_seconds=7 * 60)
    c.signup.request("jane@example.com", PASSWORD, "en")
    c.signup.verify(re.search(r"token=(\S+)", c.mailer.sent[-1].text).group(1))  # type: ignore[union-attr]
    c.code_login.request("jane@example.com")
    assert "within 7 minutes" in c.mailer.sent[-1].text
