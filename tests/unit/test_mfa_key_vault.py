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


SEED_CONTEXTS = [{"purpose": "totp_seed", "account_id": f"acc_{n}", "factor_id": f"mfa_{n}"} for n in range(3)]


class CountingKms:
    """moto's KMS client, counting the calls made through it."""

    def __init__(self, kms: object) -> None:
        self._kms = kms
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> object:
        self.calls.append(name)
        return getattr(self._kms, name)


def test_seeds_sealed_together_take_one_data_key_and_each_opens_under_its_own_context_only(
        vault: KmsKeyVault) -> None:
    kms = CountingKms(vault._kms)
    vault._kms = kms
    blobs = vault.seal_many([(b"JBSWY3DPEHPK3PXP", c) for c in SEED_CONTEXTS])
    assert kms.calls == ["generate_data_key"]
    assert len(set(blobs)) == 3 and not any(b"JBSWY3DPEHPK3PXP" in b for b in blobs)  # a nonce each
    assert [vault.decrypt(b, c) for b, c in zip(blobs, SEED_CONTEXTS, strict=True)] == [b"JBSWY3DPEHPK3PXP"] * 3
    assert kms.calls.count("decrypt") == 3  # opening one seed is one Decrypt, as before
    for moved_to in (SEED_CONTEXTS[1], {**SEED_CONTEXTS[0], "factor_id": "mfa_9"}):
        with pytest.raises(KeyVaultError):  # a seed copied onto another factor of its batch
            vault.decrypt(blobs[0], moved_to)


def test_a_seed_sealed_in_a_batch_does_not_open_for_another_purpose_nor_tampered(vault: KmsKeyVault) -> None:
    (blob,) = vault.seal_many([(b"seed", SEED_CONTEXTS[0])])
    with pytest.raises(KeyVaultError):  # KMS unwraps the shared key under its purpose only
        vault.decrypt(blob, {**SEED_CONTEXTS[0], "purpose": "code-hmac"})
    tampered = bytearray(blob)
    tampered[-1] ^= 1
    with pytest.raises(KeyVaultError):
        vault.decrypt(bytes(tampered), SEED_CONTEXTS[0])
    with pytest.raises(ValueError):
        vault.seal_many([(b"a", SEED_CONTEXTS[0]), (b"b", {**SEED_CONTEXTS[1], "purpose": "other"})])
    assert vault.seal_many([]) == []
