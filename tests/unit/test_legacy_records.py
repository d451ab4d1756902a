"""Parsing legacy records from the JSON Lines import: what is accepted, and what is refused and why."""

from __future__ import annotations

import base64
import hashlib
import json
import unicodedata
from datetime import UTC, datetime
from typing import Any

import bcrypt
import pytest
from argon2 import PasswordHasher
from gatehouse.domain.legacy import (
    ApiKey,
    DediboxRecord,
    InvalidLegacyRecord,
    PasskeyMfa,
    Resource,
    ScalewayRecord,
    SmsMfa,
    TotpMfa,
    normalise_email,
    parse_line,
    parse_record,
)

BCRYPT_HASH = bcrypt.hashpw(b"correct horse", bcrypt.gensalt(rounds=4)).decode()
ARGON2_HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("correct horse")
PBKDF2_HASH = (
    "pbkdf2_sha256$600000$saltsalt$"
    + base64.b64encode(hashlib.pbkdf2_hmac("sha256", b"correct horse", b"saltsalt", 1000)).decode()
)
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
DIGEST = hashlib.sha256(b"api secret").hexdigest()


def dedibox(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "console": "dedibox",
        "legacy_id": "dbx-1001",
        "identifier": "jdoe",
        "email": "j@example.com",
        "password_hash": BCRYPT_HASH,
        "mfa": {"type": "sms", "phone": "+33612345678"},
        "phone": "+33612345678",
        "domains": ["example.fr"],
        "linked_scaleway_id": "scw-7",
        "linked_at": "2025-09-01T10:00:00Z",
        "resources": [{"id": "srv-1", "kind": "server", "name": "sd-1"}],
        "api_keys": [{"key_id": "k-1", "secret_sha256": DIGEST}],
    }
    record.update(overrides)
    return record


def scaleway(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "console": "scaleway",
        "legacy_id": "scw-7",
        "email": "j@example.com",
        "password_hash": ARGON2_HASH,
        "mfa": {"type": "passkey", "credential_id": "cred-1", "public_key": "pk-1", "sign_count": 3},
    }
    record.update(overrides)
    return record


def refusal(obj: object) -> InvalidLegacyRecord:
    with pytest.raises(InvalidLegacyRecord) as caught:
        parse_record(obj)
    return caught.value


def test_dedibox_record_is_parsed_into_typed_values() -> None:
    record = parse_record(dedibox())

    assert isinstance(record, DediboxRecord)
    assert record.console == "dedibox"
    assert record.legacy_id == "dbx-1001"
    assert record.identifier == "jdoe"
    assert record.email == "j@example.com"
    assert record.password_hash == BCRYPT_HASH
    assert record.mfa == SmsMfa(phone="+33612345678")
    assert record.phone == "+33612345678"
    assert record.domains == ("example.fr",)
    assert record.linked_scaleway_id == "scw-7"
    assert record.linked_at == datetime(2025, 9, 1, 10, 0, tzinfo=UTC)
    assert record.resources == (Resource(id="srv-1", kind="server", name="sd-1"),)
    assert record.api_keys == (ApiKey(key_id="k-1", secret_sha256=DIGEST),)


def test_scaleway_record_with_a_passkey_is_parsed() -> None:
    record = parse_record(scaleway())

    assert isinstance(record, ScalewayRecord)
    assert record.console == "scaleway"
    assert record.mfa == PasskeyMfa(credential_id="cred-1", public_key="pk-1", sign_count=3)


def test_scaleway_record_with_a_totp_is_parsed() -> None:
    record = parse_record(scaleway(mfa={"type": "totp", "secret": TOTP_SECRET}))

    assert record.mfa == TotpMfa(secret=TOTP_SECRET)


def test_record_keeps_everything_it_came_with_including_unknown_fields() -> None:
    original = dedibox(customer_since="2009-01-01", notes={"vip": True})

    record = parse_record(original)

    assert record.raw_dict() == original
    assert json.loads(record.raw) == original


def test_records_are_immutable_and_hashable() -> None:
    record = parse_record(dedibox())

    assert hash(record) == hash(parse_record(dedibox()))
    with pytest.raises(AttributeError):
        record.email = "other@example.com"  # type: ignore[misc]


def test_missing_optional_dedibox_fields_mean_none_or_empty() -> None:
    record = parse_record(
        {
            "console": "dedibox",
            "legacy_id": "dbx-1",
            "identifier": "x",
            "email": "x@example.com",
            "password_hash": BCRYPT_HASH,
        }
    )

    assert isinstance(record, DediboxRecord)
    assert (record.mfa, record.phone, record.linked_scaleway_id, record.linked_at) == (None, None, None, None)
    assert (record.domains, record.resources, record.api_keys) == ((), (), ())


@pytest.mark.parametrize(
    "password_hash",
    [
        BCRYPT_HASH,
        BCRYPT_HASH.replace("$2b$", "$2a$", 1),
        BCRYPT_HASH.replace("$2b$", "$2y$", 1),
        ARGON2_HASH,
        PBKDF2_HASH,
    ],
    ids=["bcrypt-2b", "bcrypt-2a", "bcrypt-2y", "argon2id", "pbkdf2_sha256"],
)
def test_supported_password_hash_formats_are_accepted(password_hash: str) -> None:
    assert parse_record(dedibox(password_hash=password_hash)).password_hash == password_hash


