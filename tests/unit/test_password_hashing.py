"""Password hashes: argon2id for new ones, legacy formats verify and ask to be rehashed."""

from __future__ import annotations

import base64
import hashlib

import bcrypt
from gatehouse.settings import Argon2Params
from gatehouse.strategies.password import PasswordHasher

HASHER = PasswordHasher(Argon2Params(memory_kib=1024, time_cost=1, parallelism=1))


def _pbkdf2(password: str, salt: str = "NaCl", iterations: int = 1000) -> str:
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(derived).decode()}"


def test_new_hashes_are_argon2id_and_verify() -> None:
    stored = HASHER.hash("correct horse")
    assert stored.startswith("$argon2id$")
    assert HASHER.verify(stored, "correct horse") and not HASHER.verify(stored, "wrong horse")
    assert not HASHER.needs_rehash(stored)


def test_legacy_bcrypt_verifies_and_needs_a_rehash() -> None:
    stored = bcrypt.hashpw(b"legacy pass", bcrypt.gensalt(rounds=4)).decode()
    assert HASHER.verify(stored, "legacy pass") and not HASHER.verify(stored, "other")
    assert HASHER.needs_rehash(stored)


def test_legacy_pbkdf2_sha256_verifies_and_needs_a_rehash() -> None:
    stored = _pbkdf2("legacy pass")
    assert HASHER.verify(stored, "legacy pass") and not HASHER.verify(stored, "other")
    assert HASHER.needs_rehash(stored)


def test_raised_argon2_parameters_ask_for_a_rehash() -> None:
    stored = HASHER.hash("pw")
    stronger = PasswordHasher(Argon2Params(memory_kib=2048, time_cost=2, parallelism=1))
    assert stronger.verify(stored, "pw") and stronger.needs_rehash(stored)


def test_garbage_and_missing_hashes_never_verify() -> None:
    for stored in (None, "", "$2b$garbage", "pbkdf2_sha256$x$y$z", "plain"):
        assert not HASHER.verify(stored, "pw")
