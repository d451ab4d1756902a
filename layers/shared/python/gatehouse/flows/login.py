"""Login: one flow over its registered first-factor strategies (Kratos' login flow).

A strategy names who an answer claims to be and proves it (`domain.login`); this flow owns what
every way in shares: the guess throttle, the hash upgrade, marking a mailbox proven, the session
and the result's shape. The strategies are registered in bootstrap (one line each), so a new
credential type is a strategy module and that line, never a branch here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from gatehouse.domain.accounts import Account, is_projection
from gatehouse.domain.login import Claimant, FirstFactor
from gatehouse.domain.secrets import digest
from gatehouse.errors import ConditionFailedError, GatehouseError, InvalidInputError
from gatehouse.flows.sessions import SessionService, login_result
from gatehouse.flows.throttle import GuessThrottle
from gatehouse.ports import AccountRepository, LoginRoundTrips
from gatehouse.strategies.password import PasswordHasher


@dataclass(frozen=True)
class LoginOutcome:
    token: str
    result: dict[str, Any]
    account: Account


class LoginStrategy(Protocol):
    method: str

    def claimant(self, answer: Mapping[str, Any]) -> Claimant:
        """Who the answer claims to be; reads only what naming its throttle budget needs."""
        ...

    def prove(self, claimant: Claimant, answer: Mapping[str, Any]) -> FirstFactor | None:
        """The proven factor, or None for a wrong answer (which the same time and reads as a right one)."""
        ...

    def invalid(self) -> GatehouseError:
        """The error a wrong answer gets."""
        ...


class Login:
    def __init__(self, strategies: Mapping[str, LoginStrategy], accounts: AccountRepository, hasher: PasswordHasher,
                 sessions: SessionService, throttle: GuessThrottle | None,
                 trips: LoginRoundTrips | None = None) -> None:
        self._strategies, self._accounts, self._hasher = strategies, accounts, hasher
        self._sessions, self._throttle, self._trips = sessions, throttle, trips

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(self._strategies)

    def sign_in(self, method: str, answer: Mapping[str, Any], *, ip: str, user_agent: str = "",
                previous_token: str | None = None) -> LoginOutcome:
        strategy = self._strategies.get(method)
        if strategy is None:
            raise InvalidInputError({"method": f"Choose one of {', '.join(self._strategies)}."})
        claimant = strategy.claimant(answer)
        key = claimant.throttle_key
        throttle = self._throttle if key is not None else None
        counters = throttle.counter_keys(key, ip) if throttle is not None and key is not None else ()
        if claimant.prefetch is not None:
            claimant = replace(claimant, read=claimant.prefetch(counters, self._sessions.now()))
        known = claimant.read.failures if claimant.read is not None else None
        # Checked before any answer is even looked at.
        failures = throttle.check(key, ip, known=known) if throttle is not None and key is not None else 0
        proof = strategy.prove(claimant, answer)
        if proof is None:
            if throttle is not None and key is not None:
                throttle.failed(key, ip)
            raise strategy.invalid()
        clearing: tuple[str, ...] = ()
        if throttle is not None and key is not None and failures:
            if self._trips is not None:  # the success clears the count in the session's own write
                clearing = (throttle.counter_keys(key, ip)[1],)
            else:
                throttle.succeeded(key, failures)
        return self.finish(proof, user_agent=user_agent, previous_token=previous_token, clearing=clearing)

    def login(self, email: str, password: str, *, ip: str, user_agent: str = "",
              previous_token: str | None = None) -> LoginOutcome:
        """The password sign-in (`/login`): `sign_in("password", ...)`."""
        return self.sign_in("password", {"email": email, "password": password}, ip=ip, user_agent=user_agent,
                            previous_token=previous_token)

    def finish(self, proof: FirstFactor, *, user_agent: str = "", previous_token: str | None = None,
               clearing: tuple[str, ...] = ()) -> LoginOutcome:
        """Everything after a proven first factor; also where a flow that proves it on its own (SSO's
        callback) ends. `clearing`: throttle counters the success clears (in the session's write)."""
        account = proof.account
        if proof.password is not None and account.password_hash and self._hasher.needs_rehash(account.password_hash):
            account = self._upgrade_hash(self._whole(account), proof.password)
        if proof.refusal is not None:
            if clearing and self._throttle is not None:
                self._throttle.clear_keys(clearing)
            raise proof.refusal
        if proof.proves_email and not account.email_verified:
            account = self._prove_email(self._whole(account))
        how: dict[str, Any] = {"methods": (proof.method,), "user_agent": user_agent, "aal": proof.aal,
                               "console": proof.console if proof.context is not None else None,
                               "context": proof.context}
        if clearing and self._trips is not None:
            token, session = self._sessions.prepare(account, **how)
            self._trips.start_session(session, digest(previous_token) if previous_token else None, clearing)
        else:
            token, session = self._sessions.start(account, previous_token=previous_token, **how)
        result = login_result(account, session)
        if proof.context is not None:
            result = {**result, "console": proof.console, "context": proof.context}
        return LoginOutcome(token, result, account)

    def _whole(self, account: Account) -> Account:
        """The account itself where a login projection (what a password login reads) will not do:
        before a write."""
        return (self._accounts.get(account.id) or account) if is_projection(account) else account

    def _upgrade_hash(self, account: Account, password: str) -> Account:
        if is_projection(account):  # the account is gone
            return account
        if account.password_hash and self._hasher.needs_rehash(account.password_hash):
            try:
                return self._accounts.save(account.evolve(password_hash=self._hasher.hash(password)))
            except ConditionFailedError:
                # Someone else changed the account meanwhile; the next login upgrades it.
                return account
        return account

    def _prove_email(self, account: Account) -> Account:
        """The answer reached the mailbox: the address is the account's, whatever `verify_email` said."""
        for _ in range(3):  # a concurrent save (a session's last_seen, a profile edit) is retried
            if account.email_verified or is_projection(account):
                return account
            try:
                return self._accounts.save(account.evolve(email_verified=True))
            except ConditionFailedError:
                account = self._accounts.get(account.id) or account
        return account
