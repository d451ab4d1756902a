"""Bad input stops at the door: addresses SES would refuse, bodies nested too deep, empty patches;
an address SES refuses anyway leaves nothing stored; and the shorter paths of an unknown key wait
for the same floor as the longer ones."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from gatehouse.api.models import EmailAddress, LookupEmail
from gatehouse.bootstrap import Container
from gatehouse.domain.accounts import Account
from gatehouse.domain.delivery import Email
from gatehouse.errors import InvalidEmailError, InvalidInputError, MalformedBodyError
from gatehouse.flows.recovery import Lookup
from pydantic import BaseModel, TypeAdapter, ValidationError

PASSWORD = "a quiet harbour at dawn"
IP = "192.0.2.7"

EMAIL = TypeAdapter(EmailAddress)
LOOKUP = TypeAdapter(LookupEmail)


# --- 8. email addresses -----------------------------------------------------------------------
@pytest.mark.parametrize("address", [
    "<script>@x.com", "a,b@x.com", "a b@x.com", '"a"@x.com', "Jane <jane@x.com>", "a@b@x.com", "a;b@x.com",
    "a..b@x.com", ".a@x.com", "a.@x.com", "a@x", "a@x.c", "a@-x.com", "a@x-.com", "a@x_y.com", "a@1.2.3.4",
    "a@x..com", "a(comment)@x.com", "a\\b@x.com", "a@[192.0.2.1]", "a\nb@x.com", "a\x00@x.com",
    "x" * 65 + "@x.com", "a@" + "b" * 64 + ".com", "a@" + ".".join(["b" * 60] * 5) + ".com",
])
def test_an_address_that_ses_would_refuse_is_invalid_input(address: str) -> None:
    for adapter in (EMAIL, LOOKUP):
        with pytest.raises(ValidationError):
            adapter.validate_python(address)


@pytest.mark.parametrize("address", [
    "jane@example.com", "Jane.Doe+tag@sub.example.co.uk", "o'brien@example.ie", "a_b-c@x-y.example",
    "x" * 64 + "@example.com", "a@" + ".".join(["b" * 63] * 3) + ".com",
])
def test_an_ordinary_address_is_accepted(address: str) -> None:
    assert EMAIL.validate_python(f"  {address} ") == address


def test_a_whole_address_is_at_most_254_octets() -> None:
    local, domain = "a" * 64, ".".join(["b" * 63] * 3) + ".com"   # 64 + 1 + 195 = 260
    with pytest.raises(ValidationError, match="too long"):
        EMAIL.validate_python(f"{local}@{domain}")
    assert EMAIL.validate_python(f"{local[:58]}@{domain}")          # 254


def test_accents_are_refused_for_an_address_to_write_to_but_found_for_a_login() -> None:
    # SES has no SMTPUTF8: a new address must be ASCII. Legacy accounts were imported with such
    # addresses, and their owners still sign in and ask for a reset with them.
    with pytest.raises(ValidationError, match="without accents"):
        EMAIL.validate_python("josé@example.com")
    assert LOOKUP.validate_python("josé@example.com") == "josé@example.com"
    assert LOOKUP.validate_python("jose\u0301@example.com")  # decomposed, as some keyboards type it


def _email_fields(model: type[BaseModel]) -> dict[str, Any]:
    return {name: f for name, f in model.model_fields.items() if "email" in name}


def test_every_route_that_takes_an_email_validates_it_as_an_address() -> None:
    from gatehouse.api.models import _email, _lookup_email
    from gatehouse.api.routing import ROUTES

    from functions import blueprints as discover

    discover()
    checked = set()
    for spec in ROUTES:
        for name, f in _email_fields(spec.body).items() if spec.body else ():
            validators = {getattr(m, "func", None) for m in f.metadata}
            for arg in getattr(f.annotation, "__args__", ()):  # `EmailAddress | None`
                validators |= {getattr(m, "func", None) for m in getattr(arg, "__metadata__", ())}
            assert validators & {_email, _lookup_email}, f"{spec.method} {spec.path}: {name} is not EmailAddress"
            checked.add((spec.path, name))
    assert {("/signup", "email"), ("/login", "email"), ("/login/code", "email"),
            ("/password/reset/email", "email"), ("/account/email", "new_email"),
            ("/recovery-requests", "new_email"), ("/organization/members", "email"),
            ("/outsourcing", "grantee_email")} <= checked


def test_addresses_to_write_to_are_strict_and_only_lookups_are_wide() -> None:
    from gatehouse.api.models import _email
    from gatehouse.api.routing import ROUTES

    from functions import blueprints as discover

    discover()
    wide = {(spec.path, name) for spec in ROUTES if spec.body for name, f in _email_fields(spec.body).items()
            if _email not in {getattr(m, "func", None) for m in f.metadata}
            and all(_email not in {getattr(m, "func", None) for m in getattr(a, "__metadata__", ())}
                    for a in getattr(f.annotation, "__args__", ()))}
    assert wide == {("/login", "email"), ("/password/reset/email", "email"), ("/password/reset/sms", "email")}


# --- 8. an address SES refuses anyway -------------------------------------------------------------
@dataclass
class RefusingMailer:
    """SES refusing the address, as SesMailer reports it."""

    refused: set[str]
    sent: list[Email] = field(default_factory=list)

    def send(self, email: Email) -> None:
        if email.to.lower() in self.refused:
            raise InvalidEmailError()
        self.sent.append(email)

    def to(self, address: str) -> list[Email]:
        return [e for e in self.sent if e.to == address]


def _refusing(c: Container, *addresses: str) -> RefusingMailer:
    mailer = RefusingMailer(set(addresses))
    c.mailer = mailer
    return mailer


def _account(c: Container, email: str, **aliases: list[str]) -> Account:
    account = Account(id=f"acc_{abs(hash(email)):024d}"[:28], email=email, created_at=c.clock.now(),
                      password_hash=c.hasher.hash(PASSWORD), email_verified=True, phone="+33612345678")
    c.accounts.add(account, aliases=aliases)
    return account


def test_a_sign_up_to_an_address_ses_refuses_stores_nothing(c: Container) -> None:
    mailer = _refusing(c, "bounce@example.com")
    with pytest.raises(InvalidEmailError):
        c.signup.request("bounce@example.com", PASSWORD, "en")
    assert c.once._items == {} and c.once._latest == {}
    mailer.refused.clear()  # SES takes it now: the sign-up goes through as usual
    c.signup.request("bounce@example.com", PASSWORD, "en")
    token = re.search(r"token=(\S+)", mailer.sent[-1].text).group(1)
    assert c.signup.verify(token)["account_id"]


def test_an_email_change_to_an_address_ses_refuses_stores_nothing(c: Container) -> None:
    account = _account(c, "jane@example.com")
    token, _ = c.sessions.start(account, methods=("password",))
    auth = c.sessions.authenticate(token)
    _refusing(c, "bounce@example.com")
    c.once._items.clear()
    with pytest.raises(InvalidEmailError):
        c.account_settings.request_email_change(auth, "bounce@example.com", PASSWORD)
    assert c.once._items == {}


def test_a_reset_whose_address_on_file_ses_refuses_answers_like_any_other(c: Container) -> None:
    # Saying "invalid_email" would tell that the domain names an account (an unknown one sends nothing).
    _account(c, "bounce@example.com", domain=["bounce.example"])
    _refusing(c, "bounce@example.com")
    known = c.recovery.request("email", Lookup("domain", "bounce.example"), ip=IP)
    unknown = c.recovery.request("email", Lookup("domain", "nobody.example"), ip=IP)
    assert known.startswith("rec_") and unknown.startswith("rec_") and len(known) == len(unknown)


def test_a_code_sign_in_to_an_address_ses_refuses_is_the_same_error_known_or_not(c: Container) -> None:
    _account(c, "bounce@example.com")
    _refusing(c, "bounce@example.com", "ghost@example.com")
    for address in ("bounce@example.com", "ghost@example.com"):
        with pytest.raises(InvalidEmailError):
            c.code_login.request(address)


# --- 12. the floor on the shorter paths ---------------------------------------------------------
def test_a_sign_in_code_request_waits_for_the_floor_known_unknown_or_throttled(c: Container) -> None:
    _account(c, "jane@example.com")
    floor = c.unknown_key_floor.seconds
    assert floor == 0.4
    c.code_login.request("jane@example.com")
    c.code_login.request("nobody@example.com")
    for _ in range(5):  # past the message throttle: silent, and still held
        c.code_login.request("jane@example.com")
    assert [m.subject for m in c.mailer.sent].count("Your sign-in code") == 5
    assert len(c.unknown_key_floor.waited) == 7
    assert all(floor / 2 < waited <= floor for waited in c.unknown_key_floor.waited)


def test_a_sign_up_waits_for_the_floor_free_taken_or_throttled(c: Container) -> None:
    _account(c, "taken@example.com")
    floor = c.unknown_key_floor.seconds
    c.signup.request("free@example.com", PASSWORD, "en")
    c.signup.request("taken@example.com", PASSWORD, "en")
    for _ in range(5):
        c.signup.request("taken@example.com", PASSWORD, "en")
    assert len(c.mailer.sent) == 6  # one verify, five "already taken": the sixth is throttled
    assert len(c.unknown_key_floor.waited) == 7
    assert all(floor / 2 < waited <= floor for waited in c.unknown_key_floor.waited)


def test_the_floor_also_holds_a_sign_up_that_ses_refuses(c: Container) -> None:
    _refusing(c, "bounce@example.com")
    with pytest.raises(InvalidEmailError):
        c.signup.request("bounce@example.com", PASSWORD, "en")
    assert len(c.unknown_key_floor.waited) == 1


def test_the_unknown_key_floor_is_a_setting() -> None:
    from gatehouse.settings import load

    assert load({"GATEHOUSE_UNKNOWN_KEY_FLOOR_MS": "650"}).unknown_key_floor_ms == 650
    assert Container.in_memory(load({"GATEHOUSE_UNKNOWN_KEY_FLOOR_MS": "650"})).unknown_key_floor.seconds == 0.65


# --- 9. nesting -------------------------------------------------------------------------------
@dataclass
class _Request:
    raw_body: bytes
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "application/json"})


class _Anything(BaseModel):
    data: Any = None


def _nested(depth: int) -> bytes:
    return json.dumps({"data": json.loads("[" * (depth - 1) + "]" * (depth - 1))}).encode()


def test_a_body_nested_32_deep_is_parsed_and_33_is_malformed() -> None:
    from gatehouse.api.routing import MAX_JSON_DEPTH, _parse_body

    assert MAX_JSON_DEPTH == 32
    assert _parse_body(_Request(_nested(32)), _Anything, 64 * 1024).data is not None
    with pytest.raises(MalformedBodyError, match="deeper than 32"):
        _parse_body(_Request(_nested(33)), _Anything, 64 * 1024)


def test_a_body_nested_past_the_parsers_stack_is_malformed_not_a_crash() -> None:
    from gatehouse.api.routing import _parse_body

    for raw in (b"[" * 30_000 + b"]" * 30_000, b'{"a":' * 10_000 + b"1" + b"}" * 10_000, b"[" * 60_000):
        with pytest.raises(MalformedBodyError):
            _parse_body(_Request(raw), _Anything, 128 * 1024)


# --- 10. an empty patch ----------------------------------------------------------------------
def test_an_empty_account_patch_is_invalid_input(c: Container) -> None:
    account = _account(c, "jane@example.com")
    token, _ = c.sessions.start(account, methods=("password",))
    with pytest.raises(InvalidInputError) as raised:
        c.account_settings.update(c.sessions.authenticate(token), {})
    assert raised.value.details["fields"] == {"body": "Give at least one field to change."}
    assert c.accounts.get(account.id) == account
