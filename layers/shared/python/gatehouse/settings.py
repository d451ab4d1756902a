"""Typed settings: the one place that reads the environment.

Every other module receives a `Settings` (through `bootstrap`), so a flow can be tested with any
value without touching `os.environ`, and a Lambda parses its environment once per cold start.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime


@dataclass(frozen=True)
class ConsoleConfig:
    """A console that trusts Gatehouse: where users are sent, and how it authenticates to us."""

    id: str
    name: str
    url: str


@dataclass(frozen=True)
class Argon2Params:
    # OWASP's minimum for argon2id (m=19 MiB, t=2, p=1); raising any of them rehashes at next login.
    memory_kib: int = 19456
    time_cost: int = 2
    parallelism: int = 1


@dataclass(frozen=True)
class SsoProvider:
    """One identity provider, configured per stage. `name` (google, microsoft, github) picks the rules
    of SSO.md: which claims key an identity and which email can be trusted."""

    name: str
    client_id: str
    authorization_endpoint: str
    token_endpoint: str
    # OpenID Connect: the accepted `iss` values, compared exactly. Google has two forms; Microsoft's
    # one holds "{tenantid}", replaced by the token's own GUID `tid` before comparing.
    issuers: tuple[str, ...] = ()
    jwks_uri: str = ""
    # GitHub (OAuth 2.0, no ID token): the REST API's base, for /user and /user/emails.
    api_url: str = ""
    scope: str = "openid email profile"
    # The local stage's static secret; elsewhere it comes from the secret store (`sso_secrets_id`).
    client_secret: str | None = None

    @property
    def is_oidc(self) -> bool:
        return self.name != "github"


MICROSOFT_ISSUER_TEMPLATE = "https://login.microsoftonline.com/{tenantid}/v2.0"


def public_sso_providers(ids: Mapping[str, str]) -> tuple[SsoProvider, ...]:
    """The real providers, for the client ids a stage registered with them (absent ones are off)."""
    known = {
        "google": SsoProvider(
            "google", "", "https://accounts.google.com/o/oauth2/v2/auth", "https://oauth2.googleapis.com/token",
            issuers=("https://accounts.google.com", "accounts.google.com"),
            jwks_uri="https://www.googleapis.com/oauth2/v3/certs"),
        "microsoft": SsoProvider(
            "microsoft", "", "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
            "https://login.microsoftonline.com/common/oauth2/v2.0/token", issuers=(MICROSOFT_ISSUER_TEMPLATE,),
            jwks_uri="https://login.microsoftonline.com/common/discovery/v2.0/keys"),
        "github": SsoProvider(
            "github", "", "https://github.com/login/oauth/authorize", "https://github.com/login/oauth/access_token",
            api_url="https://api.github.com", scope="read:user user:email"),
    }
    return tuple(replace(known[name], client_id=client_id) for name, client_id in ids.items() if client_id)


LOCAL_OIDC_URL = "http://127.0.0.1:5556"
LOCAL_GITHUB_URL = "http://127.0.0.1:5557"


def local_sso_providers(oidc_url: str = LOCAL_OIDC_URL, github_url: str = LOCAL_GITHUB_URL
                        ) -> tuple[SsoProvider, ...]:
    """The local stand-ins `gatehouse.local` starts: oidc-provider as Google and as a two-tenant
    Microsoft, and the GitHub fake; their clients and secrets are those of local/oidc/users.json."""
    ms = f"{oidc_url}/microsoft"
    return (
        SsoProvider("google", "gatehouse-local", f"{oidc_url}/google/auth", f"{oidc_url}/google/token",
                    issuers=(f"{oidc_url}/google",), jwks_uri=f"{oidc_url}/google/jwks",
                    client_secret="local-google-secret"),
        SsoProvider("microsoft", "gatehouse-local", f"{ms}/common/oauth2/v2.0/authorize",
                    f"{ms}/common/oauth2/v2.0/token", issuers=(f"{ms}/{{tenantid}}/v2.0",),
                    jwks_uri=f"{ms}/common/discovery/v2.0/keys", client_secret="local-microsoft-secret"),
        SsoProvider("github", "gatehouse-local", f"{github_url}/login/oauth/authorize",
                    f"{github_url}/login/oauth/access_token", api_url=github_url, scope="read:user user:email",
                    client_secret="local-github-secret"),
    )


@dataclass(frozen=True)
class Settings:
    stage: str = "local"
    region: str = "eu-west-3"
    table_name: str = "gatehouse"
    # Set on the local stage only: every AWS call then goes to the embedded moto server.
    aws_endpoint_url: str | None = None
    public_base_url: str = "http://localhost:8000"
    allowed_origins: tuple[str, ...] = ("http://localhost:8000",)
    mail_from: str = "no-reply@gatehouse.local"
    consoles: tuple[ConsoleConfig, ...] = (
        ConsoleConfig("scaleway", "Scaleway", "http://localhost:8000/dev/console/scaleway"),
        ConsoleConfig("dedibox", "Dedibox", "http://localhost:8000/dev/console/dedibox"),
    )
    # Local stage: static console secrets. Elsewhere: the name of a Secrets Manager secret holding
    # {"scaleway": "...", "dedibox": "..."}.
    console_secrets: Mapping[str, str] = field(default_factory=dict)
    console_secrets_id: str | None = None
    kms_key_id: str = "alias/gatehouse"
    documents_bucket: str = "gatehouse-documents"
    argon2: Argon2Params = Argon2Params()
    password_min_length: int = 8
    password_max_length: int = 256
    session_idle_seconds: int = 60 * 60
    session_absolute_seconds: int = 24 * 60 * 60
    # Writing last_seen_at on every request would double the cost of every call; a minute is
    # precise enough for an idle timeout of an hour.
    session_touch_seconds: int = 60
    email_link_seconds: int = 30 * 60
    # Password recovery: an SMS code lives 10 minutes and 5 wrong codes kill its flow; at most 5
    # reset messages per account per hour, and a looser per-source-IP cap (offices share NATs).
    sms_code_seconds: int = 10 * 60
    recovery_max_attempts: int = 5
    reset_messages_per_account: int = 5
    reset_messages_per_ip: int = 60
    # A reset request answers no sooner than this after it began, whichever path it took (an
    # unknown key skips the SES/SNS call): above the known path's slow tail.
    reset_response_floor_ms: int = 400
    # The same for a sign-in code and a sign-up, whose unknown (or taken) address skips a write:
    # above the slow tail of the longer path (a read, a write and the SES call, after the hash).
    unknown_key_floor_ms: int = 400
    handoff_code_seconds: int = 60
    login_failures_before_backoff: int = 5
    login_backoff_max_seconds: int = 15 * 60
    login_failures_before_reset: int = 100
    # Per source IP: loose, because an office behind one NAT shares an address.
    ip_failures_per_window: int = 300
    ip_window_seconds: int = 15 * 60
    max_body_bytes: int = 64 * 1024
    webauthn_rp_id: str = "localhost"
    webauthn_rp_name: str = "Gatehouse"
    webauthn_origin: str = "http://localhost:8000"
    webauthn_challenge_seconds: int = 5 * 60
    totp_enrolment_seconds: int = 15 * 60
    login_code_seconds: int = 10 * 60
    login_code_attempts: int = 5
    # Managing factors of an account that has one needs a sign-in at most this old.
    mfa_reauth_seconds: int = 10 * 60
    mfa_failures_before_warning: int = 3
    # Second-factor failures per account back off up to this, never to a lock: whoever fails them
    # knows the password, and a lock would let them keep the owner out.
    mfa_backoff_max_seconds: int = 15 * 60
    api_keys_per_account: int = 50
    # Member invitations and outsourcing grants together, per owner account and UTC day: each
    # emails a third party, so an account cannot be made to mail strangers in bulk.
    invitations_per_day: int = 20
    # Resources a console registers in one context (PUT /consoles/resources); each is its own item.
    resources_per_context: int = 10_000
    # Manual recovery requests (with documents) from one source IP, per hour.
    recovery_requests_per_ip: int = 10
    # An approved recovery request takes effect after this hold, announced to the old address and
    # phone with a link that cancels it: an owner who did not ask has three days to say so.
    recovery_hold_seconds: int = 72 * 60 * 60
    # Identity documents are personal data: deleted this long after the decision.
    recovery_documents_retention_seconds: int = 30 * 24 * 60 * 60
    legacy_cutoff: datetime = datetime(2025, 10, 28, tzinfo=UTC)
    log_level: str = "INFO"
    sso_providers: tuple[SsoProvider, ...] = field(default_factory=local_sso_providers)
    # Outside `local`: a Secrets Manager secret holding {"google": "...", "microsoft": "...", "github": "..."}.
    sso_secrets_id: str | None = None
    sso_transaction_seconds: int = 10 * 60

    @property
    def is_local(self) -> bool:
        return self.stage == "local"

    @property
    def cookie_secure(self) -> bool:
        return not self.is_local

    def console(self, console_id: str) -> ConsoleConfig | None:
        return next((c for c in self.consoles if c.id == console_id), None)

    def sso_provider(self, name: str) -> SsoProvider | None:
        return next((p for p in self.sso_providers if p.name == name), None)

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


_PREFIX = "GATEHOUSE_"

LOCAL_MOTO_URL = "http://127.0.0.1:5555"
LOCAL_CONSOLE_SECRETS = {"scaleway": "local-scaleway-secret", "dedibox": "local-dedibox-secret"}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(_PREFIX + name)
    return default if raw in (None, "") else int(raw)


def load(env: Mapping[str, str] | None = None) -> Settings:
    """Parse the environment once; missing values keep the defaults above."""
    env = os.environ if env is None else env
    base = Settings()
    stage = env.get(_PREFIX + "STAGE", base.stage)
    consoles = base.consoles
    if raw := env.get(_PREFIX + "CONSOLES"):
        consoles = tuple(ConsoleConfig(**c) for c in json.loads(raw))
    origins = tuple(o for o in env.get(_PREFIX + "ALLOWED_ORIGINS", "").split(",") if o) or base.allowed_origins
    cutoff = base.legacy_cutoff
    if raw := env.get(_PREFIX + "LEGACY_CUTOFF"):
        cutoff = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    settings = Settings(
        stage=stage,
        region=env.get(_PREFIX + "REGION") or env.get("AWS_REGION") or base.region,
        table_name=env.get(_PREFIX + "TABLE_NAME", base.table_name),
        aws_endpoint_url=env.get(_PREFIX + "AWS_ENDPOINT_URL") or (LOCAL_MOTO_URL if stage == "local" else None),
        public_base_url=env.get(_PREFIX + "PUBLIC_BASE_URL", base.public_base_url).rstrip("/"),
        allowed_origins=origins,
        mail_from=env.get(_PREFIX + "MAIL_FROM", base.mail_from),
        consoles=consoles,
        console_secrets=LOCAL_CONSOLE_SECRETS if stage == "local" else {},
        console_secrets_id=env.get(_PREFIX + "CONSOLE_SECRETS_ID") or None,
        kms_key_id=env.get(_PREFIX + "KMS_KEY_ID", base.kms_key_id),
        documents_bucket=env.get(_PREFIX + "DOCUMENTS_BUCKET", base.documents_bucket),
        argon2=Argon2Params(
            memory_kib=_int(env, "ARGON2_MEMORY_KIB", base.argon2.memory_kib),
            time_cost=_int(env, "ARGON2_TIME_COST", base.argon2.time_cost),
            parallelism=_int(env, "ARGON2_PARALLELISM", base.argon2.parallelism),
        ),
        password_min_length=_int(env, "PASSWORD_MIN_LENGTH", base.password_min_length),
        unknown_key_floor_ms=_int(env, "UNKNOWN_KEY_FLOOR_MS", base.unknown_key_floor_ms),
        session_idle_seconds=_int(env, "SESSION_IDLE_SECONDS", base.session_idle_seconds),
        session_absolute_seconds=_int(env, "SESSION_ABSOLUTE_SECONDS", base.session_absolute_seconds),
        recovery_hold_seconds=_int(env, "RECOVERY_HOLD_SECONDS", base.recovery_hold_seconds),
        recovery_documents_retention_seconds=_int(env, "RECOVERY_DOCUMENTS_RETENTION_SECONDS",
                                                  base.recovery_documents_retention_seconds),
        login_failures_before_backoff=_int(
            env, "LOGIN_FAILURES_BEFORE_BACKOFF", base.login_failures_before_backoff
        ),
        ip_failures_per_window=_int(env, "IP_FAILURES_PER_WINDOW", base.ip_failures_per_window),
        reset_messages_per_ip=_int(env, "RESET_MESSAGES_PER_IP", base.reset_messages_per_ip),
        reset_response_floor_ms=_int(env, "RESET_RESPONSE_FLOOR_MS", base.reset_response_floor_ms),
        mfa_backoff_max_seconds=_int(env, "MFA_BACKOFF_MAX_SECONDS", base.mfa_backoff_max_seconds),
        webauthn_rp_id=env.get(_PREFIX + "WEBAUTHN_RP_ID", base.webauthn_rp_id),
        webauthn_origin=env.get(_PREFIX + "WEBAUTHN_ORIGIN", base.webauthn_origin),
        legacy_cutoff=cutoff,
        invitations_per_day=_int(env, "INVITATIONS_PER_DAY", base.invitations_per_day),
        resources_per_context=_int(env, "RESOURCES_PER_CONTEXT", base.resources_per_context),
        log_level=env.get(_PREFIX + "LOG_LEVEL", base.log_level),
        sso_providers=_sso_providers(env, stage),
        sso_secrets_id=env.get(_PREFIX + "SSO_SECRETS_ID") or None,
    )
    check_deployable(settings)
    return settings


class SettingsError(ValueError):
    """A deployed stage's settings are unusable: raised at cold start, before any request."""


