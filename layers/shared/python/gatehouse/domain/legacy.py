"""Legacy account records, as operators import them before unification.

One JSON Lines record describes one legacy account of the Dedibox or the Scaleway console (the
format is in API.md, section "Unification"). This module turns one decoded record into a typed,
validated, immutable value, or refuses it with a reason an operator can act on. It keeps the
record as it came (``raw``) because nothing of a legacy account may be lost: the unified data
must always be traceable back to it.

Pure: standard library only, no I/O.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar, Final, TypeAlias, TypeVar

# A Dedibox resource becomes one of its unified context's: one type for both. The email key is
# the accounts' too, so a legacy group's key is the unified account's email claim.
from gatehouse.domain.accounts import Resource, normalise_email

_T = TypeVar("_T")

__all__ = [
    "ApiKey",
    "DediboxMfa",
    "DediboxRecord",
    "InvalidLegacyRecord",
    "LegacyRecord",
    "Mfa",
    "PasskeyMfa",
    "Resource",
    "ScalewayMfa",
    "ScalewayRecord",
    "SmsMfa",
    "TotpMfa",
    "normalise_email",
    "parse_line",
    "parse_record",
]

DEDIBOX: Final = "dedibox"
SCALEWAY: Final = "scaleway"

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")
# Hash shapes are checked fully, not by prefix: a truncated hash would import fine and then lock
# its owner out at the first legacy login, long after anyone could fix the file.
_BCRYPT = re.compile(r"^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$")
_ARGON2ID = re.compile(r"^\$argon2id\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$")
_PBKDF2_SHA256 = re.compile(r"^pbkdf2_sha256\$[1-9]\d*\$[^$\s]+\$[^$\s]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.][^@\s]*\.[^@\s.]+$")
# RFC 4226 asks for 128 bits; 80 bits is what most legacy enrolments used, and refusing them
# would silently drop a working second factor.
_TOTP_MIN_BYTES = 10


class InvalidLegacyRecord(ValueError):
    """A legacy record cannot be imported; ``reason`` says what to fix.

    A record may have several problems: the error is the first of them in the order of the line,
    and ``problems`` lists them all (itself first), so that an operator fixes a line in one go.
    Messages never quote secrets (hashes, TOTP seeds): import reports are read and kept by people.
    """

    code: ClassVar[str] = "invalid_legacy_record"

    def __init__(
        self,
        reason: str,
        field: str | None = None,
        *,
        legacy_id: str | None = None,
        line_number: int | None = None,
        also: Sequence[InvalidLegacyRecord] = (),
    ) -> None:
        self.reason = reason
        self.field = field
        self.legacy_id = legacy_id
        self.line_number = line_number
        self._also = tuple(also)
        super().__init__(str(self))

    @property
    def problems(self) -> tuple[InvalidLegacyRecord, ...]:
        """Every problem of the record, this one first, each naming its line and record."""
        return (self.where(), *self._also)

    def where(self, *, legacy_id: str | None = None, line_number: int | None = None,
              also: Sequence[InvalidLegacyRecord] = ()) -> InvalidLegacyRecord:
        """This problem alone, with the record and line it belongs to (kept when already known)."""
        return InvalidLegacyRecord(self.reason, self.field,
                                   legacy_id=self.legacy_id if self.legacy_id is not None else legacy_id,
                                   line_number=self.line_number if self.line_number is not None else line_number,
                                   also=also)

    def __str__(self) -> str:
        where = []
        if self.line_number is not None:
            where.append(f"line {self.line_number}")
        if self.legacy_id is not None:
            where.append(f"record {self.legacy_id!r}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason

    def at_line(self, line_number: int) -> InvalidLegacyRecord:
        return _together([p.where(line_number=line_number) for p in self.problems])


def _together(problems: Sequence[InvalidLegacyRecord]) -> InvalidLegacyRecord:
    first, *rest = problems
    return first.where(also=rest)


class _Problems:
    """Collects the problems of one record instead of stopping at the first."""

    def __init__(self, record: Mapping[str, object]) -> None:
        self._keys = list(record)
        self.found: list[InvalidLegacyRecord] = []

    def take(self, parse: Callable[[], _T], default: _T) -> _T:
        try:
            return parse()
        except InvalidLegacyRecord as exc:
            self.found.extend(exc.problems)
            return default

    def raise_any(self, legacy_id: str | None) -> None:
        if not self.found:
            return
        # In the order of the line: a problem's place is its top-level key's place in the record;
        # a missing key's problems come last, in the order they were checked (the sort is stable).
        def place(problem: InvalidLegacyRecord) -> int:
            key = re.split(r"[.\[]", problem.field or "", maxsplit=1)[0]
            return self._keys.index(key) if key in self._keys else len(self._keys)

        ordered = sorted(self.found, key=place)
        raise _together([p.where(legacy_id=legacy_id) for p in ordered])


@dataclass(frozen=True)
class SmsMfa:
    phone: str
    kind: ClassVar[str] = "sms"


@dataclass(frozen=True)
class TotpMfa:
    # Stored upper case, without spaces or padding: the same seed always looks the same.
    secret: str = field(repr=False)
    kind: ClassVar[str] = "totp"


@dataclass(frozen=True)
class PasskeyMfa:
    credential_id: str
    public_key: str = field(repr=False)
    sign_count: int = 0
    kind: ClassVar[str] = "passkey"


DediboxMfa: TypeAlias = SmsMfa | TotpMfa
ScalewayMfa: TypeAlias = TotpMfa | PasskeyMfa
Mfa: TypeAlias = SmsMfa | TotpMfa | PasskeyMfa


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    # Lower case so that the key verifier can compare digests byte for byte.
    secret_sha256: str = field(repr=False)


@dataclass(frozen=True)
class DediboxRecord:
    legacy_id: str
    identifier: str
    email: str
    password_hash: str = field(repr=False)
    mfa: DediboxMfa | None
    phone: str | None
    domains: tuple[str, ...]
    linked_scaleway_id: str | None
    linked_at: datetime | None
    resources: tuple[Resource, ...]
    api_keys: tuple[ApiKey, ...]
    # Canonical JSON of the record as it came (sorted keys): hashable, and loads back unchanged.
    raw: str = field(repr=False)
    console: ClassVar[str] = DEDIBOX

    @property
    def normalised_email(self) -> str:
        return normalise_email(self.email)

    def raw_dict(self) -> dict[str, object]:
        loaded: dict[str, object] = json.loads(self.raw)
        return loaded


@dataclass(frozen=True)
class ScalewayRecord:
    legacy_id: str
    email: str
    password_hash: str = field(repr=False)
    mfa: ScalewayMfa | None
    raw: str = field(repr=False)
    console: ClassVar[str] = SCALEWAY

    @property
    def normalised_email(self) -> str:
        return normalise_email(self.email)

    def raw_dict(self) -> dict[str, object]:
        loaded: dict[str, object] = json.loads(self.raw)
        return loaded


LegacyRecord: TypeAlias = DediboxRecord | ScalewayRecord


def parse_line(line: str, line_number: int) -> LegacyRecord:
    """Parse one JSON Lines line; every failure is an InvalidLegacyRecord naming the line."""
    if not line.strip():
        raise InvalidLegacyRecord("empty line: each line must hold one JSON object", line_number=line_number)
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidLegacyRecord(
            f"not valid JSON ({exc.msg} at column {exc.colno})", line_number=line_number
        ) from exc
    try:
        return parse_record(obj)
    except InvalidLegacyRecord as exc:
        raise exc.at_line(line_number) from exc


def parse_record(obj: object) -> LegacyRecord:
    """Validate one decoded record into a DediboxRecord or a ScalewayRecord."""
    if not isinstance(obj, Mapping):
        raise InvalidLegacyRecord(f"expected a JSON object, got {_json_type(obj)}")
    record: Mapping[str, object] = obj
    problems = _Problems(record)
    console = record.get("console")
    if console not in (DEDIBOX, SCALEWAY):
        problems.found.append(
            InvalidLegacyRecord(f"unknown console {console!r}: expected 'dedibox' or 'scaleway'", "console"))
    legacy_id = problems.take(lambda: _bounded(_required_text(record, "legacy_id"), "legacy_id", MAX_ID_CHARS), "")
    if console not in (DEDIBOX, SCALEWAY):
        problems.raise_any(None)  # without its console, the rest of the record has no schema to check
    try:
        raw = json.dumps(
            dict(record), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except ValueError as exc:  # NaN or Infinity: JSON Lines readers elsewhere would choke on them
        raise InvalidLegacyRecord(f"not plain JSON: {exc}") from exc
    if console == DEDIBOX:
        dedibox = _parse_dedibox(record, legacy_id, raw, problems)
        problems.raise_any(legacy_id or None)
        return dedibox
    scaleway = _parse_scaleway(record, legacy_id, raw, problems)
    problems.raise_any(legacy_id or None)
    return scaleway


def _parse_dedibox(record: Mapping[str, object], legacy_id: str, raw: str, problems: _Problems) -> DediboxRecord:
    take = problems.take
    unreadable = object()  # linked_scaleway_id present but refused: no cross-check against it
    linked: object = take(lambda: _linked_scaleway_id(record), unreadable)
    linked_scaleway_id = linked if isinstance(linked, str) else None
    linked_at = take(lambda: _parse_linked_at(record.get("linked_at")), None)
    if linked_at is not None and linked is None:
        problems.found.append(InvalidLegacyRecord(
            "linked_at is set but linked_scaleway_id is null: give the Scaleway account or drop the date",
            "linked_at",
        ))
    mfa = take(lambda: _parse_mfa(record.get("mfa"), allowed=("sms", "totp"), console=DEDIBOX), None)
    assert not isinstance(mfa, PasskeyMfa)  # _parse_mfa refused it already
    phone = take(lambda: _parse_phone(record), None)
    return DediboxRecord(
        legacy_id=legacy_id,
        identifier=take(lambda: _bounded(_required_text(record, "identifier"), "identifier", MAX_ID_CHARS), ""),
        email=take(lambda: _parse_email(record), ""),
        password_hash=take(lambda: _parse_password_hash(record), ""),
        mfa=mfa,
        phone=phone,
        domains=_each(problems, record, "domains", lambda item, where: _bounded(_text_item(item, where), where,
                                                                             MAX_DOMAIN_CHARS)),
        linked_scaleway_id=linked_scaleway_id,
        linked_at=linked_at,
        resources=_each(problems, record, "resources", _parse_resource),
        api_keys=_each(problems, record, "api_keys", _parse_api_key),
        raw=raw,
    )


def _linked_scaleway_id(record: Mapping[str, object]) -> str | None:
    value = _optional_text(record, "linked_scaleway_id")
    return None if value is None else _bounded(value, "linked_scaleway_id", MAX_ID_CHARS)


def _parse_phone(record: Mapping[str, object]) -> str | None:
    phone = _optional_text(record, "phone")
    if phone is not None:
        _check_phone(phone, "phone")
    return phone


def _each(problems: _Problems, record: Mapping[str, object], key: str,
          parse: Callable[[object, str], _T]) -> tuple[_T, ...]:
    """Every item of a list field parsed, each bad item reported on its own."""
    items: list[object] = problems.take(lambda: _list(record, key), [])
    parsed: list[_T] = []
    for i, item in enumerate(items):
        try:
            parsed.append(parse(item, f"{key}[{i}]"))
        except InvalidLegacyRecord as exc:
            problems.found.extend(exc.problems)
    return tuple(parsed)


def _parse_scaleway(record: Mapping[str, object], legacy_id: str, raw: str, problems: _Problems) -> ScalewayRecord:
    take = problems.take
    mfa = take(lambda: _parse_mfa(record.get("mfa"), allowed=("totp", "passkey"), console=SCALEWAY), None)
    assert not isinstance(mfa, SmsMfa)  # _parse_mfa refused it already
    return ScalewayRecord(
        legacy_id=legacy_id,
        email=take(lambda: _parse_email(record), ""),
        password_hash=take(lambda: _parse_password_hash(record), ""),
        mfa=mfa,
        raw=raw,
    )


def _parse_email(record: Mapping[str, object]) -> str:
    email = _required_text(record, "email")
    normalised = normalise_email(email)
    local, _, _domain = normalised.partition("@")
    if not _EMAIL.match(normalised) or len(normalised) > 254 or len(local) > 64:
        raise InvalidLegacyRecord("not an email address (expected local@domain.tld)", "email")
    return email


def _parse_password_hash(record: Mapping[str, object]) -> str:
    value = _required_text(record, "password_hash")
    if _BCRYPT.match(value) or _ARGON2ID.match(value) or _PBKDF2_SHA256.match(value):
        return value
    raise InvalidLegacyRecord(
        "unknown password hash format: expected bcrypt ($2a$, $2b$ or $2y$ with a cost and 53 "
        "characters), argon2id ($argon2id$v=..$m=..,t=..,p=..$salt$hash) or "
        "pbkdf2_sha256$iterations$salt$hash",
        "password_hash",
    )


def _parse_mfa(value: object, *, allowed: tuple[str, ...], console: str) -> Mfa | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidLegacyRecord(f"expected null or an object, got {_json_type(value)}", "mfa")
    kind = value.get("type")
    if kind not in allowed:
        raise InvalidLegacyRecord(
            f"unknown second factor type {kind!r} for a {console} account: expected "
            + " or ".join(repr(a) for a in allowed),
            "mfa.type",
        )
    if kind == "sms":
        phone = _required_text(value, "phone", prefix="mfa.")
        _check_phone(phone, "mfa.phone")
        return SmsMfa(phone=phone)
    if kind == "totp":
        return TotpMfa(secret=_parse_totp_secret(value.get("secret")))
    sign_count = value.get("sign_count", 0)
    # bool is an int in Python, but true is no signature counter.
    if not isinstance(sign_count, int) or isinstance(sign_count, bool) or sign_count < 0:
        raise InvalidLegacyRecord("sign_count must be a non-negative integer", "mfa.sign_count")
    return PasskeyMfa(
        credential_id=_required_text(value, "credential_id", prefix="mfa."),
        public_key=_required_text(value, "public_key", prefix="mfa."),
        sign_count=sign_count,
    )


def _parse_totp_secret(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidLegacyRecord("a TOTP second factor needs its base32 secret", "mfa.secret")
    # Authenticator apps show seeds in groups and often without padding; both are the same seed.
    secret = "".join(value.split()).upper().rstrip("=")
    try:
        decoded = base64.b32decode(secret + "=" * (-len(secret) % 8))
    except (binascii.Error, ValueError):
        raise InvalidLegacyRecord(
            "TOTP secret is not valid base32 (letters A-Z and digits 2-7)", "mfa.secret"
        ) from None
    if len(decoded) < _TOTP_MIN_BYTES:
        raise InvalidLegacyRecord(
            f"TOTP secret is too short: {len(decoded) * 8} bits, at least {_TOTP_MIN_BYTES * 8} needed",
            "mfa.secret",
        )
    return secret


def _parse_linked_at(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidLegacyRecord(
            f"expected an RFC 3339 UTC time string, got {_json_type(value)}", "linked_at"
        )
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidLegacyRecord(
            f"not an RFC 3339 time: {value!r} (expected e.g. 2025-09-01T10:00:00Z)", "linked_at"
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        # Guessing the zone could move a link across the cutoff and change who keeps legacy login.
        raise InvalidLegacyRecord(f"time {value!r} has no time zone: add Z or an offset", "linked_at")
    return parsed.astimezone(UTC)


def _parse_resource(value: object, where: str) -> Resource:
    if not isinstance(value, Mapping):
        raise InvalidLegacyRecord(f"expected an object, got {_json_type(value)}", where)
    name = value.get("name", "")
    if not isinstance(name, str):
        raise InvalidLegacyRecord(f"expected a string, got {_json_type(name)}", f"{where}.name")
    return Resource(
        id=_required_text(value, "id", prefix=f"{where}."),
        kind=_required_text(value, "kind", prefix=f"{where}."),
        name=name,
    )


def _parse_api_key(value: object, where: str) -> ApiKey:
    if not isinstance(value, Mapping):
        raise InvalidLegacyRecord(f"expected an object, got {_json_type(value)}", where)
    key_id = _bounded(_required_text(value, "key_id", prefix=f"{where}."), f"{where}.key_id", MAX_ID_CHARS)
    digest = value.get("secret_sha256")
    if not isinstance(digest, str) or not _SHA256_HEX.match(digest):
        raise InvalidLegacyRecord(
            "secret_sha256 must be the SHA-256 of the key's secret as 64 hexadecimal characters",
            f"{where}.secret_sha256",
        )
    return ApiKey(key_id=key_id, secret_sha256=digest.lower())


def _check_phone(phone: str, where: str) -> None:
    if not _E164.match(phone):
        raise InvalidLegacyRecord(
            "not an E.164 phone number (a + then 7 to 15 digits, e.g. +33612345678)", where
        )


def _required_text(record: Mapping[str, object], key: str, *, prefix: str = "") -> str:
    value = record.get(key)
    if value is None:
        raise InvalidLegacyRecord(f"missing {key}", prefix + key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidLegacyRecord(f"{key} must be a non-empty string, got {_json_type(value)}", prefix + key)
    return value


def _optional_text(record: Mapping[str, object], key: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidLegacyRecord(f"{key} must be null or a non-empty string, got {_json_type(value)}", key)
    return value


# Ids, identifiers and domains become parts of DynamoDB keys (1 KiB at most for a sort key, in
# UTF-8): a longer one is refused at import, with its line, not by DynamoDB in the middle of a run.
MAX_ID_CHARS = 200
MAX_DOMAIN_CHARS = 253  # DNS's own limit


def _bounded(value: str, where: str, limit: int) -> str:
    if len(value) > limit:
        raise InvalidLegacyRecord(f"longer than {limit} characters ({len(value)})", where)
    return value


def _text_item(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidLegacyRecord(f"expected a non-empty string, got {_json_type(value)}", where)
    return value


def _list(record: Mapping[str, object], key: str) -> list[object]:
    # A missing list and an empty one mean the same: old exports omit empty fields.
    value = record.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidLegacyRecord(f"expected a list, got {_json_type(value)}", key)
    return value


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "an empty string" if not value.strip() else "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
