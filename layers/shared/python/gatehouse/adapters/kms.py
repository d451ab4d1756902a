"""KMS envelope encryption of small secrets (TOTP seeds): the `KeyVault` port on AWS; and the
server secret one-time codes are keyed by (the `CodePepper` port).

Each secret gets its own data key (GenerateDataKey, AES-256); the secret is sealed with AES-GCM
locally and only the KMS-wrapped data key is stored beside it. The encryption context (account
and factor ids) is bound twice: KMS refuses to unwrap the key under another context (and logs
it in CloudTrail), and AES-GCM authenticates it as associated data, so a seed copied onto
another factor's item cannot be decrypted there.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gatehouse.adapters.aws import client, translated
from gatehouse.settings import Settings

_VERSION = b"\x01"
_NONCE = 12


class KeyVaultError(Exception):
    """A blob that cannot be opened: tampered, truncated, or under another context."""


def _aad(context: Mapping[str, str]) -> bytes:
    return json.dumps(dict(sorted(context.items())), separators=(",", ":")).encode()


class KmsKeyVault:
    def __init__(self, settings: Settings, kms: Any = None) -> None:
        self._kms = kms or client("kms", settings)
        self._key_id = settings.kms_key_id

    def encrypt(self, plaintext: bytes, context: Mapping[str, str]) -> bytes:
        with translated("KMS"):
            out = self._kms.generate_data_key(KeyId=self._key_id, KeySpec="AES_256",
                                              EncryptionContext=dict(context))
        nonce = os.urandom(_NONCE)
        sealed = AESGCM(out["Plaintext"]).encrypt(nonce, plaintext, _aad(context))
        wrapped: bytes = out["CiphertextBlob"]
        # version | len(wrapped key) | wrapped key | nonce | ciphertext+tag
        return _VERSION + struct.pack(">H", len(wrapped)) + wrapped + nonce + sealed

    def decrypt(self, blob: bytes, context: Mapping[str, str]) -> bytes:
        if blob[:1] != _VERSION or len(blob) < 3:
            raise KeyVaultError("unknown blob format")
        (size,) = struct.unpack(">H", blob[1:3])
        wrapped, rest = blob[3:3 + size], blob[3 + size:]
        nonce, sealed = rest[:_NONCE], rest[_NONCE:]
        try:
            with translated("KMS"):
                key = self._kms.decrypt(CiphertextBlob=wrapped, KeyId=self._key_id,
                                        EncryptionContext=dict(context))["Plaintext"]
        except ClientError as exc:
            raise KeyVaultError("the data key could not be unwrapped") from exc
        try:
            return AESGCM(key).decrypt(nonce, sealed, _aad(context))
        except InvalidTag as exc:
            raise KeyVaultError("the secret failed authentication") from exc
