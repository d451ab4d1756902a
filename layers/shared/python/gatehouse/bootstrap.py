"""The one composition root: settings -> adapters -> flows, built once per cold start.

Each part is built on first use, so a Lambda only pays (imports, clients) for what its own flow
touches: the login function never imports webauthn, the notifier never builds a password hasher.
Tests build a `Container` over fakes with `Container.in_memory()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

from gatehouse import settings as settings_module
from gatehouse.settings import Settings

if TYPE_CHECKING:
    from gatehouse.adapters.bulk_mail import BulkMailer
    from gatehouse.adapters.dynamodb import Table
    from gatehouse.domain.password_policy import PasswordPolicy
    from gatehouse.flows.account import AccountSettings
    from gatehouse.flows.api_keys import ApiKeys
    from gatehouse.flows.code_login import CodeLogin
    from gatehouse.flows.consoles import Consoles
    from gatehouse.flows.login import Login, LoginStrategy
    from gatehouse.flows.mfa import MfaManagement
    from gatehouse.flows.notifier import Notifier
    from gatehouse.flows.organization import Organization
    from gatehouse.flows.phone import PhoneChange
    from gatehouse.flows.recovery import Recovery
    from gatehouse.flows.recovery_requests import RecoveryRequests
    from gatehouse.flows.resources import ConsoleResources
    from gatehouse.flows.second_factor import SecondFactor, SecondFactorStrategy
    from gatehouse.flows.sessions import SessionService
    from gatehouse.flows.signup import Signup
    from gatehouse.flows.sso import LinkedIdentities, SignInStrategy, SingleSignOn
    from gatehouse.flows.throttle import GuessThrottle, MessageThrottle
    from gatehouse.flows.unification import Unification
    from gatehouse.flows.unifier import Unifier
    from gatehouse.pacing import ResponseFloor
    from gatehouse.ports import (
        AccountRepository,
        ApiKeyStore,
        Clock,
        CodePepper,
        ConsoleAuthenticator,
        ConsoleRoundTrips,
        DocumentStore,
        HttpClient,
        IdentityStore,
        KeyVault,
        LoginRoundTrips,
        Mailer,
        MfaStore,
        OneTimeStore,
        OrganizationStore,
        Outbox,
        RecordGrouper,
        RecoveryRequestStore,
        ResourceStore,
        SecondFactorRoundTrips,
        SessionRepository,
        SessionRoundTrips,
        SmsSender,
        ThrottleStore,
        UnificationStore,
        VerificationStore,
    )
    from gatehouse.strategies.code import CodeStrategy
    from gatehouse.strategies.password import PasswordHasher
    from gatehouse.strategies.recovery_codes import RecoveryCodeStrategy
    from gatehouse.strategies.totp import TotpStrategy
    from gatehouse.strategies.webauthn import WebAuthnStrategy


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
            "stores": Stores.memory(), "clock": memory.FakeClock(), "mailer": memory.FakeMailer(),
            "sms": memory.FakeSms(), "key_vault": memory.FakeKeyVault(),
        }
        from gatehouse.adapters.bulk_mail import FakeBulkMailer

        parts["bulk_mailer"], parts["documents"] = FakeBulkMailer(), memory.FakeDocuments()
        parts["code_pepper"] = memory.FakeCodePepper()
        from gatehouse.adapters.memory.record_grouper import FakeRecordGrouper

        parts["record_grouper"] = FakeRecordGrouper()
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
    def table(self) -> Table:
        from gatehouse.adapters.dynamodb import Table

        return Table(self.settings)

    @cached_property
    def stores(self) -> Stores:
        """Every store of one backend, chosen here (and in `in_memory`): each store part reads it."""
        return Stores.dynamodb(self.table)

    @cached_property
    def accounts(self) -> AccountRepository:
        return self.stores.accounts

    @cached_property
    def session_store(self) -> SessionRepository:
        return self.stores.session_store

    @cached_property
    def once(self) -> OneTimeStore:
        return self.stores.once

    # The round trips of the stores, unless a store they span was replaced (a test's override):
    # then each port answers for itself.
    @cached_property
    def login_trips(self) -> LoginRoundTrips | None:
        ours = (self.accounts is self.stores.accounts and self.session_store is self.stores.session_store
                and self.throttle_store is self.stores.throttle_store)
        return self.stores.login_trips if ours else None

    @cached_property
    def session_trips(self) -> SessionRoundTrips | None:
        ours = self.accounts is self.stores.accounts and self.session_store is self.stores.session_store
        return self.stores.session_trips if ours else None

    @cached_property
    def second_factor_trips(self) -> SecondFactorRoundTrips | None:
        ours = (self.mfa_store is self.stores.mfa_store and self.session_store is self.stores.session_store
                and self.throttle_store is self.stores.throttle_store)
        return self.stores.second_factor_trips if ours else None

    @cached_property
    def console_trips(self) -> ConsoleRoundTrips | None:
        ours = self.session_store is self.stores.session_store and self.once is self.stores.once
        return self.stores.console_trips if ours else None

    @cached_property
    def throttle_store(self) -> ThrottleStore:
        return self.stores.throttle_store

    @cached_property
    def outbox(self) -> Outbox:
        return self.stores.outbox

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
    def password_policy(self) -> PasswordPolicy:
        from gatehouse.domain.password_policy import PasswordPolicy
        from gatehouse.strategies.password import common_passwords

        return PasswordPolicy(self.settings.password_min_length, self.settings.password_max_length,
                              common_passwords)

    # --- flows ----------------------------------------------------------------------------
    @cached_property
    def sessions(self) -> SessionService:
        from gatehouse.flows.sessions import SessionService

        return SessionService(self.session_store, self.accounts, self.clock, self.settings,
                              round_trips=self.session_trips)

    @cached_property
    def login_throttle(self) -> GuessThrottle:
        from gatehouse.flows.throttle import GuessThrottle

        return GuessThrottle(self.throttle_store, self.clock, self.settings)

    @cached_property
    def message_throttle(self) -> MessageThrottle:
        from gatehouse.flows.throttle import MessageThrottle

        return MessageThrottle(self.throttle_store, self.clock)

    @cached_property
    def login_strategies(self) -> dict[str, LoginStrategy]:
        """The login flow's registry of first factors: a new credential type is one more line here."""
        from gatehouse.strategies.code import EmailCodeLogin
        from gatehouse.strategies.legacy_identifier import LegacyIdentifierLogin
        from gatehouse.strategies.password import PasswordLogin
        from gatehouse.strategies.webauthn import PasskeyLogin

        return {s.method: s for s in (
            PasswordLogin(self.accounts, self.hasher, reads=self.login_trips),
            EmailCodeLogin(self.accounts, self.login_codes),
            PasskeyLogin(self.accounts, self.webauthn),
            LegacyIdentifierLogin(self.accounts, self.hasher),
        )}

    @cached_property
    def login(self) -> Login:
        from gatehouse.flows.login import Login

        return Login(self.login_strategies, self.accounts, self.hasher, self.sessions, self.login_throttle,
                     trips=self.login_trips)

    @cached_property
    def signup(self) -> Signup:
        from gatehouse.flows.signup import Signup

        return Signup(self.accounts, self.once, self.mailer, self.hasher, self.password_policy, self.clock,
                      self.message_throttle, self.settings, floor=self.unknown_key_floor,
                      flows=self.verifications)

    @cached_property
    def account_settings(self) -> AccountSettings:
        from gatehouse.flows.account import AccountSettings

        return AccountSettings(self.accounts, self.once, self.sessions, self.mailer, self.hasher,
                               self.password_policy, self.clock, self.settings, throttle=self.message_throttle,
                               flows=self.verifications)

    @cached_property
    def consoles(self) -> Consoles:
        from gatehouse.flows.consoles import Consoles

        return Consoles(self.accounts, self.once, self.sessions, self.clock, self.settings,
                        organizations=self.organization_store, resources=self.resource_store,
                        trips=self.console_trips)

    @cached_property
    def recovery(self) -> Recovery:
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
    def reset_floor(self) -> ResponseFloor:
        from gatehouse.pacing import ResponseFloor

        return ResponseFloor(self.settings.reset_response_floor_ms / 1000)

    @cached_property
    def unknown_key_floor(self) -> ResponseFloor:
        """Sign-in codes and sign-ups: see `Settings.unknown_key_floor_ms`."""
        from gatehouse.pacing import ResponseFloor

        return ResponseFloor(self.settings.unknown_key_floor_ms / 1000)

    # --- unification ------------------------------------------------------------------------
    @cached_property
    def unification_store(self) -> UnificationStore:
        return self.stores.unification_store

    @cached_property
    def bulk_mailer(self) -> BulkMailer:
        from gatehouse.adapters.bulk_mail import RecordingBulkMailer, SesBulkMailer

        ses = SesBulkMailer(self.settings)
        return RecordingBulkMailer(ses, self.outbox, self.clock) if self.settings.is_local else ses

    @cached_property
    def unification(self) -> Unification:
        from gatehouse.flows.unification import Unification

        return Unification(self.unification_store, self.accounts, self.clock, self.settings, self.record_grouper)

    @cached_property
    def record_grouper(self) -> RecordGrouper:
        """The planner's grouping: a scratch SQLite file (Lambda's /tmp, an operator's temp dir)."""
        from gatehouse.adapters.sqlite_grouper import SqliteRecordGrouper

        return SqliteRecordGrouper()

    @cached_property
    def unifier(self) -> Unifier:
        from gatehouse.flows.unifier import Unifier

        return Unifier(self.unification_store, self.accounts, self.clock, self.settings,
                       api_keys=self.api_key_store, factors=self.second_factors, resources=self.resource_store)

    @cached_property
    def unification_notifier(self) -> Notifier:
        from gatehouse.flows.notifier import Notifier

        return Notifier(self.unification_store, self.bulk_mailer, self.clock, self.settings)

    # --- API keys ---------------------------------------------------------------------------
    @cached_property
    def api_key_store(self) -> ApiKeyStore:
        return self.stores.api_key_store

    @cached_property
    def api_keys(self) -> ApiKeys:
        from gatehouse.flows.api_keys import ApiKeys

        return ApiKeys(self.api_key_store, self.mailer, self.clock, self.settings)

    # --- recovery requests (support) ----------------------------------------------------------
    @cached_property
    def recovery_request_store(self) -> RecoveryRequestStore:
        return self.stores.recovery_request_store

    @cached_property
    def documents(self) -> DocumentStore:
        from gatehouse.adapters.documents import S3Documents

        return S3Documents(self.settings)

    @cached_property
    def recovery_requests(self) -> RecoveryRequests:
        from gatehouse.flows.recovery_requests import RecoveryRequests
        from gatehouse.flows.throttle import MessageThrottle

        throttle = MessageThrottle(self.throttle_store, self.clock, limit=self.settings.recovery_requests_per_ip)
        return RecoveryRequests(self.recovery_request_store, self.documents, self.accounts, self.recovery,
                                self.sessions, self.mailer, throttle, self.clock, sms=self.sms, once=self.once,
                                settings=self.settings, floor=self.reset_floor, flows=self.verifications)

    # --- organization members and outsourcing ----------------------------------------------
    @cached_property
    def organization_store(self) -> OrganizationStore:
        return self.stores.organization_store

    @cached_property
    def organization(self) -> Organization:
        from gatehouse.flows.organization import Organization

        return Organization(self.organization_store, self.accounts, self.mailer, self.clock, self.settings,
                            throttle=self.throttle_store, resources=self.resource_store)

    # --- the resources the consoles register -----------------------------------------------
    @cached_property
    def resource_store(self) -> ResourceStore:
        return self.stores.resource_store

    @cached_property
    def console_resources(self) -> ConsoleResources:
        from gatehouse.flows.resources import ConsoleResources

        return ConsoleResources(self.resource_store, self.accounts, self.settings)

    # --- second factors and passwordless login ---------------------------------------------
    @cached_property
    def key_vault(self) -> KeyVault:
        from gatehouse.adapters.kms import KmsKeyVault

        return KmsKeyVault(self.settings)

    @cached_property
    def mfa_store(self) -> MfaStore:
        return self.stores.mfa_store

    @cached_property
    def verifications(self) -> VerificationStore:
        return self.stores.verifications

    @cached_property
    def totp(self) -> TotpStrategy:
        from gatehouse.strategies.totp import TotpStrategy

        return TotpStrategy(self.mfa_store, self.key_vault, self.once, self.clock, self.settings)

    @cached_property
    def webauthn(self) -> WebAuthnStrategy:
        from gatehouse.strategies.webauthn import WebAuthnStrategy  # imports py_webauthn only when used

        return WebAuthnStrategy(self.mfa_store, self.once, self.clock, self.settings)

    @cached_property
    def recovery_codes(self) -> RecoveryCodeStrategy:
        from gatehouse.strategies.recovery_codes import RecoveryCodeStrategy

        return RecoveryCodeStrategy(self.mfa_store)

    @cached_property
    def second_factors(self) -> dict[str, SecondFactorStrategy]:
        """The registry of second factors (`/mfa/verify`, the unifier's migrated ones): one entry per
        type, of a class that `second_factor_types` lists."""
        registry: dict[str, SecondFactorStrategy] = {s.method: s for s in (self.totp, self.webauthn,
                                                                           self.recovery_codes)}
        if set(registry) != set(second_factor_answers()):
            raise RuntimeError("a second factor must be listed in second_factor_types too")
        return registry

    @cached_property
    def second_factor(self) -> SecondFactor:
        from gatehouse.flows.second_factor import SecondFactor
        from gatehouse.flows.throttle import SecondFactorThrottle

        return SecondFactor(self.second_factors, self.sessions, SecondFactorThrottle(self.throttle_store, self.clock,
                                                                            self.settings),
                            self.mailer, self.clock, self.settings, trips=self.second_factor_trips)

    @cached_property
    def mfa(self) -> MfaManagement:
        from gatehouse.flows.mfa import MfaManagement

        enrolments = {s.method: s for s in (self.totp, self.webauthn)}
        return MfaManagement(self.accounts, self.mfa_store, enrolments, self.recovery_codes, self.mailer,
                             self.clock, self.settings)

    @cached_property
    def login_codes(self) -> CodeStrategy:
        from gatehouse.strategies.code import CodeStrategy, EmailChannel

        return CodeStrategy(self.verifications, self.clock, self.code_pepper, EmailChannel(self.mailer),
                            purpose="login_code", digits=8, ttl_seconds=self.settings.login_code_seconds,
                            max_failures=self.settings.login_code_attempts)

    @cached_property
    def code_login(self) -> CodeLogin:
        from gatehouse.flows.code_login import CodeLogin

        return CodeLogin(self.accounts, self.login_codes, self.mailer, self.message_throttle, self.settings,
                         floor=self.unknown_key_floor)

    # --- one-time codes' server secret, and the phone change ---------------------------------
    @cached_property
    def code_pepper(self) -> CodePepper:
        from gatehouse.adapters.code_pepper import KmsCodePepper
        from gatehouse.adapters.dynamodb import DynamoConfig

        return KmsCodePepper(self.settings, DynamoConfig(self.table))

    @cached_property
    def phone_change(self) -> PhoneChange:
        from gatehouse.flows.phone import PhoneChange

        s = self.settings
        codes = self.sms_codes("phone_change", 6, s.sms_code_seconds, s.recovery_max_attempts)
        return PhoneChange(self.accounts, codes, self.mailer, self.hasher, self.login_throttle,
                           self.message_throttle, self.clock, s)

    def sms_codes(self, purpose: str, digits: int, ttl_seconds: int, max_failures: int) -> CodeStrategy:
        """A `code` strategy over SMS (the reset code, the phone verification)."""
        from gatehouse.strategies.code import CodeStrategy, SmsChannel

        return CodeStrategy(self.verifications, self.clock, self.code_pepper, SmsChannel(self.sms), purpose=purpose,
                            digits=digits, ttl_seconds=ttl_seconds, max_failures=max_failures)

    # --- single sign-on (only the sso function builds these: PyJWT is imported on first use) --------
    @cached_property
    def identity_store(self) -> IdentityStore:
        return self.stores.identity_store

    @cached_property
    def http_client(self) -> HttpClient:
        from gatehouse.adapters.http import UrllibHttp

        # Plain http only for the local stage's loopback stand-ins.
        return UrllibHttp(allow_http=self.settings.is_local)

    @cached_property
    def sso_strategies(self) -> dict[str, SignInStrategy]:
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
    def sso(self) -> SingleSignOn:
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
    def linked_identities(self) -> LinkedIdentities:
        from gatehouse.flows.sso import LinkedIdentities

        return LinkedIdentities(self.identity_store, self.mailer, self.clock, self.settings)


