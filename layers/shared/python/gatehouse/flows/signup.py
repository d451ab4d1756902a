"""Sign-up: one request, one email link, and the account exists in every console at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gatehouse import messages
from gatehouse.domain.accounts import Account, new_account_contexts, normalise_email
from gatehouse.domain.one_time import OneTimeItem
from gatehouse.domain.password_policy import PasswordPolicy, account_context
from gatehouse.domain.secrets import digest, new_id, new_token
from gatehouse.errors import ConflictError, InvalidTokenError, WeakPasswordError
from gatehouse.flows.pacing import ResponseFloor
from gatehouse.flows.throttle import MessageThrottle
from gatehouse.ports import AccountRepository, Clock, Mailer, OneTimeStore
from gatehouse.settings import Settings
from gatehouse.strategies.password import PasswordHasher

KIND = "signup"


class Signup:
    def __init__(self, accounts: AccountRepository, once: OneTimeStore, mailer: Mailer, hasher: PasswordHasher,
                 policy: PasswordPolicy, clock: Clock, throttle: MessageThrottle, settings: Settings,
                 floor: ResponseFloor | None = None) -> None:
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
        token = new_token()
        # Sent before it is stored: an address SES refuses (InvalidEmailError) leaves no pending sign-up.
        self._mailer.send(messages.email("signup_verify", email.strip(), locale,
                                         link=f"{base}/ui/verify?token={token}",
                                         minutes=self._s.email_link_seconds // 60))
        self._once.replace_latest(OneTimeItem(
            kind=KIND, key=digest(token), subject=key,
            expires_at=self._clock.now() + timedelta(seconds=self._s.email_link_seconds),
            data={"email": email.strip(), "password_hash": password_hash, "locale": locale},
        ))

    def verify(self, token: str) -> dict[str, Any]:
        item = self._once.consume(KIND, digest(token), self._clock.now())
        if item is None:
            raise InvalidTokenError()
        now = self._clock.now()
        account_id = new_id("acc")
        consoles = [c.id for c in self._s.consoles]
        account = Account(
            id=account_id, email=item.data["email"], created_at=now, password_hash=item.data["password_hash"],
            email_verified=True, locale=item.data.get("locale") or "en", password_changed_at=now,
            contexts=new_account_contexts(account_id, "", consoles),
        )
        try:
            self._accounts.add(account)
        except ConflictError as exc:
            raise ConflictError("An account with this email was created meanwhile: sign in instead.") from exc
        return {"account_id": account_id, "consoles": consoles}
