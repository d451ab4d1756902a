"""Request-model building blocks shared by the flows' Blueprints (pydantic, for validation and OpenAPI)."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# What SES delivers and what every mail system in between accepts: RFC 5321's dot-atom, ASCII
# only (SES has no SMTPUTF8; a Unicode domain would need Punycode), the characters of the HTML5
# email rule the pages use. Quoted local parts, comments and display names ("Jane <j@x.com>",
# "a,b@x.com") are refused: SES would read them as several recipients or refuse the message.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# A lookup also accepts letters beyond ASCII: legacy accounts were imported with such addresses
# (domain/legacy.py) and their owners still sign in with them; nothing is sent to the typed value.
_WIDE = r"(?:(?![\x00-\x7f])\w)"
_ATOM_WIDE = rf"(?:[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~-]|{_WIDE})+"
_LABEL_WIDE = rf"(?:[A-Za-z0-9]|{_WIDE})(?:(?:[A-Za-z0-9-]|{_WIDE}){{0,61}}(?:[A-Za-z0-9]|{_WIDE}))?"
_SHAPES = {False: (re.compile(rf"{_ATOM}(?:\.{_ATOM})*"), re.compile(_LABEL)),
           True: (re.compile(rf"{_ATOM_WIDE}(?:\.{_ATOM_WIDE})*"), re.compile(_LABEL_WIDE))}


def _email(value: str, *, wide: bool = False) -> str:
    value = value.strip()
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        raise ValueError("Enter an email address like name@example.com.")
    if len(value.encode()) > 254 or len(local.encode()) > 64 or len(domain.encode()) > 255:
        raise ValueError("This email address is too long (at most 64 characters before the @, 254 in all).")
    local_shape, label_shape = _SHAPES[wide]
    if not local_shape.fullmatch(unicodedata.normalize("NFC", local)):
        allowed = "letters, digits" if wide else "letters without accents, digits"
        raise ValueError(f"Use only {allowed}, dots and !#$%&'*+/=?^_`{{|}}~- before the @ "
                         "(no spaces, commas, quotes or angle brackets).")
    labels = unicodedata.normalize("NFC", domain).split(".")
    if any(len(label.encode()) > 63 for label in labels):
        raise ValueError("Each part of the domain name has at most 63 characters.")
    if len(labels) < 2 or not all(label_shape.fullmatch(label) for label in labels) \
            or len(labels[-1]) < 2 or labels[-1].isdigit():
        raise ValueError("After the @, give a domain name with a dot, like example.com.")
    return value


def _lookup_email(value: str) -> str:
    return _email(value, wide=True)


class Body(BaseModel):
    """Unknown fields are refused: a typo in a field name should not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


EmailAddress = Annotated[str, AfterValidator(_email), Field(examples=["jane@example.com"])]
# For a key that finds an account (login, reset): an address on file may be wider than a new one.
LookupEmail = Annotated[str, AfterValidator(_lookup_email), Field(examples=["jane@example.com"])]
# The policy (8..256 code points) gives the person-readable reasons; this bound only stops a
# megabyte "password" from reaching the hasher.
Password = Annotated[str, Field(min_length=1, max_length=4096)]
Token = Annotated[str, Field(min_length=1, max_length=512)]
Code = Annotated[str, Field(min_length=1, max_length=64)]
Locale = Annotated[str, Field(pattern="^(en|fr)$")]
