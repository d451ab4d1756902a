"""KMS envelope encryption of small secrets (TOTP seeds): the `KeyVault` port on AWS; and the
server secret one-time codes are keyed by (the `CodePepper` port).

Each secret gets its own data key (GenerateDataKey, AES-256); the secret is sealed with AES-GCM
locally and only the KMS-wrapped data key is stored beside it. The encryption context (account
and factor ids) is bound twice: KMS refuses to unwrap the key under another context (and logs
it in CloudTrail), and AES-GCM authenticates it as associated data, so a seed copied onto
another factor's item cannot be decrypted there.

`seal_many` (a migration's batch of seeds) shares one data key among the secrets of one call,
under a KMS context of their purpose and a random batch id (blob version 2, which carries the
id); each secret keeps its own nonce and its own context as AES-GCM associated data, so a blob
still opens only on its own factor, with one Decrypt as before.
"""

from __future__ import annotations

import json
import os
import secrets
import struct
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gatehouse.adapters.aws import client, translated
from gatehouse.settings import Settings

_VERSION = b"\x01"
_BATCH_VERSION = b"\x02"
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
        if blob[:1] == _BATCH_VERSION:
            return self._open_batched(blob, context)
        if blob[:1] != _VERSION or len(blob) < 3:
            raise KeyVaultError("unknown blob format")
        (size,) = struct.unpack(">H", blob[1:3])
        wrapped, rest = blob[3:3 + size], blob[3 + size:]
        return self._open(wrapped, dict(context), rest, context)

    def seal_many(self, items: Sequence[tuple[bytes, Mapping[str, str]]]) -> list[bytes]:
        """One GenerateDataKey for all of `items` (of one purpose): see the module's docstring."""
        if not items:
            return []
        purposes = {context.get("purpose", "") for _, context in items}
        if len(purposes) != 1:
            raise ValueError("seal_many seals secrets of one purpose")
        batch = secrets.token_hex(8).encode()
        with translated("KMS"):
            out = self._kms.generate_data_key(KeyId=self._key_id, KeySpec="AES_256",
                                              EncryptionContext=_batch_context(purposes.pop(), batch))
        aead = AESGCM(out["Plaintext"])
        wrapped: bytes = out["CiphertextBlob"]
        # version | len(batch id) | batch id | len(wrapped key) | wrapped key | nonce | ciphertext+tag
        head = _BATCH_VERSION + bytes([len(batch)]) + batch + struct.pack(">H", len(wrapped)) + wrapped
        blobs = []
        for plaintext, context in items:
            nonce = os.urandom(_NONCE)  # random per secret: 100s a key, far below GCM's bound
            blobs.append(head + nonce + aead.encrypt(nonce, plaintext, _aad(context)))
        return blobs

    def _open_batched(self, blob: bytes, context: Mapping[str, str]) -> bytes:
        size = blob[1] if len(blob) > 1 else 0
        batch = blob[2:2 + size]
        rest = blob[2 + size:]
        if len(rest) < 2:
            raise KeyVaultError("unknown blob format")
        (wrapped_size,) = struct.unpack(">H", rest[:2])
        wrapped, rest = rest[2:2 + wrapped_size], rest[2 + wrapped_size:]
        return self._open(wrapped, _batch_context(context.get("purpose", ""), batch), rest, context)

    def _open(self, wrapped: bytes, key_context: dict[str, str], sealed: bytes, context: Mapping[str, str]) -> bytes:
        """Unwrap the data key under `key_context`, then open `nonce | ciphertext+tag` bound to `context`."""
        try:
            with translated("KMS"):
                key = self._kms.decrypt(CiphertextBlob=wrapped, KeyId=self._key_id,
                                        EncryptionContext=key_context)["Plaintext"]
        except ClientError as exc:
            raise KeyVaultError("the data key could not be unwrapped") from exc
        try:
            return AESGCM(key).decrypt(sealed[:_NONCE], sealed[_NONCE:], _aad(context))
        except InvalidTag as exc:
            raise KeyVaultError("the secret failed authentication") from exc


def _batch_context(purpose: str, batch: bytes) -> dict[str, str]:
    """KMS's context of a shared data key: the purpose still binds it (a TOTP seed's key unwraps
    for TOTP seeds only); the factor's own ids are bound by AES-GCM, per secret."""
    return {"purpose": purpose, "batch": batch.decode("ascii", "replace")}
