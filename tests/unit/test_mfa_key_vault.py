"""TOTP seeds are sealed with KMS envelope encryption: round trip, context binding, tamper evidence
(on moto's KMS)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gatehouse.adapters import aws
from gatehouse.adapters.kms import KeyVaultError, KmsKeyVault
from gatehouse.settings import Settings
from moto import mock_aws

CONTEXT = {"account_id": "acc_1", "factor_id": "mfa_1"}


@pytest.fixture
def vault(monkeypatch: pytest.MonkeyPatch) -> Iterator[KmsKeyVault]:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "eu-west-3"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        aws._client.cache_clear()
        settings = Settings(aws_endpoint_url=None)
        kms = aws.client("kms", settings)
        key = kms.create_key(Description="test")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=settings.kms_key_id, TargetKeyId=key)
        yield KmsKeyVault(settings)
        aws._client.cache_clear()


def test_a_sealed_seed_opens_under_its_own_context(vault: KmsKeyVault) -> None:
    blob = vault.encrypt(b"JBSWY3DPEHPK3PXP", CONTEXT)
    assert b"JBSWY3DPEHPK3PXP" not in blob
    assert vault.decrypt(blob, CONTEXT) == b"JBSWY3DPEHPK3PXP"


def test_each_seal_uses_a_fresh_data_key_and_nonce(vault: KmsKeyVault) -> None:
    assert vault.encrypt(b"seed", CONTEXT) != vault.encrypt(b"seed", CONTEXT)


def test_a_seed_moved_to_another_factor_does_not_open(vault: KmsKeyVault) -> None:
    blob = vault.encrypt(b"seed", CONTEXT)
    with pytest.raises(KeyVaultError):
        vault.decrypt(blob, {**CONTEXT, "factor_id": "mfa_2"})


def test_a_tampered_blob_does_not_open(vault: KmsKeyVault) -> None:
    blob = bytearray(vault.encrypt(b"seed", CONTEXT))
    blob[-1] ^= 1
    with pytest.raises(KeyVaultError):
        vault.decrypt(bytes(blob), CONTEXT)
