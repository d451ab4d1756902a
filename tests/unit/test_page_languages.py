"""Every page in English and French: the server's own pages pick their language, and every text the API
can put on a page (an error code, a password reason, a device) has an English and a French version."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import gatehouse
import pytest
from gatehouse.api.errors import STATUS
from gatehouse.domain.devices import parts
from gatehouse.domain.password_policy import PasswordPolicy, account_context
from gatehouse.errors import GatehouseError, WeakPasswordError
from gatehouse.flows.sso import REASONS
from gatehouse.local import console_session
from gatehouse.web import pages

STATIC = Path(gatehouse.__file__).parent / "web" / "static"
_KEY = re.compile(r'^  "([^"]+)": "((?:[^"\\]|\\.)*)",$', re.MULTILINE)


def catalogue(locale: str) -> dict[str, str]:
    """The app's catalogue web/static/i18n/<locale>.js, one `"key": "text",` per line."""
    return dict(_KEY.findall((STATIC / "i18n" / f"{locale}.js").read_text(encoding="utf-8")))


def every_error_code() -> set[str]:
    for info in pkgutil.walk_packages(gatehouse.__path__, prefix="gatehouse."):
        importlib.import_module(info.name)
    codes, pending = set(), [GatehouseError]
    while pending:
        for sub in pending.pop().__subclasses__():
            codes.add(sub.code)
            pending.append(sub)
    return codes | set(STATUS)  # the map also names what chalice answers itself (method_not_allowed, ...)


# --- the language of a server-rendered page --------------------------------------------------------

@pytest.mark.parametrize(("header", "locale"), [
    ("fr", "fr"), ("fr-FR", "fr"), ("fr-CA,en;q=0.5", "fr"), ("FR-be", "fr"),
    ("en-GB,fr;q=0.9", "en"), ("de-DE,fr;q=0.8,en;q=0.7", "fr"), ("en;q=0.4,fr;q=0.8", "fr"),
    ("fr;q=0,en", "en"), ("fr;q=bad,en;q=0.1", "en"), ("de, it", None), ("", None), (None, None), ("*", None),
])
def test_accept_language_picks_our_best_language_by_its_q_values(header: str | None, locale: str | None) -> None:
    assert pages.from_accept_language(header) == locale


def test_a_page_speaks_the_switch_then_the_account_then_the_remembered_choice_then_the_browser() -> None:
    french_browser = {"accept-language": "fr-FR,fr;q=0.9"}
    assert pages.choose({}, {}).locale == "en"
    assert pages.choose({}, french_browser).locale == "fr"
    assert pages.choose({}, {**french_browser, "cookie": "gh_session=x; gh_locale=en"}).locale == "en"
    assert pages.choose({}, {**french_browser, "cookie": "gh_locale=en"}, account_locale="fr").locale == "fr"
    assert pages.choose({}, french_browser, account_locale="en").locale == "en"
    switched = pages.choose({"lang": "fr"}, {"cookie": "gh_locale=en"}, account_locale="en", secure=True)
    assert switched.locale == "fr"
    assert switched.set_cookie == "gh_locale=fr; Path=/; SameSite=Lax; Max-Age=31536000; Secure"
    # Nothing but our languages is ever taken or remembered.
    assert pages.choose({"lang": "de"}, {"cookie": "gh_locale=xx"}).locale == "en"
    assert pages.choose({"lang": "de"}, {}).set_cookie is None


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_a_refusal_page_says_what_happened_in_its_language_with_a_switch_to_the_other(locale: str) -> None:
    page = pages.sso_refusal(locale, "google", "missing_cookie", "sso_rejected")
    assert f'<html lang="{locale}">' in page
    assert pages.text(locale, "sso.missing_cookie") in page.replace("&#x27;", "'")
    assert pages.text(locale, "sso.title", provider="Google") in page
    assert 'href="/sso/google/refused?reason=missing_cookie&amp;code=sso_rejected&amp;lang=fr"' in page
    assert 'href="/sso/google/refused?reason=missing_cookie&amp;code=sso_rejected&amp;lang=en"' in page
    assert page.count('aria-current="true"') == 1 and f'data-locale="{locale}" aria-current="true"' in page


def test_a_refusal_page_names_only_texts_of_the_catalogue_whatever_the_query_says() -> None:
    page = pages.sso_refusal("fr", "<script>", "<img src=x>", "made-up")
    assert "<script>" not in page and "<img" not in page
    assert pages.text("fr", "sso.sso_rejected") in page
    assert pages.text("fr", "sso.title", provider="le fournisseur") in page