@pytest.mark.parametrize(
    "password_hash",
    [
        "5f4dcc3b5aa765d61d8327deb882cf99",
        "$2b$12$...",
        BCRYPT_HASH[:-1],
        "$argon2i$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        "pbkdf2_sha256$0$salt$hash",
        "pbkdf2_sha1$1000$salt$hash",
        "hunter2",
    ],
    ids=["md5", "placeholder", "truncated-bcrypt", "argon2i", "zero-iterations", "pbkdf2-sha1", "plain"],
)
def test_unknown_password_hash_format_is_refused_without_quoting_the_hash(password_hash: str) -> None:
    error = refusal(dedibox(password_hash=password_hash))

    assert error.field == "password_hash"
    assert "unknown password hash format" in error.reason
    assert password_hash not in str(error)


def test_unknown_console_is_refused() -> None:
    error = refusal(dedibox(console="online"))

    assert error.field == "console"
    assert "unknown console 'online'" in error.reason


def test_record_that_is_not_an_object_is_refused() -> None:
    assert "expected a JSON object" in refusal(["dedibox"]).reason


def test_missing_legacy_id_is_refused() -> None:
    record = dedibox()
    del record["legacy_id"]

    error = refusal(record)

    assert (error.field, error.reason) == ("legacy_id", "missing legacy_id")


def test_blank_identifier_is_refused_and_names_the_record() -> None:
    error = refusal(dedibox(identifier="  "))

    assert error.field == "identifier"
    assert error.legacy_id == "dbx-1001"
    assert "dbx-1001" in str(error)


@pytest.mark.parametrize(("make", "field"), [
    (lambda: dedibox(legacy_id="d" * 201), "legacy_id"),
    (lambda: scaleway(legacy_id="s" * 201), "legacy_id"),
    (lambda: dedibox(identifier="i" * 201), "identifier"),
    (lambda: dedibox(linked_scaleway_id="s" * 201), "linked_scaleway_id"),
    (lambda: dedibox(domains=["ok.example", "d" * 251 + ".fr"]), "domains[1]"),
    (lambda: dedibox(api_keys=[{"key_id": "k" * 201, "secret_sha256": DIGEST}]), "api_keys[0].key_id"),
])
def test_ids_too_long_to_be_stored_as_keys_are_refused_with_their_field(make, field: str) -> None:
    assert refusal(make()).field == field
    assert parse_record(dedibox(legacy_id="d" * 200, identifier="i" * 200)).legacy_id == "d" * 200


@pytest.mark.parametrize(
    "email", ["jdoe", "j@", "@example.com", "j@example", "j doe@example.com", "a@b@c.d", 42]
)
def test_bad_email_is_refused(email: object) -> None:
    assert refusal(dedibox(email=email)).field == "email"


def test_totp_secret_that_is_not_base32_is_refused_without_quoting_it() -> None:
    error = refusal(dedibox(mfa={"type": "totp", "secret": "NOT-BASE32-18!!!"}))

    assert error.field == "mfa.secret"
    assert "base32" in error.reason
    assert "NOT-BASE32" not in str(error)


def test_totp_secret_too_short_to_be_a_real_seed_is_refused() -> None:
    error = refusal(dedibox(mfa={"type": "totp", "secret": "JBSWY3DP"}))

    assert "too short" in error.reason


def test_totp_secret_written_in_groups_and_lower_case_is_the_same_seed() -> None:
    record = parse_record(dedibox(mfa={"type": "totp", "secret": "jbsw y3dp ehpk 3pxp"}))

    assert record.mfa == TotpMfa(secret="JBSWY3DPEHPK3PXP")


@pytest.mark.parametrize(
    "phone", ["0612345678", "+0612345678", "+33 6 12 34 56 78", "+123", "+1234567890123456"]
)
def test_phone_not_in_e164_is_refused(phone: str) -> None:
    assert refusal(dedibox(phone=phone)).field == "phone"


def test_sms_second_factor_with_a_bad_phone_is_refused() -> None:
    assert refusal(dedibox(mfa={"type": "sms", "phone": "06 12"})).field == "mfa.phone"


def test_sms_is_no_second_factor_of_a_scaleway_account() -> None:
    error = refusal(scaleway(mfa={"type": "sms", "phone": "+33612345678"}))

    assert error.field == "mfa.type"
    assert "scaleway" in error.reason


def test_passkey_is_no_second_factor_of_a_dedibox_account() -> None:
    error = refusal(dedibox(mfa={"type": "passkey", "credential_id": "c", "public_key": "p"}))

    assert error.field == "mfa.type"


@pytest.mark.parametrize("sign_count", [-1, True, "3"])
def test_passkey_sign_count_must_be_a_non_negative_integer(sign_count: object) -> None:
    mfa = {"type": "passkey", "credential_id": "c", "public_key": "p", "sign_count": sign_count}

    assert refusal(scaleway(mfa=mfa)).field == "mfa.sign_count"


