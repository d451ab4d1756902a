"""One normalised email: grouping, sign-up, login and the email claim agree on every spelling of an address.

Addresses are drawn from letters whose lower case composes differently from their upper case
("T" + U+0308 lowers to "ẗ", which has a precomposed form), combining marks, "ß", the Angstrom
sign and spaces around, so that spellings differing by case, composition or trim meet often.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

from gatehouse.bootstrap import Container
from gatehouse.domain.accounts import Account, normalise_email
from gatehouse.domain.legacy import parse_record
from gatehouse.domain.unification import group_records
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.conftest import FAST

PASSWORD = "a quiet harbour at dawn"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
# Letters and marks whose case mapping and composition interact; "ẗ" both precomposed and not.
LETTERS = ["a", "A", "t", "T", "ẗ", "t\u0308", "\u0308", "\u0301", "\u0345", "\u03aa", "\u03b9", "ß",
           "\u212b", "å", "É", "é"]


@st.composite
def spellings(draw: st.DrawFn) -> tuple[str, str]:
    """Two spellings of an address: the second is the first changed by case, composition or trim."""
    local = "x" + "".join(draw(st.lists(st.sampled_from(LETTERS), min_size=1, max_size=5)))
    first = f"{local}@Example.com"
    change = draw(st.sampled_from([str.upper, str.lower, lambda s: unicodedata.normalize("NFD", s),
                                   lambda s: unicodedata.normalize("NFC", s), lambda s: f"  {s} "]))
    return first, change(first)


@given(spellings())
@settings(max_examples=60, deadline=None)
def test_the_key_is_nfc_and_normalising_it_again_changes_nothing(pair: tuple[str, str]) -> None:
    for spelling in pair:
        key = normalise_email(spelling)
        assert unicodedata.is_normalized("NFC", key)
        assert normalise_email(key) == key


@given(spellings())
@settings(max_examples=40, deadline=None)
def test_a_legacy_group_joins_two_spellings_exactly_when_they_share_the_key(pair: tuple[str, str]) -> None:
    first, second = pair
    records = [
        parse_record({"console": "scaleway", "legacy_id": "scw-1", "email": first,
                      "password_hash": "$2b$12$" + "S" * 53, "mfa": None}),
        parse_record({"console": "dedibox", "legacy_id": "dbx-1", "identifier": "u1", "email": second,
                      "password_hash": "$2b$12$" + "S" * 53, "mfa": None, "phone": None, "domains": [],
                      "linked_scaleway_id": None, "linked_at": None, "resources": [], "api_keys": []}),
    ]
    groups = group_records(records)
    assert (len(groups) == 1) == (normalise_email(first) == normalise_email(second))
    # Each group's email is what its unified account's email claim is keyed by: the members' key.
    for group in groups:
        unified = Account(id="acc_1", email=group.email, created_at=NOW, password_hash="h")
        assert {r.normalised_email for r in (*group.scaleway, *group.dedibox)} == {unified.email_key}
        assert unified.email_key == normalise_email(group.email)


@given(spellings())
@settings(max_examples=25, deadline=None)
def test_sign_up_with_one_spelling_claims_the_key_and_login_with_the_other_follows_it(pair: tuple[str, str]) -> None:
    first, second = pair
    c = Container.in_memory(FAST)
    c.signup.request(first, PASSWORD, "en")
    token = re.search(r"token=(\S+)", c.mailer.sent[-1].text).group(1)  # type: ignore[union-attr]
    account_id = c.signup.verify(token)["account_id"]
    # The email index: the claim the accounts store wrote is the key.
    assert c.accounts.get_by_email(normalise_email(first)).id == account_id  # type: ignore[union-attr]
    assert ("email", normalise_email(first)) in c.accounts._claims  # type: ignore[attr-defined]
    found = c.accounts.get_by_email(second)
    assert (found is not None and found.id == account_id) == (normalise_email(first) == normalise_email(second))
    if normalise_email(first) == normalise_email(second):
        assert c.login.login(second, PASSWORD, ip="1.2.3.4").token

