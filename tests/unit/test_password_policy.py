"""The one password policy (sign-up, change, reset, set): length in code points, no composition
rules, a blocklist of common passwords and of the account's own words, reasons a person can act on."""

from __future__ import annotations

import pytest
from gatehouse.bootstrap import Container
from gatehouse.domain.password_policy import PasswordPolicy, account_context
from gatehouse.errors import InvalidInputError
from gatehouse.flows.account import check_phone
from gatehouse.settings import Settings, load
from gatehouse.strategies.password import common_passwords

POLICY = PasswordPolicy(8, 256, common_passwords)


def test_a_long_passphrase_of_lowercase_words_is_fine_without_digits_or_symbols() -> None:
    assert POLICY.problems("a quiet harbour at dawn") == []
    assert POLICY.problems("zqxjvbnm") == []


def test_seven_characters_are_too_few_and_the_reason_says_how_many() -> None:
    assert POLICY.problems("zqxjvbn") == ["Use at least 8 characters (you used 7)."]


def test_length_counts_code_points_not_bytes() -> None:
    assert POLICY.problems("ŵŷžćřđñü") == []           # 8 code points, 16 bytes in UTF-8
    assert POLICY.problems("🔑🌊🐚🦀🌙⭐🍀🎲") == []        # 8 code points, 32 bytes
    assert POLICY.problems("e\u0301" * 4 + "zqxj") == []  # NFC: é is one code point
    assert POLICY.problems("e\u0301" * 3 + "zqxj") != []  # 7 once composed


def test_at_most_256_code_points() -> None:
    longest = "".join(chr(0x1F400 + i) for i in range(256))  # 256 distinct emoji, 1 KiB of UTF-8
    assert POLICY.problems(longest) == []
    assert POLICY.problems(longest + "x") == ["Use at most 256 characters."]


def test_the_minimum_is_a_setting() -> None:
    strict = Container.in_memory(Settings(password_min_length=15)).password_policy
    assert strict.problems("zqxjvbnmwk") == ["Use at least 15 characters (you used 10)."]
    assert load({"GATEHOUSE_PASSWORD_MIN_LENGTH": "15"}).password_min_length == 15
    assert Container.in_memory().password_policy.problems("zqxjvbnmwk") == []


@pytest.mark.parametrize("common", ["password1", "PassWord1", "iloveyou", "qwertyuiop", "12345678"])
def test_common_passwords_are_refused_whatever_their_case(common: str) -> None:
    reasons = POLICY.problems(common)
    assert any("most common" in r for r in reasons), reasons


def test_one_repeated_character_counts_as_common() -> None:
    assert any("most common" in r for r in POLICY.problems("zzzzzzzzzzzz"))


def test_only_spaces_are_refused() -> None:
    assert "Use more than spaces." in POLICY.problems(" " * 12)


def test_words_from_the_account_are_refused_and_the_reason_names_the_word() -> None:
    context = account_context("jane.doe@acme-widgets.fr", "Jane Doe", "Acme Widgets")
    for password, word in (("my name is jane!!", "jane"), ("DOE-forever-2026", "doe"), ("acme rocks hard", "acme"),
                           ("widgets are great", "widgets")):
        assert POLICY.problems(password, context=context) == [
            f'Do not use "{word}" in your password: it comes from your email address, name or identifier.'], password
    assert POLICY.problems("a quiet harbour at dawn", context=context) == []


def test_several_account_words_are_all_named_in_the_order_they_appear() -> None:
    context = account_context("jane.doe@acme-widgets.fr", "Jane Doe")
    assert POLICY.problems("acme pays doe and jane", context=context) == [
        'Do not use "acme", "doe" and "jane" in your password: they come from your email address, name or '
        "identifier."]


def test_generic_parts_of_an_address_are_not_account_words() -> None:
    context = account_context("someone@gmail.com")
    assert POLICY.problems("gmail lighthouse keeper", context=context) == []


def test_every_reason_is_given_at_once() -> None:
    assert len(POLICY.problems("x" * 3)) == 2  # too short and one repeated character


# --- phone numbers (PATCH /account) are E.164 ---------------------------------------------------

@pytest.mark.parametrize("phone", ["+33612345678", "+14155550123", "+442071838750", None])
def test_e164_phone_numbers_are_accepted(phone: str | None) -> None:
    check_phone(phone)


@pytest.mark.parametrize("phone", ["0612345678", "+0612345678", "+33 6 12 34 56 78", "+33-612345678",
                                   "+1234", "+1234567890123456", "33612345678", "+33612345678\n"])
def test_other_phone_numbers_are_refused_with_a_hint(phone: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        check_phone(phone)
    assert "E.164" in err.value.details["fields"]["phone"]
