"""The few pages the server renders itself (an SSO refusal, the local stand-in console), in English and French.

The single-page app has its own catalogues (web/static/i18n); these are the texts of the pages it never
sees, in one place. A page speaks, in order: the language its switch link asked for (`?lang=`), the
account's once the route knows the session, the choice this browser remembered (the `gh_locale`
cookie, which the app's own switch writes too), the browser's Accept-Language, else English.
"""

# ruff: noqa: RUF001 (French typography: its apostrophe is U+2019, as in the app's catalogues)
from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from gatehouse.domain.accounts import LOCALES

DEFAULT = "en"
# Read by web/static/app.js as well: the choice made on either kind of page holds on the other.
LOCALE_COOKIE = "gh_locale"
_YEAR = 365 * 24 * 3600

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "footer": "Gatehouse, the account service of Scaleway and Dedibox.",
        "languages": "Language",
        "skip": "Skip to content",
        "title": "{title} · Gatehouse",
        "sso.title": "Sign-in with {provider} did not complete",
        "sso.the_provider": "the provider",
        "sso.back": "Back to sign-in",
        "sso.account": "Your account",
        # What happened and what to do, by the flow's reason (gatehouse.flows.sso.REASONS) or error code.
        "sso.missing_cookie": "Your browser did not send back the sign-in cookie, so this sign-in cannot be matched "
                              "to the one you started. Allow cookies for this site and start again.",
        "sso.transaction_not_found": "This sign-in has already been used or has expired (it lasts 10 minutes). "
                                     "Start again.",
        "sso.access_denied": "You cancelled the sign-in at the provider, or it refused it. Nothing was changed.",
        "sso.provider_error": "The provider could not complete the sign-in. Try again.",
        "sso.missing_code": "The provider's answer had no authorization code. Start again.",
        "sso.token_invalid_grant": "The provider refused this sign-in's code: it was already used, has expired, or "
                                   "does not match this browser's sign-in. Start again.",
        "sso.token_bad_verification_code": "GitHub refused this sign-in's code: it was already used, has expired, "
                                           "or does not match this browser's sign-in. Start again.",
        "sso.unverified_email": "The provider does not vouch for this email address (it is not verified there, or "
                                "for Microsoft the organization has not proved it owns the domain), so it cannot "
                                "be used to sign in or to connect an account. Sign in another way.",
        "sso.account_email_unverified": "An account uses this email but has not confirmed it yet: confirm it from "
                                        "the email we sent, or sign in with your password, then connect this "
                                        "provider in settings.",
        "sso.email_mismatch": "This provider's verified email is not your account's email, so it cannot be "
                              "connected.",
        "sso.identity_linked_elsewhere": "This provider account is already connected to another Gatehouse account.",
        "sso.not_signed_in": "Sign in first, then connect the provider from your account settings.",
        "sso.not_found": "This sign-in provider is not offered here. Sign in another way.",
        "sso.service_unavailable": "The provider could not be reached. Try again in a moment.",
        "sso.reauthentication_required": "Sign in again, then connect the provider from your account settings.",
        "sso.sso_rejected": "The sign-in with this provider could not be accepted. Start again, or sign in "
                            "another way.",
        "console.title": "{console} console",
        "console.used": "This sign-in link was already used or has expired: each link opens {console} once, "
                        "and only for a short while.",
        "console.again": "Open {console} again from your consoles.",
        "console.signed_in": "Signed in as {email}, context {context}.",
        "console.switch": "Switch console",
        "console.back": "Back to your consoles",
    },
    "fr": {
        "footer": "Gatehouse, le service de comptes de Scaleway et Dedibox.",
        "languages": "Langue",
        "skip": "Aller au contenu",
        "title": "{title} · Gatehouse",
        "sso.title": "La connexion avec {provider} n’a pas abouti",
        "sso.the_provider": "le fournisseur",
        "sso.back": "Retour à la connexion",
        "sso.account": "Votre compte",
        "sso.missing_cookie": "Votre navigateur n’a pas renvoyé le cookie de connexion : cette connexion ne peut "
                              "pas être rapprochée de celle que vous avez commencée. Autorisez les cookies pour ce "
                              "site et recommencez.",
        "sso.transaction_not_found": "Cette connexion a déjà servi ou a expiré (elle dure 10 minutes). "
                                     "Recommencez.",
        "sso.access_denied": "Vous avez annulé la connexion chez le fournisseur, ou il l’a refusée. Rien n’a "
                             "changé.",
        "sso.provider_error": "Le fournisseur n’a pas pu terminer la connexion. Réessayez.",
        "sso.missing_code": "La réponse du fournisseur ne contenait pas de code d’autorisation. Recommencez.",
        "sso.token_invalid_grant": "Le fournisseur a refusé le code de cette connexion : il a déjà servi, a expiré "
                                   "ou ne correspond pas à la connexion de ce navigateur. Recommencez.",
        "sso.token_bad_verification_code": "GitHub a refusé le code de cette connexion : il a déjà servi, a expiré "
                                           "ou ne correspond pas à la connexion de ce navigateur. Recommencez.",
        "sso.unverified_email": "Le fournisseur ne garantit pas cette adresse e-mail (elle n’y est pas vérifiée, "
                                "ou pour Microsoft l’organisation n’a pas prouvé qu’elle possède le domaine) : elle "
                                "ne peut servir ni à se connecter ni à relier un compte. Connectez-vous autrement.",
        "sso.account_email_unverified": "Un compte utilise cette adresse mais ne l’a pas encore confirmée : "
                                        "confirmez-la depuis l’e-mail que nous avons envoyé, ou connectez-vous avec "
                                        "votre mot de passe, puis reliez ce fournisseur dans vos paramètres.",
        "sso.email_mismatch": "L’adresse vérifiée chez ce fournisseur n’est pas celle de votre compte : il ne peut "
                              "pas être relié.",
        "sso.identity_linked_elsewhere": "Ce compte du fournisseur est déjà relié à un autre compte Gatehouse.",
        "sso.not_signed_in": "Connectez-vous d’abord, puis reliez le fournisseur depuis les paramètres de votre "
                             "compte.",
        "sso.not_found": "Ce fournisseur de connexion n’est pas proposé ici. Connectez-vous autrement.",
        "sso.service_unavailable": "Le fournisseur est injoignable. Réessayez dans un instant.",
        "sso.reauthentication_required": "Reconnectez-vous, puis reliez le fournisseur depuis les paramètres de "
                                         "votre compte.",
        "sso.sso_rejected": "La connexion avec ce fournisseur n’a pas pu être acceptée. Recommencez, ou "
                            "connectez-vous autrement.",
        "console.title": "Console {console}",
        "console.used": "Ce lien de connexion a déjà servi ou a expiré : chaque lien ouvre {console} une fois, "
                        "et pour peu de temps.",
        "console.again": "Ouvrez à nouveau {console} depuis vos consoles.",
        "console.signed_in": "Connecté en tant que {email}, contexte {context}.",
        "console.switch": "Changer de console",
        "console.back": "Retour à vos consoles",
    },
}
_NAMES = {"en": "English", "fr": "Français"}


