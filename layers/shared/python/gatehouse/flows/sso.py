"""Single sign-on with Google, Microsoft and GitHub (SSO.md's shape).

`start` stores a single-use transaction (the state's digest, the PKCE verifier, the nonce, the
intent, the account for `link`, a checked `return_to`) for 10 minutes, bound to the browser by a
secret that only an HttpOnly SameSite=Lax cookie carries; the browser goes to the provider.

`callback` consumes that transaction with one conditional delete that also checks its expiry and
the browser's cookie, so a replayed state, an expired transaction or another browser's state finds
nothing. Then the strategy exchanges the code (the provider refuses a replayed code or a wrong
verifier) and validates the answer, and the linking rules decide:
- a known identity signs in to its account, whatever its email is now;
- else a verified provider email equal to an account's verified email links and signs in (with a
  notice email); with no account, it signs up (both consoles, no password);
- an unverified or missing email never links nor signs up;
- from settings (`link`), the provider's verified email must be the account's; an identity linked
  to another account is a conflict.
SSO is one factor: an account with a second factor gets an `mfa_required` session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from gatehouse import messages
from gatehouse.domain.accounts import Account, new_account_contexts, normalise_email
from gatehouse.domain.identities import LinkedIdentity
from gatehouse.domain.login import FirstFactor
from gatehouse.domain.one_time import OneTimeItem
from gatehouse.domain.secrets import digest, new_id, new_token, same
from gatehouse.errors import (
    ConditionFailedError,
    ConflictError,
    LastSignInMethodError,
    NotFoundError,
    ReauthenticationRequiredError,
    SsoRejectedError,
)
from gatehouse.flows.login import Login
from gatehouse.flows.sessions import Authenticated
from gatehouse.ports import AccountRepository, Clock, IdentityStore, Mailer, OneTimeStore
from gatehouse.settings import Settings
from gatehouse.strategies.oidc import ProviderIdentity

KIND = "sso"
INTENTS = ("login", "link")
NAMES = {"google": "Google", "microsoft": "Microsoft", "github": "GitHub"}

messages.register("sso_linked", {
    "en": ("$provider was connected to your account",
           "$provider ($email) was connected to your Gatehouse account and can now be used to sign in.\n\n"
           "If this was not you, sign in, disconnect it in your account settings ($link) and change your password."),
    "fr": ("$provider a été associé à votre compte",
           "$provider ($email) a été associé à votre compte Gatehouse et permet désormais de vous connecter.\n\n"
           "Si ce n'est pas vous, connectez-vous, dissociez-le dans les paramètres de votre compte ($link) et "
           "changez votre mot de passe."),
})

messages.register("sso_unlinked", {
    "en": ("$provider was disconnected from your account",
           "$provider ($email) was disconnected from your Gatehouse account: it no longer signs you in.\n\n"
           "If this was not you, sign in and change your password, then review your account ($link)."),
    "fr": ("$provider a été dissocié de votre compte",
           "$provider ($email) a été dissocié de votre compte Gatehouse : il ne permet plus de vous connecter.\n\n"
           "Si ce n'est pas vous, connectez-vous et changez votre mot de passe, puis vérifiez votre compte ($link)."),
})

# What the page says for each way a callback can end: a person reads these, never a stack trace.
REASONS: dict[str, str] = {
    "missing_cookie": "Your browser did not send back the sign-in cookie, so this sign-in cannot be matched to the "
                      "one you started. Allow cookies for this site and start again.",
    "transaction_not_found": "This sign-in has already been used or has expired (it lasts 10 minutes). Start again.",
    "access_denied": "You cancelled the sign-in at the provider, or it refused it. Nothing was changed.",
    "provider_error": "The provider could not complete the sign-in. Try again.",
    "missing_code": "The provider's answer had no authorization code. Start again.",
    "token_invalid_grant": "The provider refused this sign-in's code: it was already used, has expired, or does not "
                           "match this browser's sign-in. Start again.",
    "token_bad_verification_code": "GitHub refused this sign-in's code: it was already used, has expired, or does "
                                   "not match this browser's sign-in. Start again.",
    "unverified_email": "The provider does not vouch for this email address (it is not verified there, or for "
                        "Microsoft the organization has not proved it owns the domain), so it cannot be used to "
                        "sign in or to connect an account. Sign in another way.",
    "account_email_unverified": "An account uses this email but has not confirmed it yet: confirm it from the "
                                "email we sent, or sign in with your password, then connect this provider in settings.",
    "email_mismatch": "This provider's verified email is not your account's email, so it cannot be connected.",
    "identity_linked_elsewhere": "This provider account is already connected to another Gatehouse account.",
    "not_signed_in": "Sign in first, then connect the provider from your account settings.",
}


class SignInStrategy(Protocol):
    def authorization_url(self, *, redirect_uri: str, state: str, nonce: str, verifier: str,
                          login_hint: str | None = None) -> str: ...

    def identity(self, *, code: str, verifier: str, redirect_uri: str, nonce: str, now: Any) -> ProviderIdentity: ...


@dataclass(frozen=True)
class Started:
    location: str
    browser_secret: str  # for the HttpOnly cookie only


@dataclass(frozen=True)
class Finished:
    location: str
    token: str | None  # a new session, unless an existing one just linked an identity
    result: dict[str, Any]


def safe_return_to(value: str | None) -> str:
    """A path on this site only: `//host`, `/\\host` and schemes would send the browser elsewhere."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or any(
            c in value for c in "\r\n\\") or len(value) > 512:
        return "/ui/"
    return value


