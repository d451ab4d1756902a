"""Password hashing: argon2id for everything new; legacy bcrypt and pbkdf2_sha256 verify, then rehash."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Collection, Mapping
from functools import cache
from typing import Any

from argon2 import PasswordHasher as _Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gatehouse.domain.login import Claimant, FirstFactor
from gatehouse.errors import GatehouseError, InvalidCredentialsError
from gatehouse.ports import AccountRepository, LoginRoundTrips
from gatehouse.settings import Argon2Params


class PasswordHasher:
    def __init__(self, params: Argon2Params) -> None:
        self._argon2 = _Argon2(
            time_cost=params.time_cost,
            memory_cost=params.memory_kib,
            parallelism=params.parallelism,
            type=Type.ID,
        )
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return self._argon2.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """True when `password` matches `stored`. With no stored hash, a dummy one is checked so that
        an unknown account costs the same time as a wrong password (no account enumeration)."""
        if not stored:
            self._verify_argon2(self._dummy_hash(), password)
            return False
        if stored.startswith("$argon2"):
            return self._verify_argon2(stored, password)
        if stored.startswith(("$2a$", "$2b$", "$2y$")):
            return _verify_bcrypt(stored, password)
        if stored.startswith("pbkdf2_sha256$"):
            return _verify_pbkdf2(stored, password)
        return False

    def needs_rehash(self, stored: str) -> bool:
        if not stored.startswith("$argon2id$"):
            return True
        try:
            return self._argon2.check_needs_rehash(stored)
        except InvalidHashError:
            return True

    def _verify_argon2(self, stored: str, password: str) -> bool:
        try:
            return self._argon2.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self._argon2.hash("gatehouse-dummy-password")
        return self._dummy


def _verify_bcrypt(stored: str, password: str) -> bool:
    import bcrypt  # only legacy accounts pay for this import

    try:
        return bcrypt.checkpw(password.encode()[:72], stored.encode())
    except ValueError:
        return False


def _verify_pbkdf2(stored: str, password: str) -> bool:
    try:
        _, iterations, salt, expected = stored.split("$", 3)
        derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(base64.b64encode(derived).decode(), expected)


@cache
def common_passwords() -> Collection[str]:
    """zxcvbn's 30,000 most common passwords: a maintained list beats one of ours."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.casefold() for p in FREQUENCY_LISTS["passwords"])


class PasswordLogin:
    """The password first factor (`/login`): an email and its password. An unknown email is checked
    against a dummy hash, so it takes the path and the time of a wrong password."""

    method = "password"

    def __init__(self, accounts: AccountRepository, hasher: PasswordHasher,
                 reads: LoginRoundTrips | None = None) -> None:
        self._accounts, self._hasher, self._reads = accounts, hasher, reads

    def claimant(self, answer: Mapping[str, Any]) -> Claimant:
        email = str(answer["email"])
        if self._reads is None:
            return Claimant(throttle_key=email)
        reads = self._reads
        # The email's login projection and the throttle's counters, in one round trip (a known and
        # an unknown email read the same items).
        return Claimant(throttle_key=email, prefetch=lambda counters, now: reads.login(email, counters, now))

    def prove(self, claimant: Claimant, answer: Mapping[str, Any]) -> FirstFactor | None:
        password = str(answer["password"])
        if claimant.read is not None:
            account = claimant.read.account
        else:
            account = self._accounts.get_by_email(str(answer["email"]))
        if not self._hasher.verify(account.password_hash if account else None, password) or account is None:
            return None
        return FirstFactor(account, self.method, password=password)

    def invalid(self) -> GatehouseError:
        return InvalidCredentialsError()
