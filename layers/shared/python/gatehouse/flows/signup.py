"""Sign-up: one request, one email link, and the account exists in every console at once.

The link is a verification process (`domain.verification`) of the address, whose handle is the
address's digest (a link must not carry the address itself) and whose secret is 256 random bits:
a request is one write, replacing the address's older link, and following it one conditional
delete, so of two racing uses one wins."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from gatehouse import messages
from gatehouse.domain.accounts import Account, new_account_contexts, normalise_email
from gatehouse.domain.password_policy import PasswordPolicy, account_context
from gatehouse.domain.secrets import digest, link_token, new_id, new_link_secret, split_link
from gatehouse.domain.verification import Verification
from gatehouse.errors import ConflictError, InvalidTokenError, WeakPasswordError
from gatehouse.flows.pacing import ResponseFloor
from gatehouse.flows.throttle import MessageThrottle
from gatehouse.ports import AccountRepository, Clock, Mailer, OneTimeStore, VerificationStore
from gatehouse.settings import Settings
from gatehouse.strategies.password import PasswordHasher

# A link issued before sign-up links were verification processes: a one-time item, consumed on a
# miss only, until the last of them expires (`email_link_seconds` after this deploys). Then drop it.
KIND = "signup"
PURPOSE = "signup"


class Signup:
    def __init__(self, accounts: AccountRepository, once: OneTimeStore, mailer: Mailer, hasher: PasswordHasher,
                 policy: PasswordPolicy, clock: Clock, throttle: MessageThrottle, settings: Settings,
                 floor: ResponseFloor | None = None, *, flows: VerificationStore) -> None:
        self._flows = flows
        self._accounts, self._once, self._mailer, self._hasher = accounts, once, mailer, hasher
        self._policy, self._clock, self._throttle, self._s = policy, clock, throttle, settings
        # A free address stores a pending sign-up that a taken one does not: the floor hides that.
        self._floor = floor or ResponseFloor(0)

    def request(self, email: str, password: str, locale: str) -> None:
        """Same answer whether or not the email is taken; a taken one gets a different email.
        Nor does its time tell: every path, the hash included, is held to one floor."""
        if found := self._policy.check(password, context=account_context(email)):
            raise WeakPasswordError([p.sentence for p in found], codes=[p.as_detail() for p in found])
        with self._floor.held():
            # Hash in both branches: a taken address must not answer faster by skipping it. Under
            # the floor too: the hash's own jitter (a busy core) is larger than the paths' difference.
            self._request(email, self._hasher.hash(password), locale)

    def _request(self, email: str, password_hash: str, locale: str) -> None:
        key = normalise_email(email)
        if not self._throttle.allow(f"signup:{digest(key)}"):
            return
        existing = self._accounts.get_by_email(key)
        base = self._s.public_base_url
        if existing is not None:
            self._mailer.send(messages.email("signup_existing", existing.email, existing.locale,
                                             login_link=f"{base}/ui/", reset_link=f"{base}/ui/reset"))
            return
        handle, secret = digest(key), new_link_secret()
        # Sent before it is stored: an address SES refuses (InvalidEmailError) leaves no pending sign-up.
        self._mailer.send(messages.email("signup_verify", email.strip(), locale,
                                         link=f"{base}/ui/verify?token={link_token(handle, secret)}",
                                         minutes=self._s.email_link_seconds // 60))
        now = self._clock.now()
        # Never exhausted (a wrong secret is simply not found, it counts nothing): a start always lands.
        self._flows.start(Verification(
            purpose=PURPOSE, subject=handle, digest=digest(secret),
            expires_at=now + timedelta(seconds=self._s.email_link_seconds), max_failures=1,
            data={"email": email.strip(), "password_hash": password_hash, "locale": locale},
        ), now)

    def verify(self, token: str) -> dict[str, Any]:
        now = self._clock.now()
        data = self._follow(token, now)
        if data is None:
            raise InvalidTokenError()
        account_id = new_id("acc")
        consoles = [c.id for c in self._s.consoles]
        account = Account(
            id=account_id, email=data["email"], created_at=now, password_hash=data["password_hash"],
            email_verified=True, locale=data.get("locale") or "en", password_changed_at=now,
            contexts=new_account_contexts(account_id, "", consoles),
        )
        try:
            self._accounts.add(account)
        except ConflictError as exc:
            raise ConflictError("An account with this email was created meanwhile: sign in instead.") from exc
        return {"account_id": account_id, "consoles": consoles}

    def _follow(self, token: str, now: datetime) -> Mapping[str, Any] | None:
        """The pending sign-up a link holds, consumed by one conditional write; None when it is used,
        expired, replaced or made up."""
        if (link := split_link(token)) is None:
            item = self._once.consume(KIND, digest(token), now)
            return item.data if item is not None else None
        handle, secret = link
        done = self._flows.complete(PURPOSE, handle, digest(secret), now)
        return done.data if done is not None else None
