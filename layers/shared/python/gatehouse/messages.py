"""Every email and SMS Gatehouse sends, in English and French, rendered to text and HTML.

A template is a subject and a plain-text body with `$placeholders`; the HTML part is derived from
the text (paragraphs, links), so the two never say different things.
"""

from __future__ import annotations

import html
import re
from string import Template
from typing import Any

from gatehouse.domain.delivery import Email, Sms

_T: dict[str, dict[str, tuple[str, str]]] = {
    "signup_verify": {
        "en": ("Confirm your email address",
               "Welcome to Gatehouse.\n\nFollow this link within $minutes minutes to confirm your address and create your "
               "account in both the Scaleway and Dedibox consoles:\n$link\n\nIf you did not sign up, ignore this email."),
        "fr": ("Confirmez votre adresse e-mail",
               "Bienvenue sur Gatehouse.\n\nSuivez ce lien dans les $minutes minutes pour confirmer votre adresse et créer "
               "votre compte dans les consoles Scaleway et Dedibox :\n$link\n\nSi vous n'êtes pas à l'origine de cette "
               "inscription, ignorez cet e-mail."),
    },
    "signup_existing": {
        "en": ("You already have an account",
               "Someone, probably you, tried to sign up with this address, but you already have an account.\n\n"
               "Sign in here: $login_link\nForgot your password? Reset it here: $reset_link"),
        "fr": ("Vous avez déjà un compte",
               "Quelqu'un, sans doute vous, a tenté de s'inscrire avec cette adresse, mais vous avez déjà un compte.\n\n"
               "Connectez-vous ici : $login_link\nMot de passe oublié ? Réinitialisez-le ici : $reset_link"),
    },
    "password_changed": {
        "en": ("Your password was changed",
               "The password of your account was changed on $when. Every other session was signed out.\n\n"
               "If this was not you, reset your password now: $reset_link"),
        "fr": ("Votre mot de passe a été modifié",
               "Le mot de passe de votre compte a été modifié le $when. Toutes les autres sessions ont été fermées.\n\n"
               "Si ce n'était pas vous, réinitialisez votre mot de passe maintenant : $reset_link"),
    },
    "email_change_verify": {
        "en": ("Confirm your new email address",
               "Follow this link within $minutes minutes to make this address the one of your account:\n$link"),
        "fr": ("Confirmez votre nouvelle adresse e-mail",
               "Suivez ce lien dans les $minutes minutes pour faire de cette adresse celle de votre compte :\n$link"),
    },
    "email_change_taken": {
        "en": ("Someone tried to use this address",
               "Someone tried to move an account to this address, which already belongs to an account. "
               "Nothing was changed."),
        "fr": ("Quelqu'un a tenté d'utiliser cette adresse",
               "Quelqu'un a tenté de déplacer un compte vers cette adresse, qui appartient déjà à un compte. "
               "Rien n'a été modifié."),
    },
    "email_changed": {
        "en": ("Your email address was changed",
               "The email address of your account is now $new_email. If this was not you, contact support."),
        "fr": ("Votre adresse e-mail a été modifiée",
               "L'adresse e-mail de votre compte est désormais $new_email. Si ce n'était pas vous, contactez le support."),
    },
}


def register(name: str, by_locale: dict[str, tuple[str, str]]) -> None:
    """Flows that own their messages (recovery, MFA, unification) add them here at import."""
    _T[name] = by_locale


def templates(name: str) -> dict[str, tuple[str, str]]:
    """(subject, body) of a message per locale: the bulk mailer makes provider templates of them."""
    return dict(_T[name])


class Plain(str):
    """A value someone wrote (an address, a name, a label): shown as it is in the text part, and in
    the HTML part escaped and never made a link, whatever it looks like (`https://evil.example`)."""


def render(name: str, locale: str, **values: Any) -> tuple[str, str, str]:
    """(subject, text, html) in the locale, falling back to English."""
    by_locale = _T[name]
    subject, body = by_locale.get(locale) or by_locale["en"]
    text = Template(body).safe_substitute(values)
    return Template(subject).safe_substitute(values), text, _html(body, values, text)


# Stands for a Plain value while the HTML part is linked, then becomes its escaped text.
_MARK = re.compile("\x00([0-9]+)\x00")


def _html(body: str, values: dict[str, Any], text: str) -> str:
    plain = [(k, v) for k, v in values.items() if isinstance(v, Plain)]
    if not plain:
        return to_html(text)
    marked = Template(body).safe_substitute({**values, **{k: f"\x00{i}\x00" for i, (k, _) in enumerate(plain)}})
    # One pass over the linked HTML: an inserted value is never scanned again, so never linked.
    return _MARK.sub(lambda m: html.escape(plain[int(m.group(1))][1]).replace("\n", "<br>"), to_html(marked))


_URL = re.compile(r"(https?://[^\s<\x00]+)")


def to_html(text: str) -> str:
    paragraphs = []
    for block in text.split("\n\n"):
        escaped = html.escape(block)
        linked = _URL.sub(r'<a href="\1">\1</a>', escaped).replace("\n", "<br>")
        paragraphs.append(f"<p>{linked}</p>")
    return ("<!doctype html><html><body style=\"font-family:sans-serif;line-height:1.5\">"
            + "".join(paragraphs) + "</body></html>")


def email(name: str, to: str, locale: str, **values: Any) -> Email:
    subject, text, html_part = render(name, locale, **values)
    return Email(to=to, subject=subject, text=text, html=html_part, tag=name)


def sms(name: str, to: str, locale: str, **values: Any) -> Sms:
    _, text, _ = render(name, locale, **values)
    return Sms(to=to, text=text, tag=name)