def test_linked_at_with_an_offset_is_converted_to_utc() -> None:
    record = parse_record(dedibox(linked_at="2025-09-01T12:00:00+02:00"))

    assert record.linked_at == datetime(2025, 9, 1, 10, 0, tzinfo=UTC)  # type: ignore[union-attr]


@pytest.mark.parametrize("linked_at", ["yesterday", "2025-13-01T00:00:00Z", 1756720800])
def test_linked_at_that_is_not_a_time_is_refused(linked_at: object) -> None:
    assert refusal(dedibox(linked_at=linked_at)).field == "linked_at"


def test_linked_at_without_a_time_zone_is_refused_rather_than_guessed() -> None:
    error = refusal(dedibox(linked_at="2025-09-01T10:00:00"))

    assert "no time zone" in error.reason


def test_linked_at_without_a_linked_account_is_refused() -> None:
    error = refusal(dedibox(linked_scaleway_id=None))

    assert error.field == "linked_at"


def test_link_without_a_date_is_accepted() -> None:
    record = parse_record(dedibox(linked_at=None))

    assert record.linked_scaleway_id == "scw-7"  # type: ignore[union-attr]
    assert record.linked_at is None  # type: ignore[union-attr]


@pytest.mark.parametrize("digest", [DIGEST[:63], "z" * 64, None])
def test_api_key_digest_must_be_64_hex_characters(digest: object) -> None:
    error = refusal(dedibox(api_keys=[{"key_id": "k-1", "secret_sha256": digest}]))

    assert error.field == "api_keys[0].secret_sha256"


def test_api_key_digest_is_kept_lower_case_so_keys_keep_verifying() -> None:
    record = parse_record(dedibox(api_keys=[{"key_id": "k-1", "secret_sha256": DIGEST.upper()}]))

    assert record.api_keys == (ApiKey(key_id="k-1", secret_sha256=DIGEST),)  # type: ignore[union-attr]


def test_resource_without_an_id_is_refused_and_named_by_position() -> None:
    error = refusal(dedibox(resources=[{"id": "srv-1", "kind": "server", "name": "a"}, {"kind": "server"}]))

    assert error.field == "resources[1].id"


def test_domains_must_be_a_list_of_names() -> None:
    assert refusal(dedibox(domains="example.fr")).field == "domains"
    assert refusal(dedibox(domains=["example.fr", ""])).field == "domains[1]"


def test_normalise_email_trims_and_lowers_the_whole_address() -> None:
    assert normalise_email("  John.Doe@Example.COM \n") == "john.doe@example.com"


def test_normalise_email_composes_accents_so_both_spellings_are_one_address() -> None:
    decomposed = unicodedata.normalize("NFD", "José@example.com")

    assert normalise_email(decomposed) == normalise_email("JOSÉ@example.com") == "josé@example.com"


def test_parse_line_reads_one_record() -> None:
    assert parse_line(json.dumps(scaleway()), 1) == parse_record(scaleway())


def test_line_that_is_not_json_is_refused_with_its_line_number() -> None:
    with pytest.raises(InvalidLegacyRecord) as caught:
        parse_line('{"console": "dedibox",', 17)

    assert caught.value.line_number == 17
    assert str(caught.value).startswith("line 17: not valid JSON")


def test_invalid_record_on_a_line_names_the_line_the_record_and_the_field() -> None:
    with pytest.raises(InvalidLegacyRecord) as caught:
        parse_line(json.dumps(dedibox(phone="12")), 3)

    assert caught.value.line_number == 3
    assert str(caught.value).startswith("line 3, record 'dbx-1001', field 'phone': not an E.164 phone number")


def test_blank_line_is_refused() -> None:
    with pytest.raises(InvalidLegacyRecord, match="empty line"):
        parse_line("   \n", 4)


def test_nan_is_refused_as_not_plain_json() -> None:
    with pytest.raises(InvalidLegacyRecord, match="not plain JSON"):
        parse_line(json.dumps(dedibox(extra=float("nan"))), 5)


def test_every_problem_of_a_record_is_reported_in_the_order_of_its_fields() -> None:
    error = refusal(dedibox(email="not-an-address", phone="06 12", domains=["ok.fr", "", 7],
                            password_hash="hunter2", linked_at="yesterday"))

    assert [p.field for p in error.problems] == [
        "email", "password_hash", "phone", "domains[1]", "domains[2]", "linked_at"]
    assert all(p.legacy_id == "dbx-1001" for p in error.problems)
    assert error.field == "email"  # the error itself is the first problem of the line
    assert "hunter2" not in " ".join(str(p) for p in error.problems)


def test_a_scaleway_record_reports_each_of_its_problems_too() -> None:
    record = scaleway(mfa={"type": "sms", "phone": "+33612345678"}, email="nope")
    del record["password_hash"]

    assert [p.field for p in refusal(record).problems] == ["email", "mfa.type", "password_hash"]
