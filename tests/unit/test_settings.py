"""A deployed stage refuses to start with a setting left at its local default (settings.load at cold start)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import fields, is_dataclass, replace
from datetime import UTC, datetime

import pytest
from gatehouse.settings import Argon2Params, Settings, SettingsError, environment, load, variables

DEPLOYED = {
    "GATEHOUSE_TABLE_NAME": "gatehouse-prod-Table-1X2Y3Z",
    "GATEHOUSE_PUBLIC_BASE_URL": "https://accounts.example.net",
    "GATEHOUSE_ALLOWED_ORIGINS": "https://accounts.example.net",
    "GATEHOUSE_MAIL_FROM": "no-reply@accounts.example.net",
    "GATEHOUSE_CONSOLES": json.dumps([{"id": "scaleway", "name": "Scaleway", "url": "https://console.example.net"},
                                      {"id": "dedibox", "name": "Dedibox", "url": "https://dedibox.example.net"}]),
    "GATEHOUSE_CONSOLE_SECRETS_ID": "arn:aws:secretsmanager:eu-west-3:123456789012:secret:gatehouse/prod/console",
    "GATEHOUSE_KMS_KEY_ID": "arn:aws:kms:eu-west-3:123456789012:key/0000-1111",
    "GATEHOUSE_DOCUMENTS_BUCKET": "gatehouse-prod-documentsbucket-abc",
    "GATEHOUSE_WEBAUTHN_RP_ID": "accounts.example.net",
    "GATEHOUSE_WEBAUTHN_ORIGIN": "https://accounts.example.net",
}
SETTINGS = {
    "table_name": "GATEHOUSE_TABLE_NAME", "public_base_url": "GATEHOUSE_PUBLIC_BASE_URL",
    "allowed_origins": "GATEHOUSE_ALLOWED_ORIGINS", "mail_from": "GATEHOUSE_MAIL_FROM",
    "consoles": "GATEHOUSE_CONSOLES", "console_secrets_id": "GATEHOUSE_CONSOLE_SECRETS_ID",
    "kms_key_id": "GATEHOUSE_KMS_KEY_ID", "documents_bucket": "GATEHOUSE_DOCUMENTS_BUCKET",
    "webauthn_rp_id": "GATEHOUSE_WEBAUTHN_RP_ID", "webauthn_origin": "GATEHOUSE_WEBAUTHN_ORIGIN",
}


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_a_deployed_stage_on_the_local_defaults_refuses_to_start_naming_every_setting(stage: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load({"GATEHOUSE_STAGE": stage})
    message = str(raised.value)
    assert repr(stage) in message
    for setting, variable in SETTINGS.items():
        assert f"{setting} ({variable})" in message
    assert "no-reply@gatehouse.local" in message and "alias/gatehouse" in message


@pytest.mark.parametrize("variable", sorted(DEPLOYED))
def test_one_setting_left_at_its_local_default_is_named_alone(variable: str) -> None:
    env = {"GATEHOUSE_STAGE": "prod", **DEPLOYED}
    del env[variable]
    with pytest.raises(SettingsError) as raised:
        load(env)
    named = [v for v in SETTINGS.values() if f"({v})" in str(raised.value)]
    assert named == [variable]


@pytest.mark.parametrize(("variable", "value"), [
    ("GATEHOUSE_PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
    ("GATEHOUSE_ALLOWED_ORIGINS", "https://accounts.example.net,http://localhost:3000"),
    ("GATEHOUSE_MAIL_FROM", "support@gatehouse.local"),
    ("GATEHOUSE_CONSOLES", json.dumps([{"id": "scaleway", "name": "Scaleway",
                                        "url": "http://localhost:8000/dev/console/scaleway"}])),
    ("GATEHOUSE_WEBAUTHN_ORIGIN", "http://localhost:8000"),
    ("GATEHOUSE_WEBAUTHN_RP_ID", "localhost"),
])
def test_a_local_host_set_explicitly_is_refused_too(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load({"GATEHOUSE_STAGE": "dev", **DEPLOYED, variable: value})


def test_a_deployed_stage_with_every_setting_set_loads() -> None:
    settings = load({"GATEHOUSE_STAGE": "prod", **DEPLOYED})
    assert settings.mail_from == "no-reply@accounts.example.net"
    assert settings.kms_key_id.startswith("arn:aws:kms:") and settings.documents_bucket.startswith("gatehouse-prod")
    assert [c.url for c in settings.consoles] == ["https://console.example.net", "https://dedibox.example.net"]


def test_the_local_stage_keeps_its_defaults() -> None:
    settings = load({})
    assert settings.is_local and settings.mail_from == "no-reply@gatehouse.local"
    assert settings.kms_key_id == "alias/gatehouse" and settings.public_base_url == "http://localhost:8000"


def _changed(value: object) -> object:
    """A value of the same type as a default, different from it."""
    from datetime import timedelta

    from gatehouse.settings import ConsoleConfig, SsoProvider

    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 7
    if isinstance(value, str) or value is None:
        return f"https://changed.example.net/{value or 'x'}"
    if isinstance(value, datetime):
        return value + timedelta(days=3, seconds=5)
    if isinstance(value, tuple) and value and isinstance(value[0], ConsoleConfig):
        return (ConsoleConfig("scaleway", "Scaleway", "https://console.example.net"),)
    if isinstance(value, tuple) and value and isinstance(value[0], SsoProvider):
        return (SsoProvider("google", "changed-client", "https://accounts.example.net/auth",
                            "https://accounts.example.net/token", ("https://accounts.example.net",),
                            "https://accounts.example.net/jwks"),)
    if isinstance(value, tuple):
        return ("https://a.example.net", "https://b.example.net")
    if isinstance(value, Mapping):
        return {"scaleway": "s3cret"}
    raise AssertionError(f"no changed value for {value!r}")


def _everything_changed() -> Settings:
    base = Settings()
    changes = {f.name: _changed(getattr(base, f.name)) for f in fields(Settings)
               if not is_dataclass(getattr(base, f.name))}
    changes["stage"] = "local"  # a deployed stage checks its values; these are not all deployable
    changes["argon2"] = Argon2Params(memory_kib=4096, time_cost=3, parallelism=2)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_every_setting_has_its_variable_and_load_reads_it() -> None:
    changed = _everything_changed()
    env = environment(changed)
    names = variables()
    assert len(names) == len(fields(Settings)) - 1 + len(fields(Argon2Params))
    assert names["stage"] == "GATEHOUSE_STAGE"  # read by the deployed-stage tests above
    for dotted, variable in names.items():
        if dotted == "stage":
            continue
        default, wanted = Settings(), changed
        for part in dotted.split("."):
            default, wanted = getattr(default, part), getattr(wanted, part)
        assert default != wanted, dotted
        got: object = load({variable: env[variable]})
        for part in dotted.split("."):
            got = getattr(got, part)
        assert got == wanted, f"{variable} did not set {dotted}"


def test_settings_round_trip_through_their_environment() -> None:
    changed = _everything_changed()
    assert load(environment(changed)) == changed


def test_the_existing_variable_names_still_work() -> None:
    settings = load({"GATEHOUSE_ARGON2_MEMORY_KIB": "2048", "GATEHOUSE_PASSWORD_MAX_LENGTH": "99",
                     "GATEHOUSE_EMAIL_LINK_SECONDS": "600", "GATEHOUSE_LEGACY_CUTOFF": "2025-11-01T00:00:00Z",
                     "GATEHOUSE_ALLOWED_ORIGINS": "https://a.example.net,https://b.example.net",
                     "GATEHOUSE_PUBLIC_BASE_URL": "https://accounts.example.net/"})
    assert settings.argon2.memory_kib == 2048 and settings.password_max_length == 99
    assert settings.email_link_seconds == 600
    assert settings.legacy_cutoff == datetime(2025, 11, 1, tzinfo=UTC)
    assert settings.allowed_origins == ("https://a.example.net", "https://b.example.net")
    assert settings.public_base_url == "https://accounts.example.net"
    assert settings.aws_endpoint_url == "http://127.0.0.1:5555"


def test_a_bad_value_names_its_variable() -> None:
    with pytest.raises(SettingsError, match="GATEHOUSE_LOGIN_CODE_SECONDS"):
        load({"GATEHOUSE_LOGIN_CODE_SECONDS": "ten"})


def test_a_deployed_stage_refuses_console_secrets_in_its_environment() -> None:
    env = {"GATEHOUSE_STAGE": "prod", **DEPLOYED, "GATEHOUSE_CONSOLE_SECRETS": json.dumps({"scaleway": "s"})}
    with pytest.raises(SettingsError, match="GATEHOUSE_CONSOLE_SECRETS is for the local stage only"):
        load(env)