def text(locale: str, key: str, **values: Any) -> str:
    """The key's text in `locale` (English when that catalogue lacks it), `{name}` filled in; plain text."""
    found = TEXTS.get(locale, {}).get(key) or TEXTS[DEFAULT][key]
    return found.format(**values) if values else found


def has(key: str) -> bool:
    return key in TEXTS[DEFAULT]


def from_accept_language(header: str | None) -> str | None:
    """The best of our languages in an Accept-Language header (q-values honoured; fr-CA is fr), or None."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        base = tag.strip().lower().split("-")[0]
        if quality > 0 and base in LOCALES:
            ranked.append((-quality, position, base))
    return min(ranked)[2] if ranked else None


@dataclass(frozen=True)
class Language:
    locale: str
    set_cookie: str | None = None  # when the visitor just chose it with a switch link


def choose(query: Mapping[str, str], headers: Mapping[str, str], *, account_locale: str | None = None,
           secure: bool = False) -> Language:
    """The page's language for this request (module docstring); a `?lang=` choice is remembered in the cookie."""
    asked = (query.get("lang") or "").lower()
    if asked in LOCALES:
        parts = [f"{LOCALE_COOKIE}={asked}", "Path=/", "SameSite=Lax", f"Max-Age={_YEAR}"]
        return Language(asked, "; ".join([*parts, "Secure"] if secure else parts))
    if account_locale in LOCALES:
        return Language(str(account_locale))
    remembered = _cookie(headers.get("cookie") or "", LOCALE_COOKIE)
    if remembered in LOCALES:
        return Language(str(remembered))
    return Language(from_accept_language(headers.get("accept-language")) or DEFAULT)


