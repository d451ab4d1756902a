"""In-memory fake: key vault."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class FakeKeyVault:
    """Reversible but not plaintext, so a test notices a seed stored unencrypted."""

    def encrypt(self, plaintext: bytes, context: Mapping[str, str]) -> bytes:
        tag = repr(sorted(context.items())).encode()
        return b"fake:" + bytes(b ^ 0x5A for b in plaintext) + b"|" + tag

    def decrypt(self, blob: bytes, context: Mapping[str, str]) -> bytes:
        body, _, tag = blob.removeprefix(b"fake:").rpartition(b"|")
        if tag != repr(sorted(context.items())).encode():
            raise ValueError("encryption context mismatch")
        return bytes(b ^ 0x5A for b in body)

    def seal_many(self, items: Sequence[tuple[bytes, Mapping[str, str]]]) -> list[bytes]:
        return [self.encrypt(plaintext, context) for plaintext, context in items]
