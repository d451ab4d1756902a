"""Password recovery: one flow, two strategies (an email link, an SMS code), as Kratos does it.

The flow owns what the strategies share: finding the account from exactly one key (`identifier`,
`email` or `domain`), the silent throttles, and the completion (policy, one conditional write,
new hash, every session ended, a notice, the login throttle cleared). A strategy only stores its
secret, delivers it, and checks it. Each strategy is served by its own Lambda (`reset_email`,
`reset_sms`), but both go through this one flow.

Nobody learns whether an account exists: an unknown key gets a flow id of the same shape, does
the same store round trips (a miss reads a dummy account as a hit reads the real one), and
counts against the same throttles; only delivery differs, since nothing is sent to nobody, and
the answer waits for the same time floor on every path, so that difference does not show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import datetime
from typing import Protocol

from gatehouse.domain.accounts import Account
from gatehouse.domain.secrets import digest, new_id
from gatehouse.errors import ConflictError, GatehouseError, InvalidEmailError
from gatehouse.flows.account import AccountSettings
from gatehouse.flows.pacing import ResponseFloor
from gatehouse.flows.throttle import GuessThrottle, MessageThrottle, allow_all
from gatehouse.ports import AccountRepository, Clock

# The values a recovery strategy is given and returns live with the strategies, which may not
# import flows; re-exported here, where handlers have always found Lookup.
from gatehouse.strategies.recovery import Claim, Lookup, Start

# Read on a miss so that an unknown key costs the round trips of a known one.
_NO_ACCOUNT = "acc_000000000000000000000000"


class RecoveryStrategy(Protocol):
    name: str
    # The error a wrong, used or expired secret gets (invalid_token for links, invalid_code for codes).
    invalid: type[GatehouseError]
    # Whether completing proves the account's email address (a link does, a code by SMS does not).
    proves_email: bool

    def start(self, request: Start) -> None:
        """Store the secret and the flow; deliver it when there is an account to deliver it to."""
        ...

    def placeholder(self, flow_id: str, now: datetime) -> None:
        """A flow that can never succeed, for a throttled request: its id looks like any other."""
        ...

    def check(self, proof: Mapping[str, str], now: datetime) -> Claim:
        """Raise `invalid` unless the proof matches a live flow of a known account."""
        ...

    def consume(self, claim: Claim, now: datetime) -> bool:
        """One conditional write: True for exactly one of racing completions."""
        ...


class Recovery:
    def __init__(self, accounts: AccountRepository, strategies: Sequence[RecoveryStrategy],
                 account_settings: AccountSettings, login_throttle: GuessThrottle,
                 account_throttle: MessageThrottle, ip_throttle: MessageThrottle, clock: Clock,
                 floor: ResponseFloor | None = None) -> None:
        self._accounts = accounts
        self._floor = floor or ResponseFloor(0)
        self._strategies = {s.name: s for s in strategies}
        self._settings, self._login_throttle = account_settings, login_throttle
        self._account_throttle, self._ip_throttle, self._clock = account_throttle, ip_throttle, clock

    def request(self, strategy: str, lookup: Lookup, *, ip: str) -> str:
        """Start a reset; the flow id, the same shape whether the account exists or not, throttled
        or not. Throttling is silent: the answer must not say that the account is being hammered.
        Nor does its time: every path is held to the same floor (`flows.pacing`)."""
        s = self._strategies[strategy]
        with self._floor.held():
            now = self._clock.now()
            flow_id = new_id("rec")
            account = self.find(lookup)
            subject = account.id if account else "?" + digest(f"{lookup.kind}:{lookup.key}")
            if not allow_all((self._ip_throttle, f"reset:ip:{ip}"), (self._account_throttle, f"reset:{subject}")):
                s.placeholder(flow_id, now)
                return flow_id
            # SES refusing the address on file must not show: saying so would tell that the key
            # names an account (an unknown domain or identifier sends nothing). The flow leads nowhere.
            with suppress(InvalidEmailError):
                s.start(Start(flow_id=flow_id, subject=subject, account=account, lookup=lookup, now=now))
            return flow_id

    def complete(self, strategy: str, proof: Mapping[str, str], new_password: str) -> None:
        """Set the new password. The session is not logged in: the next login asks for any second
        factor as usual, so a mailbox or a phone alone never gets past an enrolled factor."""
        s = self._strategies[strategy]
        now = self._clock.now()
        claim = s.check(proof, now)
        account = self._accounts.get(claim.account_id)
        if account is None:
            raise s.invalid()
        # The policy runs only once the secret checked out: its reasons name words of the account.
        self._settings.check_new_password(account, new_password)
        if not s.consume(claim, now):
            raise s.invalid()
        for _ in range(3):  # the secret is spent: an account changed meanwhile is read again, not refused
            try:
                self._settings.store_password(account.evolve(email_verified=True) if s.proves_email else account,
                                              new_password, keep_session=None)
                break
            except ConflictError:
                account = self._accounts.get(claim.account_id) or account
        self._login_throttle.reset(account.email)

    def check(self, strategy: str, proof: Mapping[str, str]) -> None:
        """Raise the strategy's `invalid` unless the proof would still complete a reset. Reads only:
        the page asks before showing its form, and asking must not use up the link."""
        s = self._strategies[strategy]
        claim = s.check(proof, self._clock.now())
        if self._accounts.get(claim.account_id) is None:
            raise s.invalid()

    def issue(self, strategy: str, account: Account) -> str:
        """Start a reset for a known account outside the request throttles and the floor: for a
        decision (support's), not a request, which no throttle may swallow. The flow id."""
        flow_id = new_id("rec")
        self._strategies[strategy].start(Start(flow_id=flow_id, subject=account.id, account=account,
                                               lookup=Lookup("identifier", account.id), now=self._clock.now()))
        return flow_id

    def find(self, lookup: Lookup) -> Account | None:
        """The account a key names, or None; a miss costs the store round trips of a hit."""
        key = lookup.key
        if lookup.kind == "identifier" and key.startswith("acc_"):
            return self._accounts.get(key)
        if lookup.kind == "email":
            found = self._accounts.get_by_email(key)
        else:
            found = self._accounts.find_by_alias("legacy" if lookup.kind == "identifier" else "domain", key)
        if found is None:
            # A hit reads the claim then the account; a miss reads the claim then this.
            self._accounts.get(_NO_ACCOUNT)
        return found
