"""Accounts as the rules see them: identity, contexts in each console, and required actions."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum


class RequiredAction(StrEnum):
    # The order is the contract's: a person sets a password before enrolling a factor.
    SET_PASSWORD = "set_password"
    ENROLL_MFA = "enroll_mfa"
    VERIFY_EMAIL = "verify_email"


LOCALES = ("en", "fr")


def normalise_email(email: str) -> str:
    """The one key an address is known by: grouping of legacy records, sign-up, login and the email claim.

    NFC, trimmed, lower-cased, then NFC again. The whole address is lowered, although RFC 5321 lets
    the local part be case-sensitive: no mail provider our customers use treats it so, and two
    accounts differing only by case are one person.

    NFC, not NFKC: NFKC also folds compatibility forms (a ligature, a full-width letter, a
    superscript) that a mail server keeps distinct, so it would merge different mailboxes, and
    it would re-key every stored claim holding such a character. ``lower``, not ``casefold``:
    casefold turns "ß" into "ss" and final sigma into sigma, which mail servers keep distinct, and it
    would re-key every stored claim with an "ß". The second NFC is there because lowering can
    undo composition: "T" + U+0308 has no precomposed capital, but lowered it is "ẗ", which has
    one; without it "T̈" and "ẗ" would be two accounts and the result would not be NFC.

    This is the function accounts' claims always used, plus that last NFC: a claim stored before
    it differs only when its address held such a capital-and-combining-mark (a claim key that is
    not NFC itself: ``unicodedata.is_normalized("NFC", key)`` is false); such a claim is re-keyed
    to ``normalise_email(key)``.
    """
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", email).strip().lower())


@dataclass(frozen=True)
class Resource:
    """A console's resource (a server, a domain) in one context: POST /authz/check asks about its id."""

    id: str
    kind: str
    name: str


@dataclass(frozen=True)
class ConsoleContext:
    """One account of a console that the unified account reaches (several after a unification)."""

    console: str
    id: str
    name: str
    legacy_id: str | None = None
    legacy_access: bool = False
    # Only accounts unified before resources had their own items (ports.ResourceStore, where the
    # consoles register them and the unifier imports legacy ones) have any here; the check reads both.
    resources: tuple[Resource, ...] = ()


@dataclass(frozen=True)
class MfaMethod:
    """The public face of an enrolled second factor; its secret lives elsewhere."""

    id: str
    type: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    created_at: datetime
    password_hash: str | None = None
    email_verified: bool = False
    name: str = ""
    locale: str = "en"
    phone: str | None = None
    postal_address: str | None = None
    organization: str | None = None
    contexts: tuple[ConsoleContext, ...] = ()
    mfa_methods: tuple[MfaMethod, ...] = ()
    set_password_required: bool = False
    mfa_enrolment_required: bool = False
    password_changed_at: datetime | None = None
    # Extra data owned by other flows (unification state, legacy links), kept opaque here.
    extra: dict[str, object] = field(default_factory=dict, compare=False)
    version: int = 0
    # Every session of the account that began before this has ended (a password change or reset):
    # one field on the account, read with the session, instead of finding and deleting each one.
    sessions_valid_after: datetime | None = None

    @property
    def email_key(self) -> str:
        return normalise_email(self.email)

    @property
    def has_mfa(self) -> bool:
        return bool(self.mfa_methods)

    @property
    def required_actions(self) -> list[RequiredAction]:
        actions = []
        # An account made by single sign-on has no password by design (one can be added in settings).
        if self.set_password_required or (self.password_hash is None and not self.extra.get("signed_up_with")):
            actions.append(RequiredAction.SET_PASSWORD)
        if self.mfa_enrolment_required and not self.mfa_methods:
            actions.append(RequiredAction.ENROLL_MFA)
        # A unified account's address came from a legacy console: unverified, but never a reason to
        # keep it from its consoles (DESIGN.md: no action beyond the unification table's).
        if not self.email_verified and not self.unified:
            actions.append(RequiredAction.VERIFY_EMAIL)
        return actions

    @property
    def unified(self) -> bool:
        """Made by the unifier from legacy accounts (it records its unification state in extra)."""
        return "unification" in self.extra

    def contexts_of(self, console: str) -> list[ConsoleContext]:
        return [c for c in self.contexts if c.console == console]

    def evolve(self, **changes: object) -> Account:
        return replace(self, **changes)  # type: ignore[arg-type]


def new_account_contexts(account_id: str, name: str, consoles: list[str]) -> tuple[ConsoleContext, ...]:
    """A sign-up creates the account in every console at once: one default context in each."""
    suffix = account_id.split("_", 1)[-1][:8]
    return tuple(ConsoleContext(console=c, id=f"{c}-{suffix}", name=name or c.capitalize()) for c in consoles)


# The mark of an account read from its login projection (the part of it a password login needs,
# carried by the email claim item) rather than from the account item itself.
LOGIN_PROJECTION = "login_projection"


def is_projection(a: Account) -> bool:
    """A login projection is never saved: whoever writes reads the whole account first."""
    return bool(a.extra.get(LOGIN_PROJECTION))