class SingleSignOn:
    def __init__(self, strategies: Mapping[str, SignInStrategy], once: OneTimeStore, identities: IdentityStore,
                 accounts: AccountRepository, login: Login, mailer: Mailer, clock: Clock,
                 settings: Settings, token_clock: Clock | None = None) -> None:
        self._strategies, self._once, self._identities = strategies, once, identities
        self._accounts, self._login_flow, self._mailer, self._clock, self._s = accounts, login, mailer, clock, settings
        # The provider stamps its tokens with real time: `token_clock` judges their exp and iat.
        self._token_clock = token_clock or clock

    def _strategy(self, provider: str) -> SignInStrategy:
        strategy = self._strategies.get(provider)
        if strategy is None:
            raise NotFoundError("This sign-in provider is not offered here.")
        return strategy

    def redirect_uri(self, provider: str) -> str:
        return f"{self._s.public_base_url}/sso/{provider}/callback"

    def start(self, provider: str, *, intent: str = "login", return_to: str | None = None,
              auth: Authenticated | None = None, login_hint: str | None = None) -> Started:
        strategy = self._strategy(provider)
        if intent not in INTENTS:
            raise SsoRejectedError("bad_intent", "intent must be login or link.")
        if intent == "link" and (auth is None or not auth.session.fully_authenticated):
            raise SsoRejectedError("not_signed_in", REASONS["not_signed_in"])
        state, nonce, verifier, browser = new_token(), new_token(), new_token(48), new_token()
        now = self._clock.now()
        self._once.put(OneTimeItem(
            kind=KIND, key=digest(state), subject=digest(browser),
            expires_at=now + timedelta(seconds=self._s.sso_transaction_seconds),
            data={"provider": provider, "browser": digest(browser), "verifier": verifier, "nonce": nonce,
                  "intent": intent, "return_to": safe_return_to(return_to),
                  "account_id": auth.account.id if intent == "link" and auth else None},
        ))
        return Started(strategy.authorization_url(redirect_uri=self.redirect_uri(provider), state=state, nonce=nonce,
                                                  verifier=verifier, login_hint=login_hint), browser)

    def callback(self, provider: str, query: Mapping[str, str], *, browser_secret: str | None,
                 user_agent: str = "", previous_token: str | None = None) -> Finished:
        strategy = self._strategy(provider)
        state = query.get("state") or ""
        if not browser_secret:
            raise SsoRejectedError("missing_cookie", REASONS["missing_cookie"])
        now = self._clock.now()
        tx = self._once.consume(KIND, digest(state), now, bound_to={"browser": digest(browser_secret),
                                                                      "provider": provider}) if state else None
        if tx is None:
            raise SsoRejectedError("transaction_not_found", REASONS["transaction_not_found"])
        if error := query.get("error"):
            reason = "access_denied" if error == "access_denied" else "provider_error"
            raise SsoRejectedError(reason, REASONS[reason])
        iss = query.get("iss")
        accepts = getattr(strategy, "accepts_issuer", None)
        if iss is not None and accepts is not None and not accepts(iss):
            raise SsoRejectedError("bad_issuer", REASONS["provider_error"])
        code = query.get("code")
        if not code:
            raise SsoRejectedError("missing_code", REASONS["missing_code"])
        try:
            who = strategy.identity(code=code, verifier=tx.data["verifier"], redirect_uri=self.redirect_uri(provider),
                                    nonce=tx.data["nonce"], now=self._token_clock.now())
        except SsoRejectedError as exc:
            raise SsoRejectedError(exc.reason, REASONS.get(exc.reason)) from exc
        return_to = str(tx.data.get("return_to") or "/ui/")
        if tx.data["intent"] == "link":
            return self._link(who, str(tx.data["account_id"]), return_to)
        return self._login(who, return_to, user_agent=user_agent, previous_token=previous_token)

    # --- the linking rules ------------------------------------------------------------------------
    def _link(self, who: ProviderIdentity, account_id: str, return_to: str) -> Finished:
        account = self._accounts.get(account_id)
        if account is None:
            raise SsoRejectedError("not_signed_in", REASONS["not_signed_in"])
        known = self._identities.get(who.provider, who.key)
        if known is not None:
            if known.account_id != account.id:
                raise ConflictError(REASONS["identity_linked_elsewhere"], reason="identity_linked_elsewhere")
            return Finished(return_to, None, {"linked": who.provider})
        if who.email is None:
            raise SsoRejectedError("unverified_email", REASONS["unverified_email"])
        if normalise_email(who.email) != account.email_key:
            raise SsoRejectedError("email_mismatch", REASONS["email_mismatch"])
        self._add_identity(who, account)
        return Finished(return_to, None, {"linked": who.provider})

    def _login(self, who: ProviderIdentity, return_to: str, *, user_agent: str,
               previous_token: str | None) -> Finished:
        known = self._identities.get(who.provider, who.key)
        if known is not None:
            account = self._accounts.get(known.account_id)
            if account is None:
                raise SsoRejectedError("transaction_not_found", REASONS["transaction_not_found"])
            self._identities.touch(known, self._clock.now())
        else:
            if who.email is None:
                raise SsoRejectedError("unverified_email", REASONS["unverified_email"])
            existing = self._accounts.get_by_email(who.email)
            if existing is not None and not existing.email_verified:
                # Both sides verified, or no link: an unconfirmed sign-up must not be taken over by email.
                raise SsoRejectedError("account_email_unverified", REASONS["account_email_unverified"])
            account = existing or self._sign_up(who)
            self._add_identity(who, account)
        account = self._provider_verified(account, who)
        # The provider proved the first factor: the login flow starts the session, as for any other.
        outcome = self._login_flow.finish(FirstFactor(account, f"sso:{who.provider}"), user_agent=user_agent,
                                     previous_token=previous_token)
        return Finished(return_to, outcome.token, outcome.result)

    def _add_identity(self, who: ProviderIdentity, account: Account) -> LinkedIdentity:
        now = self._clock.now()
        identity = LinkedIdentity(id=new_id("idn"), provider=who.provider, key=who.key, account_id=account.id,
                                  email=who.email, linked_at=now, last_used_at=now)
        try:
            self._identities.link(identity)
        except ConditionFailedError as exc:
            raise ConflictError(REASONS["identity_linked_elsewhere"], reason="identity_linked_elsewhere") from exc
        self._mailer.send(messages.email("sso_linked", account.email, account.locale,
                                         provider=NAMES.get(who.provider, who.provider), email=who.email or "",
                                         link=f"{self._s.public_base_url}/ui/account"))
        return identity

    def _sign_up(self, who: ProviderIdentity) -> Account:
        assert who.email is not None
        now = self._clock.now()
        account_id = new_id("acc")
        account = Account(id=account_id, email=who.email, created_at=now, email_verified=True, name=who.name or "",
                          contexts=new_account_contexts(account_id, "", [c.id for c in self._s.consoles]),
                          extra={"signed_up_with": who.provider})
        try:
            self._accounts.add(account)
        except ConflictError:
            # Signed up meanwhile (another tab, another provider): that account, if its email is verified.
            raced = self._accounts.get_by_email(who.email)
            if raced is None or not raced.email_verified:
                raise SsoRejectedError("account_email_unverified", REASONS["account_email_unverified"]) from None
            return raced
        return account

    def _provider_verified(self, account: Account, who: ProviderIdentity) -> Account:
        """The provider vouched for the account's own address: `verify_email` is done."""
        if account.email_verified or who.email is None or not same(normalise_email(who.email), account.email_key):
            return account
        try:
            return self._accounts.save(account.evolve(email_verified=True))
        except ConditionFailedError:
            return account


