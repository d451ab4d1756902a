"""The one password policy for sign-up, change, reset and set (NIST SP 800-63B, DESIGN.md).

Length in code points, no composition rules, and a blocklist: common passwords plus words from
the account itself. Each reason is a sentence a person can act on.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

_WORD = re.compile(r"[^\W\d_]{3,}|\d{4,}", re.UNICODE)


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 8
    max_length: int = 256
    # Loaded lazily: the common-password list is large and only flows that set a password need it.
    common_passwords: Callable[[], Collection[str]] = frozenset

    def problems(self, password: str, *, context: Iterable[str] = ()) -> list[str]:
        """Every reason the password is refused; empty when it is acceptable."""
        return [p.sentence for p in self.check(password, context=context)]

    def check(self, password: str, *, context: Iterable[str] = ()) -> list[Problem]:
        """`problems`, each also as a stable code with its values, for pages that speak another language."""
        normalised = unicodedata.normalize("NFC", password)
        length = len(normalised)
        found: list[Problem] = []
        if length < self.min_length:
            found.append(Problem(f"Use at least {self.min_length} characters (you used {length}).",
                                 "too_short", {"min": self.min_length, "length": length}))
        if length > self.max_length:
            found.append(Problem(f"Use at most {self.max_length} characters.", "too_long", {"max": self.max_length}))
        if not normalised.strip():
            found.append(Problem("Use more than spaces.", "only_spaces"))
        folded = normalised.casefold()
        if folded in self.common_passwords() or _is_one_repeated_char(folded):
            found.append(Problem("This password is one of the most common ones: choose something less predictable.",
                                 "common"))
        elif words := _words_in(folded, _account_words(context)):
            # Naming the words: "a word from your account" alone leaves the person guessing which.
            names = [f'"{w}"' for w in words]
            quoted = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            found.append(Problem(f"Do not use {quoted} in your password: "
                                 f"{'it comes' if len(words) == 1 else 'they come'} from your email address, "
                                 "name or identifier.", "account_words", {"words": words}))
        return found


@dataclass(frozen=True)
class Problem:
    """One reason a password is refused: the sentence, and its code and values (`details.reason_codes`)."""

    sentence: str
    code: str
    values: dict[str, Any] = field(default_factory=dict)

    def as_detail(self) -> dict[str, Any]:
        return {"code": self.code, **self.values}


def _is_one_repeated_char(password: str) -> bool:
    return len(set(password)) <= 1


def _words_in(password: str, words: Iterable[str]) -> list[str]:
    """The account words the password contains, in the order they appear in it."""
    return sorted((w for w in words if w in password), key=lambda w: (password.index(w), w))


def _account_words(context: Iterable[str]) -> set[str]:
    words: set[str] = set()
    for value in context:
        if not value:
            continue
        words.update(w.casefold() for w in _WORD.findall(value))
    # Generic pieces of an address would refuse half the dictionary for no security gain.
    return words - {"com", "net", "org", "mail", "gmail", "info", "www"}


def account_context(email: str, *others: str | None) -> list[str]:
    """The strings of an account that must not appear in its password."""
    local, _, domain = email.partition("@")
    return [local, domain.split(".")[0], *(o for o in others if o)]
