"""WebAuthn: security keys and passkeys, as a second factor and for passwordless (passkey) login.

Challenges are 32 random bytes, live 5 minutes and are used once (a conditional delete). The
second-factor and registration ones are stored under the id of the session that asked, so only
that session can answer them; the passkey login one, which has no session, under the digest of
a random challenge id the browser holds in an HttpOnly cookie. The origin and RP ID come from
settings, and the sign counter must grow (when the authenticator keeps one), by one conditional
write, so a cloned key shows.

`webauthn` (py_webauthn) is imported inside the methods: only the Lambdas that run a ceremony
pay for it.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from gatehouse.domain.accounts import Account
from gatehouse.domain.factors import Factor
from gatehouse.domain.login import Claimant, FirstFactor
from gatehouse.domain.one_time import OneTimeItem
from gatehouse.domain.secrets import digest, new_id, new_token
from gatehouse.domain.sessions import Session
from gatehouse.errors import GatehouseError, InvalidCredentialsError, WebAuthnRejectedError
from gatehouse.ports import AccountRepository, Clock, MfaStore, OneTimeStore
from gatehouse.settings import Settings

METHOD = "webauthn"
REGISTRATION = "webauthn_registration"
SECOND_FACTOR = "webauthn_second_factor"
PASSKEY_LOGIN = "passkey_login"
CHALLENGE_BYTES = 32


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _credential_id(credential: Any) -> str | None:
    if not isinstance(credential, dict):
        return None
    raw = credential.get("rawId") or credential.get("id")
    return raw if isinstance(raw, str) else None


class WebAuthnStrategy:
    method = METHOD
    works_through_backoff = False
    label = "Passkey"
    answer = "credential"  # the `/mfa/verify` field its answer comes in
    migrates = ("passkey",)  # the legacy factor kinds the unifier hands it

    def __init__(self, store: MfaStore, once: OneTimeStore, clock: Clock, settings: Settings) -> None:
        self._store, self._once, self._clock, self._s = store, once, clock, settings

    def _timeout_ms(self) -> int:
        return self._s.webauthn_challenge_seconds * 1000

    def _remember(self, kind: str, key: str, subject: str, challenge: bytes) -> None:
        self._once.put(OneTimeItem(
            kind=kind, key=key, subject=subject,
            expires_at=self._clock.now() + timedelta(seconds=self._s.webauthn_challenge_seconds),
            data={"challenge": b64url(challenge)},
        ))

    def _take(self, kind: str, key: str) -> bytes | None:
        item = self._once.consume(kind, key, self._clock.now())
        return unb64url(item.data["challenge"]) if item else None

    def _factors(self, account_id: str) -> list[Factor]:
        return [f for f in self._store.list(account_id) if f.type == METHOD]

    # --- registration -------------------------------------------------------------------------
    def begin(self, account: Account, session: Session) -> dict[str, Any]:
        import json

        from webauthn import generate_registration_options, options_to_json
        from webauthn.helpers.structs import (
            AuthenticatorSelectionCriteria,
            PublicKeyCredentialDescriptor,
            ResidentKeyRequirement,
            UserVerificationRequirement,
        )

        challenge = os.urandom(CHALLENGE_BYTES)
        options = generate_registration_options(
            rp_id=self._s.webauthn_rp_id, rp_name=self._s.webauthn_rp_name, user_name=account.email,
            # The user handle is the account id: random, not personal, and what passkey login reads back.
            user_id=account.id.encode(), challenge=challenge, timeout=self._timeout_ms(),
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.PREFERRED,
                user_verification=UserVerificationRequirement.PREFERRED),
            exclude_credentials=[PublicKeyCredentialDescriptor(id=unb64url(f.data["credential_id"]))
                                 for f in self._factors(account.id)],
        )
        self._remember(REGISTRATION, session.id, account.id, challenge)
        return {"options": json.loads(options_to_json(options))}

    def finish(self, account: Account, session: Session, payload: dict[str, Any]) -> Factor:
        from webauthn import verify_registration_response
        from webauthn.helpers.exceptions import WebAuthnException

        challenge = self._take(REGISTRATION, session.id)
        if challenge is None:
            raise WebAuthnRejectedError("This registration expired or was already used: start again.")
        try:
            verified = verify_registration_response(
                credential=payload.get("credential") or {}, expected_challenge=challenge,
                expected_rp_id=self._s.webauthn_rp_id, expected_origin=self._s.webauthn_origin)
        except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
            raise WebAuthnRejectedError() from exc
        credential_id = b64url(verified.credential_id)
        if any(f.data.get("credential_id") == credential_id for f in self._factors(account.id)):
            raise WebAuthnRejectedError("This passkey is already registered.")
        factor = Factor(account_id=account.id, id=new_id("mfa"), type=METHOD, created_at=self._clock.now(),
                        counter=verified.sign_count,
                        data={"credential_id": credential_id, "public_key": b64url(verified.credential_public_key),
                              "user_verified": verified.user_verified})
        self._store.add(factor)
        return factor

    # --- second factor ------------------------------------------------------------------------
    def migrate(self, account_id: str, factor: Any, created_at: datetime, factor_id: str) -> None:
        """A legacy passkey kept through unification (ConditionFailedError if `factor_id` is stored)."""
        self._store.add(Factor(account_id=account_id, id=factor_id, type=METHOD, created_at=created_at,
                               counter=factor.sign_count,
                               data={"credential_id": factor.credential_id, "public_key": factor.public_key}))

    def migrate_many(self, entries: Sequence[tuple[str, Any, datetime, str]]) -> Sequence[bool]:
        """`migrate` for a batch of (account id, legacy passkey, created at, factor id), stored
        together (`MfaStore.add_many`); per entry whether it was stored."""
        return self._store.add_many([
            Factor(account_id=account_id, id=factor_id, type=METHOD, created_at=created_at,
                   counter=factor.sign_count,
                   data={"credential_id": factor.credential_id, "public_key": factor.public_key})
            for account_id, factor, created_at, factor_id in entries])

    def challenge(self, account: Account, session: Session) -> dict[str, Any] | None:
        import json

        from webauthn import generate_authentication_options, options_to_json
        from webauthn.helpers.structs import PublicKeyCredentialDescriptor, UserVerificationRequirement

        factors = self._factors(account.id)
        if not factors:
            return None
        challenge = os.urandom(CHALLENGE_BYTES)
        options = generate_authentication_options(
            rp_id=self._s.webauthn_rp_id, challenge=challenge, timeout=self._timeout_ms(),
            allow_credentials=[PublicKeyCredentialDescriptor(id=unb64url(f.data["credential_id"]))
                               for f in factors],
            user_verification=UserVerificationRequirement.DISCOURAGED,
        )
        self._remember(SECOND_FACTOR, session.id, account.id, challenge)
        return {"options": json.loads(options_to_json(options))}

    def verify(self, account: Account, session: Session, payload: dict[str, Any]) -> bool:
        challenge = self._take(SECOND_FACTOR, session.id)
        if challenge is None:
            return False
        return self._authenticate(account.id, payload.get("credential"), challenge, user_verification=False)

    # --- passkey login ------------------------------------------------------------------------
    def login_options(self) -> tuple[str, dict[str, Any]]:
        """A discoverable-credential request; returns (challenge id for the cookie, options)."""
        import json

        from webauthn import generate_authentication_options, options_to_json
        from webauthn.helpers.structs import UserVerificationRequirement

        challenge, challenge_id = os.urandom(CHALLENGE_BYTES), new_token()
        options = generate_authentication_options(
            rp_id=self._s.webauthn_rp_id, challenge=challenge, timeout=self._timeout_ms(), allow_credentials=[],
            user_verification=UserVerificationRequirement.REQUIRED)
        self._remember(PASSKEY_LOGIN, digest(challenge_id), "passkey", challenge)
        return challenge_id, {"options": json.loads(options_to_json(options))}

    def login(self, challenge_id: str | None, credential: Any) -> str:
        """The account id a passkey (with user verification) proves; InvalidCredentialsError else."""
        challenge = self._take(PASSKEY_LOGIN, digest(challenge_id)) if challenge_id else None
        handle = (credential.get("response") or {}).get("userHandle") if isinstance(credential, dict) else None
        if challenge is None or not isinstance(handle, str):
            raise InvalidCredentialsError("This passkey sign-in expired or was not accepted: try again.")
        try:
            account_id = unb64url(handle).decode()
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidCredentialsError() from exc
        if not self._authenticate(account_id, credential, challenge, user_verification=True):
            raise InvalidCredentialsError("This passkey was not accepted.")
        return account_id

    # --- shared -------------------------------------------------------------------------------
    def _authenticate(self, account_id: str, credential: Any, challenge: bytes, *, user_verification: bool) -> bool:
        from webauthn import verify_authentication_response
        from webauthn.helpers.exceptions import WebAuthnException

        credential_id = _credential_id(credential)
        factor = next((f for f in self._factors(account_id) if f.data.get("credential_id") == credential_id), None)
        if factor is None:
            return False
        try:
            verified = verify_authentication_response(
                credential=credential, expected_challenge=challenge, expected_rp_id=self._s.webauthn_rp_id,
                expected_origin=self._s.webauthn_origin, credential_public_key=unb64url(factor.data["public_key"]),
                credential_current_sign_count=factor.counter, require_user_verification=user_verification)
        except (WebAuthnException, ValueError, TypeError, KeyError):
            return False
        if verified.new_sign_count == 0 and factor.counter == 0:
            return True  # an authenticator without a counter (most passkeys): the challenge is the guard
        return self._store.advance(account_id, factor.id, verified.new_sign_count)


class PasskeyLogin:
    """The passkey first factor (`/login/passkey`): with user verification it is itself two factors
    (possession and the device's PIN or biometrics), so its session starts at AAL2."""

    method = "passkey"

    def __init__(self, accounts: AccountRepository, webauthn: WebAuthnStrategy) -> None:
        self._accounts, self._webauthn = accounts, webauthn

    def options(self) -> tuple[str, dict[str, Any]]:
        return self._webauthn.login_options()

    def claimant(self, answer: Mapping[str, Any]) -> Claimant:
        return Claimant()  # the single-use challenge is the guard

    def prove(self, claimant: Claimant, answer: Mapping[str, Any]) -> FirstFactor | None:
        account = self._accounts.get(self._webauthn.login(answer.get("challenge_id"), answer.get("credential")))
        return FirstFactor(account, self.method, aal=2) if account is not None else None

    def invalid(self) -> GatehouseError:
        return InvalidCredentialsError()
