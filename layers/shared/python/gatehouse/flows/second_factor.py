"""The second step of a login (`/mfa/verify`): a session waiting for its second factor proves it
with one of the strategies registered in the composition root, and is elevated (AAL2, a new token).

The flow knows no factor type: it looks the method up in its registry (Kratos' strategies), so a
new type is a new strategy and one line in bootstrap. Failures count per session (three send a
warning email: the password is probably known to someone else) and per account (exponential
back-off capped at `mfa_backoff_max_seconds`, so six digits cannot be brute-forced across sessions,
and never a lock: a recovery code, which nobody can guess, is not even held back by it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from gatehouse import messages
from gatehouse.domain.accounts import Account
from gatehouse.domain.factors import Advance, Factor
from gatehouse.domain.sessions import Session
from gatehouse.errors import ConditionFailedError, InvalidCodeError, InvalidInputError, NotFoundError
from gatehouse.flows.login import LoginOutcome
from gatehouse.flows.sessions import Authenticated, SessionService, login_result
from gatehouse.flows.throttle import SecondFactorThrottle
from gatehouse.ports import Clock, Mailer, SecondFactorRoundTrips
from gatehouse.settings import Settings

messages.register("mfa_failures", {
    "en": ("Failed sign-in attempts on your account",
           "Someone entered your password correctly on $when, then failed the second factor $count times.\n\n"
           "If this was not you, your password is known to someone else: change it now: $reset_link"),
    "fr": ("Tentatives de connexion échouées sur votre compte",
           "Quelqu'un a saisi votre mot de passe correctement le $when, puis a échoué $count fois au second "
           "facteur.\n\nSi ce n'était pas vous, votre mot de passe est connu de quelqu'un d'autre : changez-le "
           "maintenant : $reset_link"),
})


class SecondFactorStrategy(Protocol):
    method: str
    # True when nobody can guess an answer (a recovery code's 80 bits): the per-account back-off
    # then never refuses it, so someone guessing codes cannot keep the owner out; failures still count.
    works_through_backoff: bool

    def challenge(self, account: Account, session: Session) -> dict[str, Any] | None:
        """What the browser needs before answering (WebAuthn options); None when nothing is."""
        ...

    def verify(self, account: Account, session: Session, payload: dict[str, Any]) -> bool:
        """True when `payload` proves this factor; consumes whatever one-time state it used."""
        ...


@runtime_checkable
class CountedFactor(Protocol):
    """A second factor whose proof is a counter move (TOTP): the flow reads its factors with the
    throttle's counters and writes the move with the elevated session, one round trip each."""

    def factor_ids(self, account: Account) -> list[str]: ...

    def advance_for(self, account: Account, factors: list[Factor], payload: dict[str, Any]) -> Advance | None: ...


class SecondFactor:
    def __init__(self, strategies: Mapping[str, SecondFactorStrategy], sessions: SessionService,
                 throttle: SecondFactorThrottle, mailer: Mailer, clock: Clock, settings: Settings,
                 trips: SecondFactorRoundTrips | None = None) -> None:
        self._strategies, self._sessions, self._throttle = strategies, sessions, throttle
        self._mailer, self._clock, self._s, self._trips = mailer, clock, settings, trips

    def _strategy(self, method: str) -> SecondFactorStrategy:
        strategy = self._strategies.get(method)
        if strategy is None:
            raise InvalidInputError({"method": f"Choose one of {', '.join(self._strategies)}."})
        return strategy

    def challenge(self, auth: Authenticated, method: str) -> dict[str, Any]:
        options = self._strategy(method).challenge(auth.account, auth.session)
        if options is None:
            raise NotFoundError("This account has no second factor of this kind.")
        return options

    def verify(self, auth: Authenticated, method: str, payload: dict[str, Any], *, ip: str) -> LoginOutcome:
        """Also serves a fully signed-in session: proving a factor again refreshes `authenticated_at`
        (the re-authentication factor management asks for)."""
        account = auth.account
        strategy = self._strategy(method)
        if self._trips is not None and isinstance(strategy, CountedFactor):
            return self._verify_counted(auth, method, strategy, payload, ip=ip)
        failures = self._throttle.check(account.id, ip, backoff=not strategy.works_through_backoff)
        if not account.has_mfa or not strategy.verify(account, auth.session, payload):
            self._throttle.failed(account.id, ip)
            self._count_failure(auth, account)
            raise InvalidCodeError("This code or key was not accepted.")
        self._throttle.succeeded(account.id, failures)
        token, session = self._sessions.elevate(auth, method)
        return LoginOutcome(token, login_result(account, session), account)

    def _verify_counted(self, auth: Authenticated, method: str, strategy: CountedFactor, payload: dict[str, Any], *,
                        ip: str) -> LoginOutcome:
        """`verify` in two round trips: the factors and both counters read at once; the counter move
        and the elevated session written at once (the move's condition is the single use)."""
        assert self._trips is not None
        account = auth.account
        counters = self._throttle.counter_keys(account.id, ip)
        factors, known = self._trips.read(account.id, strategy.factor_ids(account), counters, self._clock.now())
        failures = self._throttle.check(account.id, ip, backoff=True, known=known)
        advance = strategy.advance_for(account, factors, payload) if account.has_mfa else None
        token, session = self._sessions.prepare_elevation(auth, method) if advance else ("", auth.session)
        if advance is None or not self._trips.advance_and_elevate(advance, session, auth.session.token_hash):
            self._throttle.failed(account.id, ip)
            self._count_failure(auth, account)
            raise InvalidCodeError("This code or key was not accepted.")
        auth.session, auth.token = session, token
        self._throttle.succeeded(account.id, failures)
        return LoginOutcome(token, login_result(account, session), account)

    def _count_failure(self, auth: Authenticated, account: Account) -> None:
        failures = auth.session.mfa_failures + 1
        try:
            self._sessions.save(auth.session.evolve(mfa_failures=failures))
        except ConditionFailedError:
            return  # the session ended meanwhile
        if failures == self._s.mfa_failures_before_warning:
            self._mailer.send(messages.email(
                "mfa_failures", account.email, account.locale, count=failures,
                when=self._clock.now().strftime("%Y-%m-%d %H:%M UTC"),
                reset_link=f"{self._s.public_base_url}/ui/reset"))
