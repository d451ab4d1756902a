"""API keys: an account lists, makes and deletes its keys; a console verifies one it was shown.

A key is an id (public, shown in lists) and a secret of 256 random bits, shown once when it is
made; only the secret's SHA-256 is kept (a slow hash buys nothing against a secret that cannot be
guessed, and verification must stay cheap). A key made here works in every console; the keys of
legacy Dedibox accounts arrive with unification, each bound to its Dedibox context, and verify
exactly as they did. Making a key is a change a stolen session could use to keep the account, so
it needs a recent sign-in (on accounts with a second factor), no pending required action, and
sends a notice email. Verifying never looks at required actions: legacy Dedibox keys keep working
through the unification, whatever the unified account still has to do.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from gatehouse import messages
from gatehouse.domain.api_keys import AccountApiKey
from gatehouse.domain.secrets import could_be_id, new_id
from gatehouse.domain.times import iso
from gatehouse.errors import ConditionFailedError, ConflictError, NotFoundError
from gatehouse.flows.sessions import Authenticated
from gatehouse.ports import ApiKeyStore, Clock, Mailer
from gatehouse.settings import Settings

messages.register("api_key_created", {
    "en": ("A new API key for your account",
           "An API key named \"$key_name\" ($key_id) was made for your account on $when.\n\n"
           "If this was not you, delete it from your account settings, reset your password and contact "
           "support: $reset_link"),
    "fr": ("Une nouvelle clé d'API pour votre compte",
           "Une clé d'API nommée « $key_name » ($key_id) a été créée pour votre compte le $when.\n\n"
           "Si ce n'était pas vous, supprimez-la depuis les paramètres de votre compte, réinitialisez votre "
           "mot de passe et contactez le support : $reset_link"),
})

# Compared against when the key id is unknown, so that a miss costs what a hit costs.
_NO_DIGEST = "0" * 64


def public_key(key: AccountApiKey) -> dict[str, Any]:
    """What a list shows: never the secret, nor its digest."""
    return {"key_id": key.key_id, "name": key.name, "created_at": iso(key.created_at),
            "console": key.console, "context": key.context}


class ApiKeys:
    def __init__(self, store: ApiKeyStore, mailer: Mailer, clock: Clock, settings: Settings) -> None:
        self._store, self._mailer, self._clock, self._s = store, mailer, clock, settings

    def list(self, auth: Authenticated) -> dict[str, Any]:
        return {"api_keys": [public_key(k) for k in self._store.list(auth.session.account_id)]}

    def create(self, auth: Authenticated, name: str) -> dict[str, Any]:
        now = self._clock.now()
        auth.require_no_pending_actions("make API keys")
        auth.require_recent_sign_in(now, self._s.mfa_reauth_seconds)
        account = auth.account
        if len(self._store.list(account.id)) >= self._s.api_keys_per_account:
            raise ConflictError(f"An account has at most {self._s.api_keys_per_account} API keys: delete one first.")
        secret = secrets.token_urlsafe(32)
        key = AccountApiKey(key_id=new_id("key"), account_id=account.id, name=name.strip(), created_at=now,
                            secret_sha256=hashlib.sha256(secret.encode()).hexdigest())
        try:
            self._store.add(key)
        except ConditionFailedError:  # 96 random bits collided: astronomically rare, and safe to refuse
            raise ConflictError("Try again.") from None
        # The name is the session's free text: a thief's `https://...` must not become a link in the notice.
        self._mailer.send(messages.email("api_key_created", account.email, account.locale,
                                         key_name=messages.Plain(key.name), key_id=key.key_id,
                                         when=now.strftime("%Y-%m-%d %H:%M UTC"),
                                         reset_link=f"{self._s.public_base_url}/ui/reset"))
        return {"key_id": key.key_id, "secret": secret}

    def delete(self, auth: Authenticated, key_id: str) -> None:
        if not could_be_id(key_id) or not self._store.delete(auth.session.account_id, key_id):
            raise NotFoundError("No API key of yours has this id.")

    def verify(self, console: str, key_id: str, secret: str) -> dict[str, Any]:
        """Valid when sha256(secret) matches in constant time and the key works in this console."""
        key = self._store.get(key_id)
        given = hashlib.sha256(secret.encode()).hexdigest()
        matches = hmac.compare_digest(given, key.secret_sha256 if key else _NO_DIGEST)
        if key is None or not matches or key.console not in (None, console):
            return {"valid": False, "account_id": None, "console": console, "context": None}
        return {"valid": True, "account_id": key.account_id, "console": console, "context": key.context}
