"""A deployed stage refuses to start with a setting left at its local default (settings.load at cold start)."""

from __future__ import annotations

import json

import pytest
from gatehouse.settings import SettingsError, load

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