# Hosts that only the local stage may name.
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}  # noqa: S104 (compared, never bound)


def _local_host(value: str) -> bool:
    from urllib.parse import urlsplit

    host = ((urlsplit(value).hostname or "") if "//" in value else value.rpartition("@")[2]).lower()
    return host in _LOCAL_HOSTS or host.endswith((".localhost", ".local"))


def local_defaults(settings: Settings) -> list[tuple[str, str, str]]:
    """(setting, its variable, its value) of every setting still at a local default or naming a local host."""
    base = Settings()
    found: list[tuple[str, str, str]] = []

    def check(name: str, variable: str, value: object, local: bool) -> None:
        if local:
            found.append((name, _PREFIX + variable, "" if value is None else str(value)))

    s = settings
    check("table_name", "TABLE_NAME", s.table_name, s.table_name == base.table_name)
    check("public_base_url", "PUBLIC_BASE_URL", s.public_base_url, _local_host(s.public_base_url))
    check("allowed_origins", "ALLOWED_ORIGINS", ",".join(s.allowed_origins),
          not s.allowed_origins or any(_local_host(o) for o in s.allowed_origins))
    check("mail_from", "MAIL_FROM", s.mail_from, s.mail_from == base.mail_from or _local_host(s.mail_from))
    check("consoles", "CONSOLES", ", ".join(c.url for c in s.consoles),
          not s.consoles or any(_local_host(c.url) for c in s.consoles))
    check("console_secrets_id", "CONSOLE_SECRETS_ID", s.console_secrets_id, not s.console_secrets_id)
    check("kms_key_id", "KMS_KEY_ID", s.kms_key_id, s.kms_key_id == base.kms_key_id)
    check("documents_bucket", "DOCUMENTS_BUCKET", s.documents_bucket, s.documents_bucket == base.documents_bucket)
    check("webauthn_rp_id", "WEBAUTHN_RP_ID", s.webauthn_rp_id, _local_host(s.webauthn_rp_id))
    check("webauthn_origin", "WEBAUTHN_ORIGIN", s.webauthn_origin, _local_host(s.webauthn_origin))
    return found


