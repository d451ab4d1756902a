"""The code pepper: the server secret one-time codes are an HMAC under (ports.CodePepper).

It needs KMS and the table but no cryptography library (HMAC is the standard library's), so the
flows that check codes load it without the crypto layer that sealing TOTP seeds needs.
"""

from __future__ import annotations

import threading
from typing import Any

from gatehouse.adapters.aws import client, translated
from gatehouse.adapters.dynamodb import DynamoConfig, Table
from gatehouse.domain.secrets import hmac_hex
from gatehouse.errors import DependencyUnavailableError
from gatehouse.settings import Settings

# The code pepper: a 256-bit data key made once by `gatehouse provision`, stored in the table only
# wrapped under the KMS key. KMS unwraps it only under this context, which IAM can also require.
CODE_PEPPER_CONTEXT = {"purpose": "code-hmac"}
CODE_PEPPER = "code-pepper"  # the config item CONFIG#code-pepper


class CodePepperMissingError(DependencyUnavailableError):
    """The table holds no wrapped code pepper: the stage was not provisioned. A 503 with Retry-After
    (the operator's fix is one command away), never a 500."""

    def __init__(self) -> None:
        super().__init__(retry_after=300, message="One-time codes cannot be checked until this stage is "
                                                  "provisioned (`gatehouse provision`): try again later.")


def create_code_pepper(settings: Settings, config: DynamoConfig | None = None, kms: Any = None) -> bool:
    """Make and store the wrapped pepper unless there is one (idempotent); True if it was made.

    Never replaced: every live code's digest depends on it. The plaintext never leaves KMS here
    (GenerateDataKeyWithoutPlaintext): only the functions that check codes unwrap it."""
    config = config or DynamoConfig(Table(settings))
    if config.get(CODE_PEPPER) is not None:
        return False
    kms = kms or client("kms", settings)
    with translated("KMS"):
        wrapped = kms.generate_data_key_without_plaintext(KeyId=settings.kms_key_id, KeySpec="AES_256",
                                                          EncryptionContext=CODE_PEPPER_CONTEXT)["CiphertextBlob"]
    return config.put_if_absent(CODE_PEPPER, {"wrapped_key": wrapped})


class KmsCodePepper:
    """HMAC under the provisioned pepper, unwrapped by one kms:Decrypt at first use in a cold start
    and kept in memory for the container's life (never logged, never stored unwrapped)."""

    def __init__(self, settings: Settings, config: DynamoConfig, kms: Any = None) -> None:
        self._kms = kms or client("kms", settings)
        self._key_id, self._config = settings.kms_key_id, config
        self._secret: bytes | None = None
        self._lock = threading.Lock()

    def _unwrapped(self) -> bytes:
        with self._lock:
            if self._secret is None:
                self._secret = self._unwrap()
            return self._secret

    def _unwrap(self) -> bytes:
        item = self._config.get(CODE_PEPPER)
        if item is None:
            raise CodePepperMissingError()
        with translated("KMS"):
            plaintext: bytes = self._kms.decrypt(CiphertextBlob=bytes(item["wrapped_key"]), KeyId=self._key_id,
                                                 EncryptionContext=CODE_PEPPER_CONTEXT)["Plaintext"]
        return plaintext

    def hmac(self, message: str) -> str:
        return hmac_hex(self._unwrapped(), message)