@dataclass(frozen=True)
class Stores:
    """The store ports of one backend, DynamoDB or in memory: built together, so that a container
    never mixes a fake with a table."""

    accounts: AccountRepository
    session_store: SessionRepository
    once: OneTimeStore
    throttle_store: ThrottleStore
    outbox: Outbox
    unification_store: UnificationStore
    api_key_store: ApiKeyStore
    recovery_request_store: RecoveryRequestStore
    organization_store: OrganizationStore
    mfa_store: MfaStore
    verifications: VerificationStore
    resource_store: ResourceStore
    identity_store: IdentityStore
    login_trips: LoginRoundTrips | None = None
    session_trips: SessionRoundTrips | None = None
    console_trips: ConsoleRoundTrips | None = None
    second_factor_trips: SecondFactorRoundTrips | None = None

    @classmethod
    def dynamodb(cls, table: Table) -> Stores:
        from gatehouse.adapters import dynamodb

        return cls(accounts=dynamodb.DynamoAccounts(table), session_store=dynamodb.DynamoSessions(table),
                   once=dynamodb.DynamoOneTime(table), throttle_store=dynamodb.DynamoThrottle(table),
                   outbox=dynamodb.DynamoOutbox(table),
                   unification_store=dynamodb.DynamoUnification(table), api_key_store=dynamodb.DynamoApiKeys(table),
                   recovery_request_store=dynamodb.DynamoRecoveryRequests(table),
                   organization_store=dynamodb.DynamoOrganizations(table), mfa_store=dynamodb.DynamoMfa(table),
                   verifications=dynamodb.DynamoVerifications(table), resource_store=dynamodb.DynamoResources(table),
                   identity_store=dynamodb.DynamoIdentities(table), login_trips=dynamodb.DynamoLoginRoundTrips(table),
                   session_trips=dynamodb.DynamoSessionRoundTrips(table),
                   console_trips=dynamodb.DynamoConsoleRoundTrips(table),
                   second_factor_trips=dynamodb.DynamoSecondFactorRoundTrips(table))

    @classmethod
    def memory(cls) -> Stores:
        from gatehouse.adapters import memory
        from gatehouse.adapters.memory import round_trips

        accounts, sessions, once, throttle = (memory.MemoryAccounts(), memory.MemorySessions(), memory.MemoryOneTime(),
                                              memory.MemoryThrottle())
        mfa = memory.MemoryMfa()
        mfa.accounts = accounts  # add_many's "has its account been made yet"
        return cls(accounts=accounts, session_store=sessions, once=once, throttle_store=throttle,
                   login_trips=round_trips.MemoryLoginRoundTrips(accounts, sessions, throttle),
                   session_trips=round_trips.MemorySessionRoundTrips(accounts, sessions),
                   console_trips=round_trips.MemoryConsoleRoundTrips(sessions, once),
                   second_factor_trips=round_trips.MemorySecondFactorRoundTrips(mfa, sessions, throttle),
                   mfa_store=mfa,
                   outbox=memory.MemoryOutbox(),
                   unification_store=memory.MemoryUnification(), api_key_store=memory.MemoryApiKeys(),
                   recovery_request_store=memory.MemoryRecoveryRequests(),
                   organization_store=memory.MemoryOrganizations(),
                   verifications=memory.MemoryVerifications(), resource_store=memory.MemoryResources(),
                   identity_store=memory.MemoryIdentities())


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