def check_deployable(settings: Settings) -> None:
    """Off the local stage, a local default would send mail as gatehouse.local, seal seeds under a key
    that does not exist or send users to localhost: refuse to start, naming every such setting."""
    if settings.is_local:
        return
    found = local_defaults(settings)
    if found:
        listed = "; ".join(f"{name} ({variable}) is {value or 'unset'}" for name, variable, value in found)
        raise SettingsError(f"the {settings.stage!r} stage cannot start with local defaults: {listed}. "
                            "Set these variables (the SAM template passes them from its parameters and resources).")


def _sso_providers(env: Mapping[str, str], stage: str) -> tuple[SsoProvider, ...]:
    """Local: the stand-ins (their URLs movable for tests). Elsewhere: the real providers for the
    client ids in GATEHOUSE_SSO_CLIENT_IDS ({"google": "...", ...}), or GATEHOUSE_SSO_PROVIDERS in full."""
    if raw := env.get(_PREFIX + "SSO_PROVIDERS"):
        return tuple(SsoProvider(**{**p, "issuers": tuple(p.get("issuers", ()))}) for p in json.loads(raw))
    if stage == "local":
        return local_sso_providers(env.get(_PREFIX + "LOCAL_OIDC_URL", LOCAL_OIDC_URL),
                                   env.get(_PREFIX + "LOCAL_GITHUB_URL", LOCAL_GITHUB_URL))
    return public_sso_providers(json.loads(env.get(_PREFIX + "SSO_CLIENT_IDS") or "{}"))
