"""Typed settings: the one place that reads the environment.

Every other module receives a `Settings` (through `bootstrap`), so a flow can be tested with any
value without touching `os.environ`, and a Lambda parses its environment once per cold start.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from datetime import UTC, datetime
from typing import Any, cast, get_type_hints


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


def _parse(variable: str, kind: object, raw: str) -> object:
    """One variable's text as its field's type; a bad value names its variable at cold start."""
    try:
        if kind is int:
            return int(raw)
        if kind is bool:
            if raw.strip().lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                raise ValueError("expected true or false")
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if kind is datetime:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if kind == tuple[ConsoleConfig, ...]:
            return tuple(ConsoleConfig(**c) for c in json.loads(raw))
        if kind == tuple[SsoProvider, ...]:
            return tuple(SsoProvider(**{**p, "issuers": tuple(p.get("issuers", ()))}) for p in json.loads(raw))
        if kind == tuple[str, ...]:
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if kind == Mapping[str, str]:
            return {str(k): str(v) for k, v in json.loads(raw).items()}
    except (ValueError, TypeError, AttributeError) as exc:
        raise SettingsError(f"{variable} is not a valid value: {exc}") from exc
    return raw


def _from_env(cls: type[Any], env: Mapping[str, str], prefix: str) -> dict[str, object]:
    """Every field of a settings dataclass from its GATEHOUSE_<FIELD> variable (a nested dataclass's
    from GATEHOUSE_<FIELD>_<ITS FIELD>); an unset or empty variable keeps the default."""
    hints = get_type_hints(cls)
    values: dict[str, object] = {}
    for f in fields(cls):
        kind = hints[f.name]
        variable = prefix + f.name.upper()
        if is_dataclass(kind):
            nested = cast("type[Any]", kind)
            values[f.name] = nested(**_from_env(nested, env, variable + "_"))
            continue
        raw = env.get(variable)
        if raw in (None, ""):
            continue
        assert raw is not None
        values[f.name] = _parse(variable, str if kind == str | None else kind, raw)
    return values


def variables() -> dict[str, str]:
    """Every setting's variable, by its dotted field name (argon2.memory_kib)."""
    def walk(cls: type[Any], prefix: str, dotted: str) -> dict[str, str]:
        found: dict[str, str] = {}
        hints = get_type_hints(cls)
        for f in fields(cls):
            if is_dataclass(hints[f.name]):
                found |= walk(hints[f.name], prefix + f.name.upper() + "_", dotted + f.name + ".")
            else:
                found[dotted + f.name] = prefix + f.name.upper()
        return found

    return walk(Settings, _PREFIX, "")


def environment(settings: Settings) -> dict[str, str]:
    """The variables that load() reads back as these settings (a test's or a template's environment)."""
    def text(value: object) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, Mapping):
            return json.dumps(dict(value))
        if isinstance(value, tuple) and value and all(isinstance(v, ConsoleConfig | SsoProvider) for v in value):
            return json.dumps([asdict(v) for v in value])
        if isinstance(value, tuple):
            return ",".join(str(v) for v in value)
        return "" if value is None else str(value)

    env: dict[str, str] = {}
    for dotted, variable in variables().items():
        value: object = settings
        for part in dotted.split("."):
            value = getattr(value, part)
        env[variable] = text(value)
    return env


def load(env: Mapping[str, str] | None = None) -> Settings:
    """Parse the environment once: every field has its GATEHOUSE_<FIELD> variable (see variables());
    missing values keep the defaults above."""
    env = os.environ if env is None else env
    values = _from_env(Settings, env, _PREFIX)
    stage = str(values.get("stage", Settings.stage))
    # Lambda sets AWS_REGION; the local stage talks to its embedded moto unless told otherwise.
    values.setdefault("region", env.get("AWS_REGION") or Settings.region)
    if stage == "local":
        values.setdefault("aws_endpoint_url", LOCAL_MOTO_URL)
        values.setdefault("console_secrets", LOCAL_CONSOLE_SECRETS)
    elif values.get("console_secrets"):
        # Anyone who may read the function's configuration reads its environment: deployed, the
        # secrets come from Secrets Manager (GATEHOUSE_CONSOLE_SECRETS_ID) only.
        raise SettingsError(f"{_PREFIX}CONSOLE_SECRETS is for the local stage only: the {stage!r} stage reads "
                            f"its console secrets from Secrets Manager ({_PREFIX}CONSOLE_SECRETS_ID)")
    if isinstance(url := values.get("public_base_url"), str):
        values["public_base_url"] = url.rstrip("/")
    # The SSO providers: the local stand-ins, or the public ones for the client ids a stage was given.
    values["sso_providers"] = _sso_providers(env, stage)
    settings = Settings(**values)  # type: ignore[arg-type]
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
