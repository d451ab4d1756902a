"""A software FIDO2/WebAuthn authenticator for tests.

``SoftAuthenticator`` plays the part of the browser plus a platform authenticator, so a
test can drive Gatehouse's passkey and WebAuthn second-factor ceremonies without a real
device: feed it the options JSON the server produced (``webauthn.options_to_json``, after
``json.loads``) and post back what it returns, exactly as ``navigator.credentials.create()`` /
``.get()`` would after ``PublicKeyCredential.toJSON()``.

It makes ES256 (P-256) credentials with ``"none"`` attestation; the CBOR it needs is encoded
by a tiny encoder here, so there is no extra dependency. It is deliberately *not* a strict
client: it reports what its knobs say even where a real browser would refuse, so that tests
can prove the server rejects bad input:

* ``origin=`` per call writes any origin into clientDataJSON (phishing / wrong-origin tests);
* ``user_verification`` (attribute) sets or clears the UV flag whatever the options request;
* ``set_sign_count()`` / ``get(..., sign_count=)`` force the signature counter, e.g. backwards.

Not for production use: private keys live in memory, unprotected.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

__all__ = ["AuthenticatorError", "SoftAuthenticator", "StoredCredential", "b64url", "cbor_encode"]

ES256 = -7
AAGUID = bytes(16)  # all zeros, as "none" attestation authenticators usually report
FLAG_UP, FLAG_UV, FLAG_BE, FLAG_BS, FLAG_AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64url(data: bytes) -> str:
    """Base64url without padding, the encoding WebAuthn JSON uses for binary fields."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _cbor_head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for extra, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if value < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | extra]) + struct.pack(fmt, value)
    raise ValueError(f"CBOR integer out of range: {value}")