class LinkedIdentities:
    """Settings: the account's identities, and disconnecting one (never the last way to sign in)."""

    def __init__(self, identities: IdentityStore, mailer: Mailer, clock: Clock, settings: Settings) -> None:
        self._identities, self._mailer, self._clock, self._s = identities, mailer, clock, settings

    @staticmethod
    def _public(i: LinkedIdentity) -> dict[str, Any]:
        from gatehouse.domain.times import iso

        return {"id": i.id, "provider": i.provider, "email": i.email, "linked_at": iso(i.linked_at),
                "last_used_at": iso(i.last_used_at)}

    def list(self, auth: Authenticated) -> dict[str, Any]:
        return {"identities": [self._public(i) for i in self._identities.list(auth.account.id)]}

    def unlink(self, auth: Authenticated, identity_id: str) -> None:
        now = self._clock.now()
        signed_in = auth.session.authenticated_at
        # Whoever holds a forgotten session must not cut the owner off a way to sign in.
        if signed_in is None or (now - signed_in).total_seconds() > self._s.mfa_reauth_seconds:
            raise ReauthenticationRequiredError()
        account = auth.account
        mine = self._identities.list(account.id)
        target = next((i for i in mine if i.id == identity_id), None)
        if target is None:
            raise NotFoundError("No such identity on this account.")
        others = (len(mine) - 1 + (account.password_hash is not None)
                  + sum(1 for m in account.mfa_methods if m.type == "webauthn"))
        if others == 0:
            raise LastSignInMethodError()
        if self._identities.unlink(account.id, identity_id) is None:
            raise NotFoundError("No such identity on this account.")
        self._mailer.send(messages.email("sso_unlinked", account.email, account.locale,
                                         provider=NAMES.get(target.provider, target.provider),
                                         email=target.email or "", link=f"{self._s.public_base_url}/ui/account"))
