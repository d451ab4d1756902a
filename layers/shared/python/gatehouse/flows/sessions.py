"""Sessions: start (rotating any previous token), authenticate, list, revoke, log out."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gatehouse.domain.accounts import Account
from gatehouse.domain.secrets import digest, new_id, new_token
from gatehouse.domain.sessions import Session, SessionStatus
from gatehouse.domain.times import iso
from gatehouse.errors import (
    ActionRequiredError,
    ConditionFailedError,
    NotAuthenticatedError,
    NotFoundError,
    ReauthenticationRequiredError,
)
from gatehouse.ports import AccountRepository, Clock, SessionRepository, SessionRoundTrips
from gatehouse.settings import Settings


@dataclass
class Authenticated:
    """A request's live session, with the account loaded on first use."""

    session: Session
    token: str
    _accounts: AccountRepository
    _account: Account | None = None

    @property
    def account(self) -> Account:
        if self._account is None:
            self._account = self._accounts.get(self.session.account_id)
            if self._account is None:
                raise NotAuthenticatedError()
        return self._account

    def refresh(self, account: Account) -> None:
        self._account = account

    def require_recent_sign_in(self, now: datetime, within_seconds: int) -> None:
        """What would let a stolen or forgotten session keep the account (changing a second factor,
        making an API key) needs, on an account with a second factor, a sign-in at most this old."""
        if not self.account.has_mfa:
            return
        signed_in = self.session.authenticated_at
        if signed_in is None or (now - signed_in).total_seconds() > within_seconds:
            raise ReauthenticationRequiredError()

    def require_no_pending_actions(self, what: str) -> None:
        """While a required action is pending (a password to set, a factor to enrol, an address to
        verify), the account cannot hand out access: `what` names the refused door in the message."""
        if actions := self.account.required_actions:
            raise ActionRequiredError(f"Finish what your account needs first, then {what}.",
                                      required_actions=[a.value for a in actions])


def login_result(account: Account, session: Session) -> dict[str, Any]:
    return {
        "status": session.status.value,
        "mfa_methods": sorted({m.type for m in account.mfa_methods}),
        "required_actions": [a.value for a in account.required_actions],
    }


def session_token(account_id: str) -> str:
    """A new session token: 256 random bits, and the account id beside them, so that a session
    route reads the session and its account in one round trip. The cookie stays opaque to the
    browser, and the id is never trusted: the session is found by the digest of the whole token
    and must name that same account."""
    return f"{account_id}.{new_token()}"


def account_id_of(token: str) -> str | None:
    """The account id a token carries; None for a token made before they carried one."""
    account_id, dot, secret = token.rpartition(".")
    return account_id if dot and account_id and secret else None