def _cookie(raw: str, name: str) -> str | None:
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def session_locale(sessions: Any, token: str | None) -> str | None:
    """The signed-in account's locale, or None (no session, or one that ended): a page only reads it."""
    from gatehouse.errors import GatehouseError

    if not token:
        return None
    try:
        return str(sessions.authenticate(token).account.locale)
    except GatehouseError:
        return None


def render(locale: str, title: str, body: str, *, switch_path: str = "", switch: Mapping[str, str] | None = None,
           main_attrs: str = "") -> str:
    """A whole page in the app's frame (header, main, footer with the language switch). `body` is HTML,
    already escaped; the switch links reach `switch_path` (this one when empty) with `switch` and `lang`."""
    links = []
    for code in LOCALES:
        href = f"{switch_path}?{urlencode({**(switch or {}), 'lang': code})}"
        current = ' aria-current="true"' if code == locale else ""
        links.append(f'<a href="{html.escape(href)}" lang="{code}" hreflang="{code}" class="button secondary" '
                     f'data-locale="{code}"{current}>{_NAMES[code]}</a>')
    return (f'<!doctype html><html lang="{locale}"><head><meta charset="utf-8">'
            f'<title>{html.escape(text(locale, "title", title=title))}</title>'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            '<link rel="icon" href="/ui/assets/favicon.svg" type="image/svg+xml">'
            '<link rel="stylesheet" href="/ui/assets/style.css"></head><body>'
            f'<a class="skip" href="#main">{html.escape(text(locale, "skip"))}</a>'
            '<header class="top"><a class="brand" href="/ui/">Gatehouse</a></header>'
            f'<main id="main"{main_attrs}>{body}</main>'
            f'<footer class="foot"><p>{html.escape(text(locale, "footer"))}</p>'
            f'<nav class="languages" aria-label="{html.escape(text(locale, "languages"))}">{"".join(links)}</nav>'
            '</footer></body></html>')


PROVIDER_NAMES = {"google": "Google", "microsoft": "Microsoft", "github": "GitHub"}


def sso_refusal(locale: str, provider: str, reason: str, code: str) -> str:
    """The page of an SSO sign-in that did not complete: what happened (by the flow's `reason`, else the
    error `code`) and what to do next. Its switch reaches /sso/{provider}/refused, which shows it again:
    the callback's own URL cannot be opened twice."""
    name = PROVIDER_NAMES.get(provider) or text(locale, "sso.the_provider")
    key = next((k for k in (f"sso.{reason}", f"sso.{code}") if has(k)), "sso.sso_rejected")
    title = text(locale, "sso.title", provider=name)
    body = (f'<section class="card narrow"><h1>{html.escape(title)}</h1>'
            f'<p id="reason">{html.escape(text(locale, key))}</p>'
            f'<p class="actions"><a class="button" href="/ui/">{html.escape(text(locale, "sso.back"))}</a>'
            f'<a href="/ui/account">{html.escape(text(locale, "sso.account"))}</a></p></section>')
    return render(locale, title, body, switch_path=f"/sso/{quote(provider, safe='')}/refused",
                  switch={"reason": reason, "code": code}, main_attrs=f' data-sso-error="{html.escape(reason)}"')


def console(locale: str, console_name: str, who: Mapping[str, str] | None) -> str:
    """The local stand-in console: who it signed in, or that its hand-off link was used or expired."""
    title = text(locale, "console.title", console=console_name)
    if who is None:
        status = (f'<p id="status">{html.escape(text(locale, "console.used", console=console_name))}</p>'
                  f'<p>{html.escape(text(locale, "console.again", console=console_name))}</p>')
        link = text(locale, "console.back")
    else:
        signed_in = html.escape(text(locale, "console.signed_in", email="\x00", context="\x01"))
        status = "<p id='status'>" + signed_in.replace(
            "\x00", f"<b id='email'>{html.escape(who['email'])}</b>").replace(
            "\x01", f"<code id='context'>{html.escape(who['context'])}</code>") + "</p>"
        link = text(locale, "console.switch")
    body = (f'<section class="card narrow"><h1>{html.escape(title)}</h1>{status}'
            f'<p><a id="switch" class="button" href="/ui/consoles">{html.escape(link)}</a></p></section>')
    return render(locale, title, body)