def test_every_sso_reason_and_refusal_code_has_an_english_and_a_french_page_text() -> None:
    assert set(pages.TEXTS["en"]) == set(pages.TEXTS["fr"])
    for reason, sentence in REASONS.items():
        assert pages.TEXTS["en"][f"sso.{reason}"] == sentence  # the same words as the API's message
        assert pages.TEXTS["fr"][f"sso.{reason}"] != sentence
    for code in ("sso_rejected", "not_found", "service_unavailable", "reauthentication_required"):
        assert pages.has(f"sso.{code}")


def test_the_stand_in_console_speaks_french_and_keeps_the_signed_in_names_as_text() -> None:
    page = pages.console("fr", "Scaleway", {"email": "a<b@example.com", "context": "ctx_1"})
    assert '<html lang="fr">' in page and "<h1>Console Scaleway</h1>" in page
    assert "Connecté en tant que <b id='email'>a&lt;b@example.com</b>, contexte <code id='context'>ctx_1</code>" in page
    assert "Changer de console" in page
    assert "Retour à vos consoles" in pages.console("fr", "Dedibox", None)
    assert "already used or has expired" in pages.console("en", "Dedibox", None)


def test_the_stand_in_consoles_session_is_recalled_only_with_its_own_secret() -> None:
    who = {"email": "jane@example.com", "context": "ctx_1", "account_id": "acc_1"}
    value = console_session.remember(who, "secret")
    assert console_session.recall(value, "secret") == who
    assert console_session.recall(value, "another") is None
    payload, _, mac = value.partition(".")
    assert console_session.recall(payload[:-2] + "xx." + mac, "secret") is None
    assert console_session.recall(None, "secret") is None and console_session.recall("junk", "secret") is None


# --- the app's catalogues ----------------------------------------------------------------------

def test_both_catalogues_hold_the_same_keys() -> None:
    en, fr = catalogue("en"), catalogue("fr")
    assert len(en) > 300
    assert set(en) ^ set(fr) == set()


def test_every_error_code_has_an_english_and_a_french_text_in_the_catalogues() -> None:
    en, fr = catalogue("en"), catalogue("fr")
    codes = every_error_code() - {"error"}  # the base class's code, never raised as such
    assert {"invalid_password", "weak_password", "method_not_allowed"} <= codes
    missing = sorted(f"{lang}: api.{code}" for lang, texts in (("en", en), ("fr", fr)) for code in codes
                     if not texts.get(f"api.{code}"))
    assert not missing, missing
    assert all(fr[f"api.{code}"] != en[f"api.{code}"] for code in codes)


def test_every_password_reason_has_a_code_with_an_english_and_a_french_text() -> None:
    policy = PasswordPolicy(common_passwords=lambda: {"password1"})
    found = [*policy.check("x" * 3), *policy.check(" " * 300), *policy.check("password1"),
             *policy.check("example harbour", context=account_context("jane@example.com"))]
    codes = {p.code for p in found}
    assert codes == {"too_short", "too_long", "only_spaces", "common", "account_words"}
    en, fr = catalogue("en"), catalogue("fr")
    for code in codes:
        assert en[f"password.reason.{code}"] and fr[f"password.reason.{code}"], code
    assert "{words}" in fr["password.reason.account_words"] and "{words}" in fr["password.reason.account_words_many"]


def test_a_weak_password_error_carries_each_reason_as_a_code_naming_the_words() -> None:
    policy = PasswordPolicy()
    found = policy.check("doe and jane", context=account_context("jane.doe@example.com"))
    error = WeakPasswordError([p.sentence for p in found], codes=[p.as_detail() for p in found])
    assert error.details["reasons"] == policy.problems("doe and jane", context=account_context("jane.doe@example.com"))
    assert error.details["reason_codes"] == [{"code": "account_words", "words": ["doe", "jane"]}]
    assert policy.check("short")[0].as_detail() == {"code": "too_short", "min": 8, "length": 5}
    # Without codes the details keep the contract's shape alone.
    assert "reason_codes" not in WeakPasswordError(["Use more than spaces."]).details


def test_the_sign_up_refuses_a_weak_password_with_its_reason_codes(c) -> None:
    with pytest.raises(WeakPasswordError) as err:
        c.signup.request("jane@example.com", "example jane harbour", "fr")
    assert err.value.details["reason_codes"] == [{"code": "account_words", "words": ["example", "jane"]}]


def test_a_device_is_also_given_as_its_browser_and_system() -> None:
    chrome = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
              "Safari/537.36")
    assert parts(chrome) == ("Chrome", "Linux")
    assert parts("") == (None, None) and parts("gatehouse-e2e") == (None, None)
    assert catalogue("fr")["sessions.device"] == "{browser} sur {system}"
    assert catalogue("en")["sessions.device"] == "{browser} on {system}"
