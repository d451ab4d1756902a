"""Password login: throttle, verify (a dummy hash for unknown emails), rehash, start a session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gatehouse.domain.accounts import Account
from gatehouse.errors import ConditionFailedError, InvalidCredentialsError
from gatehouse.flows.sessions import SessionService, login_result
from gatehouse.flows.throttle import GuessThrottle
from gatehouse.ports import AccountRepository
from gatehouse.strategies.password import PasswordHasher


@dataclass(frozen=True)
class LoginOutcome:
    token: str
    result: dict[str, Any]
    account: Account


class PasswordLogin:
    def __init__(self, accounts: AccountRepository, hasher: PasswordHasher, sessions: SessionService,
                 throttle: GuessThrottle) -> None:
        self._accounts, self._hasher, self._sessions, self._throttle = accounts, hasher, sessions, throttle

    def login(self, email: str, password: str, *, ip: str, user_agent: str = "",
              previous_token: str | None = None) -> LoginOutcome:
        failures = self._throttle.check(email, ip)
        account = self._accounts.get_by_email(email)
        # Unknown email and wrong password take the same path and the same time: verify() hashes
        # against a dummy when there is no stored hash.
        if not self._hasher.verify(account.password_hash if account else None, password) or account is None:
            self._throttle.failed(email, ip)
            raise InvalidCredentialsError()
        self._throttle.succeeded(email, failures)
        account = self._upgrade_hash(account, password)
        token, session = self._sessions.start(account, methods=("password",), user_agent=user_agent,
                                              previous_token=previous_token)
        return LoginOutcome(token, login_result(account, session), account)

    def verify_password(self, account: Account, password: str) -> Account | None:
        """For flows that re-check a password (legacy login, email change): the account, rehashed."""
        if not self._hasher.verify(account.password_hash, password):
            return None
        return self._upgrade_hash(account, password)

    def _upgrade_hash(self, account: Account, password: str) -> Account:
        if account.password_hash and self._hasher.needs_rehash(account.password_hash):
            try:
                return self._accounts.save(account.evolve(password_hash=self._hasher.hash(password)))
            except ConditionFailedError:
                # Someone else changed the account meanwhile; the next login upgrades it.
                return account
        return account
