"""Session tokens carrying their account id, and sessions ended by the account's
`sessions_valid_after`: over fakes, the rules without the network."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from gatehouse.adapters import memory
from gatehouse.adapters.memory import round_trips
from gatehouse.bootstrap import Container
from gatehouse.domain.accounts import Account
from gatehouse.domain.secrets import digest, new_token
from gatehouse.domain.sessions import Session
from gatehouse.errors import NotAuthenticatedError
from gatehouse.flows.recovery import Lookup
from gatehouse.flows.sessions import account_id_of

from tests.unit.conftest import FAST

PASSWORD = "a quiet harbour at dawn"
NEW = "seven lanterns over the bay"


def _account(c: Container) -> Account:
    account = Account(id="acc_tokens", email="tok@example.com", created_at=c.clock.now(),
                      password_hash=c.hasher.hash(PASSWORD), email_verified=True)
    c.accounts.add(account)
    return account


def test_a_session_token_carries_its_account_id_and_authenticates_in_one_read(c: Container) -> None:
    account = _account(c)
    token = c.login.login(account.email, PASSWORD, ip="192.0.2.1").token
    assert account_id_of(token) == account.id
    auth = c.sessions.authenticate(token)
    assert auth.session.account_id == account.id and auth._account is not None  # read with the session


def test_a_token_with_another_accounts_id_is_refused(c: Container) -> None:
    account = _account(c)
    other = Account(id="acc_other", email="other@example.com", created_at=c.clock.now(), password_hash="x")
    c.accounts.add(other)
    token = c.login.login(account.email, PASSWORD, ip="192.0.2.1").token
    secret = token.rpartition(".")[2]
    for forged in (f"{other.id}.{secret}", f"acc_nobody.{secret}", secret):
        with pytest.raises(NotAuthenticatedError):
            c.sessions.authenticate(forged)


def test_a_token_made_before_tokens_carried_the_account_id_still_works(c: Container) -> None:
    account = _account(c)
    _, session = c.sessions.start(account, methods=("password",))
    old = new_token()  # the old format: 256 random bits alone
    c.session_store.add(session.evolve(token_hash=digest(old), id="ses_old"))
    assert c.sessions.authenticate(old).account.id == account.id
    with pytest.raises(NotAuthenticatedError):
        c.sessions.authenticate(new_token())


class LaggingIndex(memory.MemorySessions):
    """Sessions whose per-account index (DynamoDB's GSI is eventually consistent) has not yet seen
    those created in the last few seconds."""

    def __init__(self, clock: memory.FakeClock) -> None:
        super().__init__()
        self._clock = clock

    def _indexed(self, account_id: str) -> list[Session]:
        horizon = self._clock.now() - timedelta(seconds=5)
        return [s for s in self._sessions.values() if s.account_id == account_id and s.created_at < horizon]

    def list_for_account(self, account_id: str, now: datetime) -> list[Session]:
        return [s for s in self._indexed(account_id) if s.is_live(now)]

    def delete_for_account(self, account_id: str, keep: str | None = None) -> int:
        doomed = [s.token_hash for s in self._indexed(account_id) if s.token_hash != keep]
        for h in doomed:
            self.delete(h)
        return len(doomed)


def test_a_session_created_just_before_a_reset_does_not_survive_it_even_when_the_index_lags() -> None:
    c = Container.in_memory(FAST)
    stores = c.stores
    lagging = LaggingIndex(c.clock)
    c = Container.in_memory(FAST, stores=replace(
        stores, session_store=lagging,
        login_trips=round_trips.MemoryLoginRoundTrips(stores.accounts, lagging, stores.throttle_store),
        session_trips=round_trips.MemorySessionRoundTrips(stores.accounts, lagging),
        console_trips=round_trips.MemoryConsoleRoundTrips(lagging, stores.once)), clock=c.clock)
    account = _account(c)
    c.clock.advance(60)
    old_token = c.login.login(account.email, PASSWORD, ip="192.0.2.1").token
    c.clock.advance(60)
    fresh_token = c.login.login(account.email, PASSWORD, ip="192.0.2.1").token  # the index has not seen it yet
    c.recovery.request("email", Lookup("email", account.email), ip="192.0.2.1")
    token = c.mailer.sent[-1].text.split("token=")[1].split()[0]
    c.clock.advance(1)
    c.recovery.complete("email", {"token": token}, NEW)
    for ended in (old_token, fresh_token):
        with pytest.raises(NotAuthenticatedError):
            c.sessions.authenticate(ended)
    assert c.login.login(account.email, NEW, ip="192.0.2.1").token  # and a new sign-in works


def test_a_password_change_keeps_its_own_session_and_ends_the_others(c: Container) -> None:
    account = _account(c)
    mine = c.login.login(account.email, PASSWORD, ip="192.0.2.1").token
    other = c.login.login(account.email, PASSWORD, ip="192.0.2.1").token
    c.account_settings.change_password(c.sessions.authenticate(mine), PASSWORD, NEW)
    assert c.sessions.authenticate(mine).account.id == account.id
    with pytest.raises(NotAuthenticatedError):
        c.sessions.authenticate(other)
    assert [s["current"] for s in c.sessions.list(c.sessions.authenticate(mine))] == [True]
    # A second change ends the session the first one kept, unless it is the one changing.
    c.clock.advance(1)
    third = c.login.login(account.email, NEW, ip="192.0.2.1").token
    c.clock.advance(1)
    c.account_settings.change_password(c.sessions.authenticate(third), NEW, PASSWORD)
    with pytest.raises(NotAuthenticatedError):
        c.sessions.authenticate(mine)
    assert c.sessions.authenticate(third)
