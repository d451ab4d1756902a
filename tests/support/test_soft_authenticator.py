"""The software authenticator in tests/support speaks real WebAuthn: py_webauthn accepts what it
makes, and rejects it when a knob simulates an attack."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.parse_cbor import parse_cbor
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from tests.support.soft_authenticator import AuthenticatorError, SoftAuthenticator, cbor_encode

ORIGIN = "http://localhost:8000"
RP_ID = "localhost"


def registration_options(
    user_id: bytes = b"user-1", exclude: list[bytes] | None = None
) -> tuple[dict, bytes]:
    opts = generate_registration_options(
        rp_id=RP_ID,
        rp_name="Gatehouse",
        user_name="alice@example.com",
        user_id=user_id,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=c) for c in exclude or []],
    )
    return json.loads(options_to_json(opts)), opts.challenge


def authentication_options(allow: list[bytes] | None = None) -> tuple[dict, bytes]:
    opts = generate_authentication_options(
        rp_id=RP_ID,
        allow_credentials=[PublicKeyCredentialDescriptor(id=c) for c in allow or []],
    )
    return json.loads(options_to_json(opts)), opts.challenge


def register(auth: SoftAuthenticator, **create_kwargs: Any) -> Any:
    options, challenge = registration_options()
    response = auth.create(options, **create_kwargs)
    return verify_registration_response(
        credential=response, expected_challenge=challenge, expected_rp_id=RP_ID, expected_origin=ORIGIN
    )


def login(
    auth: SoftAuthenticator, registered: Any, current_count: int, allow: bool = True, **get_kwargs: Any
):
    options, challenge = authentication_options([registered.credential_id] if allow else None)
    response = auth.get(options, **get_kwargs)
    verified = verify_authentication_response(
        credential=response,
        expected_challenge=challenge,
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
        credential_public_key=registered.credential_public_key,
        credential_current_sign_count=current_count,
    )
    return verified, response


def test_registration_verifies_with_py_webauthn() -> None:
    auth = SoftAuthenticator()
    options, challenge = registration_options()

    response = auth.create({"publicKey": options})  # the navigator.credentials.create() wrapper works too

    registered = verify_registration_response(
        credential=response,
        expected_challenge=challenge,
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
        require_user_verification=True,
    )
    assert registered.fmt == "none"
    assert registered.user_verified is True
    assert registered.sign_count == 0
    assert registered.credential_id == base64url_to_bytes(response["id"])
    assert registered.credential_public_key == auth.credential(response["id"]).public_key_cose
    assert response["type"] == "public-key" and response["authenticatorAttachment"] == "platform"
    assert not any("=" in v for v in response["response"].values() if isinstance(v, str))


def test_authentication_verifies_with_stored_key_and_returns_new_sign_count() -> None:
    auth = SoftAuthenticator()
    registered = register(auth)

    first, _ = login(auth, registered, current_count=registered.sign_count)
    second, _ = login(auth, registered, current_count=first.new_sign_count)

    assert first.credential_id == registered.credential_id
    assert (first.new_sign_count, second.new_sign_count) == (1, 2)
    assert second.user_verified is True


@pytest.mark.parametrize("ceremony", ["registration", "authentication"])
def test_wrong_origin_is_rejected(ceremony: str) -> None:
    auth = SoftAuthenticator()
    if ceremony == "registration":
        with pytest.raises(InvalidRegistrationResponse, match="origin"):
            register(auth, origin="https://gatehouse.evil.example")
    else:
        registered = register(auth)
        with pytest.raises(InvalidAuthenticationResponse, match="origin"):
            login(auth, registered, current_count=0, origin="https://gatehouse.evil.example")


def test_replayed_assertion_with_same_counter_is_rejected() -> None:
    auth = SoftAuthenticator(initial_sign_count=1)
    registered = register(auth)
    options, challenge = authentication_options([registered.credential_id])
    assertion = auth.get(options)
    check: dict[str, Any] = dict(
        expected_challenge=challenge,
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
        credential_public_key=registered.credential_public_key,
    )
    accepted = verify_authentication_response(
        credential=assertion, credential_current_sign_count=registered.sign_count, **check
    )
    assert accepted.new_sign_count == 2

    with pytest.raises(
        InvalidAuthenticationResponse, match="sign count of 2 was not greater than current count of 2"
    ):
        verify_authentication_response(
            credential=assertion, credential_current_sign_count=accepted.new_sign_count, **check
        )


def test_falling_counter_is_rejected() -> None:
    auth = SoftAuthenticator()
    registered = register(auth)
    for _ in range(5):
        latest, response = login(auth, registered, current_count=0)
    auth.set_sign_count(response["id"], 1)  # a cloned authenticator lagging behind

    with pytest.raises(
        InvalidAuthenticationResponse, match="sign count of 2 was not greater than current count of 5"
    ):
        login(auth, registered, current_count=latest.new_sign_count)
    with pytest.raises(InvalidAuthenticationResponse, match="sign count of 3 was not greater"):
        login(auth, registered, current_count=latest.new_sign_count, sign_count=3)


def test_discoverable_login_with_empty_allow_credentials_returns_user_handle() -> None:
    auth = SoftAuthenticator()
    registered = register(auth)

    verified, response = login(auth, registered, current_count=0, allow=False)

    assert verified.credential_id == registered.credential_id
    assert base64url_to_bytes(response["response"]["userHandle"]) == b"user-1"


def test_non_resident_credential_is_not_offered_for_discoverable_login() -> None:
    auth = SoftAuthenticator()
    registered = register(auth, resident=False)

    _, response = login(auth, registered, current_count=0)  # usable when the server names it
    assert response["response"]["userHandle"] is None
    with pytest.raises(AuthenticatorError, match="NotAllowedError"):
        auth.get(authentication_options()[0])


@pytest.mark.parametrize("ceremony", ["registration", "authentication"])
def test_required_user_verification_fails_when_uv_is_off(ceremony: str) -> None:
    auth = SoftAuthenticator(user_verification=False)
    options, challenge = registration_options()
    created = auth.create(options)
    reg_check: dict[str, Any] = dict(
        expected_challenge=challenge, expected_rp_id=RP_ID, expected_origin=ORIGIN
    )
    if ceremony == "registration":
        with pytest.raises(InvalidRegistrationResponse, match="User verification is required"):
            verify_registration_response(credential=created, require_user_verification=True, **reg_check)
        return
    registered = verify_registration_response(credential=created, **reg_check)
    options, challenge = authentication_options([registered.credential_id])
    assertion = auth.get(options)
    check: dict[str, Any] = dict(
        credential=assertion,
        expected_challenge=challenge,
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
        credential_public_key=registered.credential_public_key,
        credential_current_sign_count=0,
    )
    assert verify_authentication_response(**check).user_verified is False  # fine when only preferred
    with pytest.raises(InvalidAuthenticationResponse, match="User verification is required"):
        verify_authentication_response(require_user_verification=True, **check)


def test_excluded_credential_is_refused_like_a_browser() -> None:
    auth = SoftAuthenticator()
    registered = register(auth)
    options, _ = registration_options(exclude=[registered.credential_id])
    with pytest.raises(AuthenticatorError, match="InvalidStateError"):
        auth.create(options)


@pytest.mark.parametrize(
    "value",
    [
        0,
        23,
        24,
        255,
        256,
        65536,
        2**32,
        -1,
        -25,
        -300,
        b"",
        os.urandom(300),
        "",
        "é" * 30,
        [1, "a", b"b"],
        {1: 2, -1: b"x", "k": {"n": None}},
        True,
        False,
        None,
    ],
)
def test_cbor_encoder_round_trips_through_cbor2(value: Any) -> None:
    assert parse_cbor(cbor_encode(value)) == value