def cbor_encode(value: Any) -> bytes:
    """Encode ints, bytes, str, bool, None, lists and dicts as (definite-length) CBOR.

    Dict keys keep their insertion order, which is what CTAP2's canonical form wants as long
    as callers write them in canonical order (as this module does for COSE keys).
    """
    if isinstance(value, bool):
        return b"\xf5" if value else b"\xf4"
    if value is None:
        return b"\xf6"
    if isinstance(value, int):
        return _cbor_head(0, value) if value >= 0 else _cbor_head(1, -1 - value)
    if isinstance(value, bytes | bytearray):
        return _cbor_head(2, len(value)) + bytes(value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _cbor_head(3, len(raw)) + raw
    if isinstance(value, list | tuple):
        return _cbor_head(4, len(value)) + b"".join(cbor_encode(item) for item in value)
    if isinstance(value, dict):
        items = (cbor_encode(k) + cbor_encode(v) for k, v in value.items())
        return _cbor_head(5, len(value)) + b"".join(items)
    raise TypeError(f"cannot CBOR-encode {type(value).__name__}")


class AuthenticatorError(Exception):
    """What the browser would reject the ceremony with; ``name`` is the DOMException name."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


@dataclass
class StoredCredential:
    """One credential held by the authenticator."""

    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0
    resident: bool = True
    user_name: str = ""

    @property
    def id(self) -> str:
        """The credential id as base64url (the ``id`` field of the JSON responses)."""
        return b64url(self.credential_id)

    @property
    def public_key_cose(self) -> bytes:
        """The COSE_Key (EC2, ES256, P-256) the relying party stores at registration."""
        numbers = self.private_key.public_key().public_numbers()
        cose = {1: 2, 3: ES256, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        return cbor_encode(cose)


@dataclass
class SoftAuthenticator:
    """A browser + platform authenticator in one object; see the module docstring."""

    origin: str = "http://localhost:8000"
    rp_id: str = "localhost"
    user_verification: bool = True
    initial_sign_count: int = 0
    credentials: dict[str, StoredCredential] = field(default_factory=dict)

    # ---- ceremonies ---------------------------------------------------------------------------

    def create(
        self, options: dict[str, Any], *, origin: str | None = None, resident: bool = True
    ) -> dict[str, Any]:
        """Answer PublicKeyCredentialCreationOptions JSON with a RegistrationResponseJSON dict."""
        opts = options.get("publicKey", options)
        rp_id = opts.get("rp", {}).get("id") or self.rp_id
        algs = [p.get("alg") for p in opts.get("pubKeyCredParams", [])]
        if algs and ES256 not in algs:
            raise AuthenticatorError("NotSupportedError", f"only ES256 (-7) is supported, offered {algs}")
        for excluded in opts.get("excludeCredentials") or []:
            known = self.credentials.get(excluded["id"])
            if known is not None and known.rp_id == rp_id:
                raise AuthenticatorError("InvalidStateError", "credential already registered here")

        cred = StoredCredential(
            credential_id=os.urandom(32),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=rp_id,
            user_handle=_unb64url(opts["user"]["id"]),
            sign_count=self.initial_sign_count,
            resident=resident,
            user_name=opts["user"].get("name", ""),
        )
        self.credentials[cred.id] = cred

        client_data = self._client_data("webauthn.create", opts["challenge"], origin)
        attested = (
            AAGUID + struct.pack(">H", len(cred.credential_id)) + cred.credential_id + cred.public_key_cose
        )
        auth_data = self._auth_data(rp_id, FLAG_AT, cred.sign_count) + attested
        attestation_object = cbor_encode({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": cred.id,
            "rawId": cred.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation_object),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        credential_id: str | None = None,
        sign_count: int | None = None,
    ) -> dict[str, Any]:
        """Answer PublicKeyCredentialRequestOptions JSON with an AuthenticationResponseJSON dict.

        With a non-empty ``allowCredentials`` one of those credentials is used; with an empty
        one (discoverable / passkey login) any resident credential for the RP is. When several
        match, ``credential_id`` picks one, otherwise the most recently created wins (a real
        browser would show an account picker). The counter is incremented before signing,
        unless ``sign_count`` forces the exact value to sign (and store).
        """
        opts = options.get("publicKey", options)
        rp_id = opts.get("rpId") or self.rp_id
        cred = self._select(rp_id, opts.get("allowCredentials") or [], credential_id)
        cred.sign_count = (cred.sign_count + 1 if sign_count is None else sign_count) & 0xFFFFFFFF

        client_data = self._client_data("webauthn.get", opts["challenge"], origin)
        auth_data = self._auth_data(rp_id, 0, cred.sign_count)
        signature = cred.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": cred.id,
            "rawId": cred.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(cred.user_handle) if cred.resident else None,
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    # ---- knobs --------------------------------------------------------------------------------

    def set_sign_count(self, credential_id: str, value: int) -> None:
        """Set the stored counter (the next ``get`` signs ``value + 1``); may go backwards."""
        self.credential(credential_id).sign_count = value

    def credential(self, credential_id: str) -> StoredCredential:
        """The stored credential for a base64url id; ``KeyError`` if unknown."""
        return self.credentials[credential_id]

    # ---- internals ----------------------------------------------------------------------------

    def _select(self, rp_id: str, allow: list[dict[str, Any]], credential_id: str | None) -> StoredCredential:
        if allow:
            allowed = {d["id"] for d in allow}
            candidates = [c for c in self.credentials.values() if c.id in allowed and c.rp_id == rp_id]
        else:
            candidates = [c for c in self.credentials.values() if c.resident and c.rp_id == rp_id]
        if credential_id is not None:
            candidates = [c for c in candidates if c.id == credential_id]
        if not candidates:
            raise AuthenticatorError("NotAllowedError", f"no usable credential for RP {rp_id!r}")
        return candidates[-1]

    def _client_data(self, ceremony: str, challenge: str, origin: str | None) -> bytes:
        challenge = b64url(_unb64url(challenge))  # as a browser re-encodes the bytes
        payload = {
            "type": ceremony,
            "challenge": challenge,
            "origin": origin or self.origin,
            "crossOrigin": False,
        }
        return json.dumps(payload, separators=(",", ":")).encode("utf-8")

    def _auth_data(self, rp_id: str, extra_flags: int, sign_count: int) -> bytes:
        flags = FLAG_UP | extra_flags | (FLAG_UV if self.user_verification else 0)
        return hashlib.sha256(rp_id.encode("utf-8")).digest() + bytes([flags]) + struct.pack(">I", sign_count)
