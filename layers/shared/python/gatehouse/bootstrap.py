"""The one composition root: settings -> adapters -> flows, built once per cold start.

Each part is built on first use, so a Lambda only pays (imports, clients) for what its own flow
touches: the login function never imports webauthn, the notifier never builds a password hasher.
Tests build a `Container` over fakes with `Container.in_memory()`.
"""

from __future__ import annotations

from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

from gatehouse import settings as settings_module
from gatehouse.settings import Settings

if TYPE_CHECKING:
    from gatehouse.flows.account import AccountSettings
    from gatehouse.flows.consoles import Consoles
    from gatehouse.flows.login import Login
    from gatehouse.flows.sessions import SessionService
    from gatehouse.flows.signup import Signup
    from gatehouse.ports import (
        AccountRepository,
        Clock,
        ConsoleAuthenticator,
        Mailer,
        OneTimeStore,
        Outbox,
        SessionRepository,
        SmsSender,
        ThrottleStore,
    )
    from gatehouse.strategies.password import PasswordHasher


class Container:
    def __init__(self, settings: Settings, **overrides: Any) -> None:
        self.settings = settings
        # Anything given here (a fake store, a fixed clock) replaces what would have been built.
        for name, value in overrides.items():
            setattr(self, name, value)

    @classmethod
    def in_memory(cls, settings: Settings | None = None, **overrides: Any) -> Container:
        from gatehouse.adapters import memory

        parts: dict[str, Any] = {
            "clock": memory.FakeClock(), "accounts": memory.MemoryAccounts(),
            "session_store": memory.MemorySessions(), "once": memory.MemoryOneTime(),
            "throttle_store": memory.MemoryThrottle(), "mailer": memory.FakeMailer(), "sms": memory.FakeSms(),
            "outbox": memory.MemoryOutbox(), "key_vault": memory.FakeKeyVault(),
        }
        parts["mfa_store"], parts["verifications"] = memory.MemoryMfa(), memory.MemoryVerifications()
        from gatehouse.adapters.bulk_mail import FakeBulkMailer

        parts["unification_store"], parts["bulk_mailer"] = memory.MemoryUnification(), FakeBulkMailer()
        parts["api_key_store"], parts["organization_store"] = memory.MemoryApiKeys(), memory.MemoryOrganizations()
        parts["recovery_request_store"], parts["documents"] = memory.MemoryRecoveryRequests(), memory.FakeDocuments()
        parts["code_pepper"] = memory.FakeCodePepper()
        parts["resource_store"] = memory.MemoryResources()

        parts["identity_store"] = memory.MemoryIdentities()
        # Over fakes the reset's time floor is recorded, not slept: `reset_floor.waited`.
        parts["reset_floor"] = memory.RecordedFloor((settings or Settings()).reset_response_floor_ms / 1000)
        parts["unknown_key_floor"] = memory.RecordedFloor((settings or Settings()).unknown_key_floor_ms / 1000)
        parts.update(overrides)
        return cls(settings or Settings(), **parts)

    # --- adapters -------------------------------------------------------------------------
    @cached_property
    def clock(self) -> Clock:
        from gatehouse.clock import AdjustableClock, SystemClock

        return AdjustableClock() if self.settings.is_local else SystemClock()

    @cached_property
    def table(self) -> Any:
        from gatehouse.adapters.dynamodb import Table

        return Table(self.settings)

    @cached_property
    def accounts(self) -> AccountRepository:
        from gatehouse.adapters.dynamodb import DynamoAccounts

        return DynamoAccounts(self.table)

    @cached_property
    def session_store(self) -> SessionRepository:
        from gatehouse.adapters.dynamodb import DynamoSessions

        return DynamoSessions(self.table)

    @cached_property
    def once(self) -> OneTimeStore:
        from gatehouse.adapters.dynamodb import DynamoOneTime

        return DynamoOneTime(self.table)

    @cached_property
    def throttle_store(self) -> ThrottleStore:
        from gatehouse.adapters.dynamodb import DynamoThrottle

        return DynamoThrottle(self.table)

    @cached_property
    def outbox(self) -> Outbox:
        from gatehouse.adapters.dynamodb import DynamoOutbox

        return DynamoOutbox(self.table)

    @cached_property
    def mailer(self) -> Mailer:
        from gatehouse.adapters.delivery import RecordingMailer, SesMailer

        ses = SesMailer(self.settings)
        return RecordingMailer(ses, self.outbox, self.clock) if self.settings.is_local else ses

    @cached_property
    def sms(self) -> SmsSender:
        from gatehouse.adapters.delivery import RecordingSms, SnsSms

        sns = SnsSms(self.settings)
        return RecordingSms(sns, self.outbox, self.clock) if self.settings.is_local else sns

    @cached_property
    def console_auth(self) -> ConsoleAuthenticator:
        from gatehouse.adapters.consoles import SecretsManagerConsoleSecrets, StaticConsoleSecrets

        if self.settings.console_secrets:
            return StaticConsoleSecrets(self.settings.console_secrets)
        return SecretsManagerConsoleSecrets(self.settings)

    # --- strategies -----------------------------------------------------------------------
    @cached_property
    def hasher(self) -> PasswordHasher:
        from gatehouse.strategies.password import PasswordHasher

        return PasswordHasher(self.settings.argon2)

    @cached_property
    def password_policy(self) -> Any:
        from gatehouse.domain.password_policy import PasswordPolicy
        from gatehouse.strategies.password import common_passwords

        return PasswordPolicy(self.settings.password_min_length, self.settings.password_max_length,
                              common_passwords)

    # --- flows ----------------------------------------------------------------------------
    @cached_property
    def sessions(self) -> SessionService:
        from gatehouse.flows.sessions import SessionService

        return SessionService(self.session_store, self.accounts, self.clock, self.settings)

    @cached_property
    def login_throttle(self) -> Any:
        from gatehouse.flows.throttle import GuessThrottle

        return GuessThrottle(self.throttle_store, self.clock, self.settings)

    @cached_property
    def message_throttle(self) -> Any:
        from gatehouse.flows.throttle import MessageThrottle

        return MessageThrottle(self.throttle_store, self.clock)

    @cached_property
    def login_strategies(self) -> dict[str, Any]:
        """The login flow's registry of first factors: a new credential type is one more line here."""
        from gatehouse.strategies.code import EmailCodeLogin
        from gatehouse.strategies.legacy_identifier import LegacyIdentifierLogin
        from gatehouse.strategies.password import PasswordLogin
        from gatehouse.strategies.webauthn import PasskeyLogin

        return {s.method: s for s in (
            PasswordLogin(self.accounts, self.hasher),
            EmailCodeLogin(self.accounts, self.login_codes),
            PasskeyLogin(self.accounts, self.webauthn),
            LegacyIdentifierLogin(self.accounts, self.hasher),
        )}

    @cached_property
    def login(self) -> Login:
        from gatehouse.flows.login import Login

        return Login(self.login_strategies, self.accounts, self.hasher, self.sessions, self.login_throttle)

    @cached_property
    def signup(self) -> Signup:
        from gatehouse.flows.signup import Signup

        return Signup(self.accounts, self.once, self.mailer, self.hasher, self.password_policy, self.clock,
                      self.message_throttle, self.settings, floor=self.unknown_key_floor)

    @cached_property
    def account_settings(self) -> AccountSettings:
        from gatehouse.flows.account import AccountSettings

        return AccountSettings(self.accounts, self.once, self.sessions, self.mailer, self.hasher,
                               self.password_policy, self.clock, self.settings, throttle=self.message_throttle)

    @cached_property
    def consoles(self) -> Consoles:
        from gatehouse.flows.consoles import Consoles

        return Consoles(self.accounts, self.once, self.sessions, self.clock, self.settings,
                        organizations=self.organization_store)

    @cached_property
    def recovery(self) -> Any:
        """Password recovery: one flow, its strategies registered here (one line each)."""
        from gatehouse.flows.recovery import Recovery
        from gatehouse.flows.throttle import MessageThrottle
        from gatehouse.strategies.code import CodeRecovery
        from gatehouse.strategies.email_link import EmailLinkRecovery

        s = self.settings
        strategies: list[Any] = [EmailLinkRecovery(self.once, self.verifications, self.mailer, s),
                                 CodeRecovery(self.sms_codes("reset_sms", 6, s.sms_code_seconds,
                                                             s.recovery_max_attempts))]
        return Recovery(self.accounts, strategies, self.account_settings, self.login_throttle,
                        account_throttle=MessageThrottle(self.throttle_store, self.clock,
                                                         limit=s.reset_messages_per_account),
                        ip_throttle=MessageThrottle(self.throttle_store, self.clock, limit=s.reset_messages_per_ip),
                        clock=self.clock, floor=self.reset_floor)

    @cached_property
    def reset_floor(self) -> Any:
        from gatehouse.flows.pacing import ResponseFloor

        return ResponseFloor(self.settings.reset_response_floor_ms / 1000)

    @cached_property
    def unknown_key_floor(self) -> Any:
        """Sign-in codes and sign-ups: see `Settings.unknown_key_floor_ms`."""
        from gatehouse.flows.pacing import ResponseFloor

        return ResponseFloor(self.settings.unknown_key_floor_ms / 1000)

    # --- unification ------------------------------------------------------------------------
    @cached_property
    def unification_store(self) -> Any:
        from gatehouse.adapters.dynamodb import DynamoUnification

        return DynamoUnification(self.table)

    @cached_property
    def bulk_mailer(self) -> Any:
        from gatehouse.adapters.bulk_mail import RecordingBulkMailer, SesBulkMailer

        ses = SesBulkMailer(self.settings)
        return RecordingBulkMailer(ses, self.outbox, self.clock) if self.settings.is_local else ses

    @cached_property
    def unification(self) -> Any:
        from gatehouse.flows.unification import Unification

        return Unification(self.unification_store, self.accounts, self.clock, self.settings)

    @cached_property
    def unifier(self) -> Any:
        from gatehouse.flows.unifier import Unifier

        return Unifier(self.unification_store, self.accounts, self.clock, self.settings,
                       api_keys=self.api_key_store, factors=self.second_factors, resources=self.resource_store)

    @cached_property
    def unification_notifier(self) -> Any:
        from gatehouse.flows.notifier import Notifier

        return Notifier(self.unification_store, self.bulk_mailer, self.clock, self.settings)

    # --- API keys ---------------------------------------------------------------------------
    @cached_property
    def api_key_store(self) -> Any:
        from gatehouse.adapters.dynamodb import DynamoApiKeys

        return DynamoApiKeys(self.table)

    @cached_property
    def api_keys(self) -> Any:
        from gatehouse.flows.api_keys import ApiKeys

        return ApiKeys(self.api_key_store, self.mailer, self.clock, self.settings)

    # --- recovery requests (support) ----------------------------------------------------------
    @cached_property
    def recovery_request_store(self) -> Any:
        from gatehouse.adapters.dynamodb import DynamoRecoveryRequests

        return DynamoRecoveryRequests(self.table)

    @cached_property
    def documents(self) -> Any:
        from gatehouse.adapters.documents import S3Documents

        return S3Documents(self.settings)

    @cached_property
    def recovery_requests(self) -> Any:
        from gatehouse.flows.recovery_requests import RecoveryRequests
        from gatehouse.flows.throttle import MessageThrottle

        throttle = MessageThrottle(self.throttle_store, self.clock, limit=self.settings.recovery_requests_per_ip)
        return RecoveryRequests(self.recovery_request_store, self.documents, self.accounts, self.recovery,
                                self.sessions, self.mailer, throttle, self.clock, sms=self.sms, once=self.once,
                                settings=self.settings, floor=self.reset_floor)

    # --- organization members and outsourcing ----------------------------------------------
    @cached_property
    def organization_store(self) -> Any:
        from gatehouse.adapters.dynamodb import DynamoOrganizations

        return DynamoOrganizations(self.table)

    @cached_property
    def organization(self) -> Any:
        from gatehouse.flows.organization import Organization

        return Organization(self.organization_store, self.accounts, self.mailer, self.clock, self.settings,
                            throttle=self.throttle_store, resources=self.resource_store)

    # --- the resources the consoles register -----------------------------------------------
    @cached_property
    def resource_store(self) -> Any:
        from gatehouse.adapters.dynamodb import DynamoResources

        return DynamoResources(self.table)

    @cached_property
    def console_resources(self) -> Any:
        from gatehouse.flows.resources import ConsoleResources

        return ConsoleResources(self.resource_store, self.accounts, self.settings)

    # --- second factors and passwordless login ---------------------------------------------
    @cached_property
    def key_vault(self) -> Any:
        from gatehouse.adapters.kms import KmsKeyVault

        return KmsKeyVault(self.settings)

    @cached_property
    def mfa_store(self) -> Any:
        from gatehouse.adapters.dynamodb import DynamoMfa

        return DynamoMfa(self.table)

    @cached_property
    def verifications(self) -> Any:
        from gatehouse.adapters.dynamodb import DynamoVerifications

        return DynamoVerifications(self.table)

    @cached_property
    def totp(self) -> Any:
        from gatehouse.strategies.totp import TotpStrategy

        return TotpStrategy(self.mfa_store, self.key_vault, self.once, self.clock, self.settings)

    @cached_property
    def webauthn(self) -> Any:
        from gatehouse.strategies.webauthn import WebAuthnStrategy  # imports py_webauthn only when used

        return WebAuthnStrategy(self.mfa_store, self.once, self.clock, self.settings)

    @cached_property
    def recovery_codes(self) -> Any:
        from gatehouse.strategies.recovery_codes import RecoveryCodeStrategy

        return RecoveryCodeStrategy(self.mfa_store)

    @cached_property
    def second_factors(self) -> dict[str, Any]:
        """The registry of second factors (`/mfa/verify`, the unifier's migrated ones): one entry per
        type, of a class that `second_factor_types` lists."""
        registry = {s.method: s for s in (self.totp, self.webauthn, self.recovery_codes)}
        if set(registry) != set(second_factor_answers()):
            raise RuntimeError("a second factor must be listed in second_factor_types too")
        return registry

    @cached_property
    def second_factor(self) -> Any:
        from gatehouse.flows.second_factor import SecondFactor
        from gatehouse.flows.throttle import SecondFactorThrottle

        return SecondFactor(self.second_factors, self.sessions, SecondFactorThrottle(self.throttle_store, self.clock,
                                                                            self.settings),
                            self.mailer, self.clock, self.settings)

    @cached_property
    def mfa(self) -> Any:
        from gatehouse.flows.mfa import MfaManagement

        enrolments = {s.method: s for s in (self.totp, self.webauthn)}
        return MfaManagement(self.accounts, self.mfa_store, enrolments, self.recovery_codes, self.mailer,
                             self.clock, self.settings)

    @cached_property
    def login_codes(self) -> Any:
        from gatehouse.strategies.code import CodeStrategy, EmailChannel

        return CodeStrategy(self.verifications, self.clock, self.code_pepper, EmailChannel(self.mailer),
                            purpose="login_code", digits=8, ttl_seconds=self.settings.login_code_seconds,
                            max_failures=self.settings.login_code_attempts)

    @cached_property
    def code_login(self) -> Any:
        from gatehouse.flows.code_login import CodeLogin

        return CodeLogin(self.accounts, self.login_codes, self.mailer, self.message_throttle, self.settings,
                         floor=self.unknown_key_floor)

    # --- one-time codes' server secret, and the phone change ---------------------------------
    @cached_property
    def code_pepper(self) -> Any:
        from gatehouse.adapters.dynamodb import DynamoConfig
        from gatehouse.adapters.kms import KmsCodePepper

        return KmsCodePepper(self.settings, DynamoConfig(self.table))

    @cached_property
    def phone_change(self) -> Any:
        from gatehouse.flows.phone import PhoneChange

        s = self.settings
        codes = self.sms_codes("phone_change", 6, s.sms_code_seconds, s.recovery_max_attempts)
        return PhoneChange(self.accounts, codes, self.mailer, self.hasher, self.login_throttle,
                           self.message_throttle, self.clock, s)

    def sms_codes(self, purpose: str, digits: int, ttl_seconds: int, max_failures: int) -> Any:
        """A `code` strategy over SMS (the reset code, the phone verification)."""
        from gatehouse.strategies.code import CodeStrategy, SmsChannel

        return CodeStrategy(self.verifications, self.clock, self.code_pepper, SmsChannel(self.sms), purpose=purpose,
                            digits=digits, ttl_seconds=ttl_seconds, max_failures=max_failures)

    # --- single sign-on (only the sso function builds these: PyJWT is imported on first use) --------
    @cached_property
    def identity_store(self) -> Any:
        from gatehouse.adapters.dynamodb import DynamoIdentities

        return DynamoIdentities(self.table)

    @cached_property
    def http_client(self) -> Any:
        from gatehouse.adapters.http import UrllibHttp

        # Plain http only for the local stage's loopback stand-ins.
        return UrllibHttp(allow_http=self.settings.is_local)

    @cached_property
    def sso_strategies(self) -> dict[str, Any]:
        from gatehouse.adapters.consoles import SecretsManagerJson
        from gatehouse.strategies.github import GithubStrategy
        from gatehouse.strategies.oidc import OidcStrategy

        secrets_id = self.settings.sso_secrets_id
        vault = SecretsManagerJson(self.settings, secrets_id) if secrets_id else None
        strategies: dict[str, Any] = {}
        for p in self.settings.sso_providers:
            secret = p.client_secret if p.client_secret or vault is None else vault.getter(p.name)
            kind = GithubStrategy if p.name == "github" else OidcStrategy
            strategies[p.name] = kind(p, self.http_client, secret)
        return strategies

    @cached_property
    def sso(self) -> Any:
        from gatehouse.clock import AdjustableClock, SystemClock
        from gatehouse.flows.login import Login
        from gatehouse.flows.sso import SingleSignOn

        # The local stage's movable clock (POST /dev/clock) must not expire a token the provider
        # stamped with real time a second ago: ID tokens are judged by the system clock there.
        token_clock = SystemClock() if isinstance(self.clock, AdjustableClock) else self.clock
        # The provider proves the first factor in the callback: the login flow only finishes it (no
        # strategy, no guess throttle, so this Lambda reaches neither codes nor throttles).
        login = Login({}, self.accounts, self.hasher, self.sessions, throttle=None)
        return SingleSignOn(self.sso_strategies, self.once, self.identity_store, self.accounts, login,
                            self.mailer, self.clock, self.settings, token_clock=token_clock)

    @cached_property
    def linked_identities(self) -> Any:
        from gatehouse.flows.sso import LinkedIdentities

        return LinkedIdentities(self.identity_store, self.mailer, self.clock, self.settings)


@cache
def container() -> Container:
    """The process's container: one per cold start."""
    return Container(settings_module.load())


def second_factor_types() -> tuple[type, ...]:
    """The classes of the registered second factors, for what must be known before any container
    exists (`/mfa/verify`'s request model: its methods and each one's answer field)."""
    from gatehouse.strategies.recovery_codes import RecoveryCodeStrategy
    from gatehouse.strategies.totp import TotpStrategy
    from gatehouse.strategies.webauthn import WebAuthnStrategy

    return (TotpStrategy, WebAuthnStrategy, RecoveryCodeStrategy)


def second_factor_answers() -> dict[str, str]:
    """Each second factor's method and the request field its answer comes in."""
    return {cls.method: cls.answer for cls in second_factor_types()}  # type: ignore[attr-defined]