class SessionService:
    def __init__(self, sessions: SessionRepository, accounts: AccountRepository, clock: Clock,
                 settings: Settings, round_trips: SessionRoundTrips | None = None) -> None:
        self._sessions, self._accounts, self._clock, self._s = sessions, accounts, clock, settings
        self._round_trips = round_trips

    def start(self, account: Account, *, methods: tuple[str, ...], user_agent: str = "",
              previous_token: str | None = None, aal: int = 1, console: str | None = None,
              context: str | None = None) -> tuple[str, Session]:
        """A new token for every login: a token planted before login (fixation) is worth nothing.
        `aal=2` when the login itself was multi-factor (a passkey with user verification)."""
        token, session = self.prepare(account, methods=methods, user_agent=user_agent, aal=aal, console=console,
                                      context=context)
        # The token the request came with ends in the same write.
        self._sessions.add(session, replacing=digest(previous_token) if previous_token else None)
        return token, session

    def prepare(self, account: Account, *, methods: tuple[str, ...], user_agent: str = "", aal: int = 1,
                console: str | None = None, context: str | None = None) -> tuple[str, Session]:
        """`start`'s new token and session, not yet written: for a flow that writes the session
        with more in the same write (a login clearing its failures)."""
        now = self._clock.now()
        status = SessionStatus.MFA_REQUIRED if account.has_mfa and aal < 2 else SessionStatus.AUTHENTICATED
        token = session_token(account.id)
        return token, Session(
            id=new_id("ses"), token_hash=digest(token), account_id=account.id, status=status,
            aal=aal, created_at=now, last_seen_at=now,
            absolute_expires_at=now + timedelta(seconds=self._s.session_absolute_seconds),
            idle_expires_at=now + timedelta(seconds=self._s.session_idle_seconds),
            user_agent=user_agent, auth_methods=methods,
            authenticated_at=now if status is SessionStatus.AUTHENTICATED else None, console=console, context=context,
        )

    def elevate(self, auth: Authenticated, method: str) -> tuple[str, Session]:
        """After a second factor: AAL2, and a new token (rotation), keeping the absolute deadline."""
        token, elevated = self.prepare_elevation(auth, method)
        self._sessions.add(elevated, replacing=auth.session.token_hash)
        auth.session, auth.token = elevated, token
        return token, elevated

    def prepare_elevation(self, auth: Authenticated, method: str) -> tuple[str, Session]:
        """`elevate`'s new token and session, not yet written (nor `auth` changed): for a flow that
        writes it with the factor's own single-use write, replacing `auth.session`."""
        now = self._clock.now()
        token = session_token(auth.session.account_id)
        return token, auth.session.evolve(
            token_hash=digest(token), status=SessionStatus.AUTHENTICATED, aal=2, last_seen_at=now,
            idle_expires_at=now + timedelta(seconds=self._s.session_idle_seconds),
            auth_methods=(*auth.session.auth_methods, method), authenticated_at=now, mfa_failures=0,
        )

    def authenticate(self, token: str) -> Authenticated:
        now = self._clock.now()
        account: Account | None = None
        account_id = account_id_of(token)
        if account_id is not None and self._round_trips is not None:
            session, account = self._round_trips.session(digest(token), account_id, now)
            if session is not None and (account is None or session.account_id != account_id):
                raise NotAuthenticatedError()
        else:  # a token made before tokens carried the account id: the account is read apart
            session = self._sessions.get(digest(token), now)
            account = self._accounts.get(session.account_id) if session is not None else None
            if session is not None and account is None:
                raise NotAuthenticatedError()
        if session is None or account is None or session.ended_by(account.sessions_valid_after):
            raise NotAuthenticatedError()
        if session.needs_touch(now, self._s.session_touch_seconds):
            session = session.touched(now, self._s.session_idle_seconds)
            try:
                self._sessions.save(session)
            except ConditionFailedError as exc:  # logged out meanwhile
                raise NotAuthenticatedError() from exc
        return Authenticated(session=session, token=token, _accounts=self._accounts, _account=account)

    def save(self, session: Session) -> None:
        self._sessions.save(session)

    def describe(self, auth: Authenticated) -> dict[str, Any]:
        account = auth.account
        return {
            "account_id": account.id,
            "email": account.email,
            "status": auth.session.status.value,
            "aal": auth.session.aal,
            "mfa_methods": sorted({m.type for m in account.mfa_methods}),
            "required_actions": [a.value for a in account.required_actions],
            "console": auth.session.console,
            "context": auth.session.context,
            "expires_at": iso(auth.session.expires_at),
            # The pages speak the account's language once signed in.
            "locale": account.locale,
        }

    def list(self, auth: Authenticated) -> list[dict[str, Any]]:
        from gatehouse.domain.devices import describe, parts  # ua-parser stays out of the login's cold start

        return [
            {"id": s.id, "created_at": iso(s.created_at), "last_seen_at": iso(s.last_seen_at),
             "user_agent": s.user_agent, "device": describe(s.user_agent),
             "device_parts": dict(zip(("browser", "system"), parts(s.user_agent), strict=True)),
             "current": s.token_hash == auth.session.token_hash}
            for s in self._live(auth)
        ]

    def revoke(self, auth: Authenticated, session_id: str) -> None:
        for s in self._live(auth):
            if s.id == session_id:
                self._sessions.delete(s.token_hash)
                return
        raise NotFoundError("No such session.")

    def _live(self, auth: Authenticated) -> builtins.list[Session]:
        valid_after = auth.account.sessions_valid_after
        return [s for s in self._sessions.list_for_account(auth.session.account_id, self._clock.now())
                if not s.ended_by(valid_after)]

    def keep_through_end(self, token_hash: str, at: datetime) -> None:
        """Let this session survive the account's `sessions_valid_after` = `at` (a password change's own)."""
        self._sessions.mark_valid_from(token_hash, at)

    def logout(self, token: str | None) -> None:
        if token:
            self._sessions.delete(digest(token))

    def end_all(self, account_id: str, keep: str | None = None) -> int:
        return self._sessions.delete_for_account(account_id, keep=keep)

    def now(self) -> datetime:
        return self._clock.now()
