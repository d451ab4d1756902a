"""The settings a deployed stage's function receives from the SAM template, as sample values:
`gatehouse.settings` refuses to start a deployed stage on any local default."""

from __future__ import annotations

import json

DEPLOYED_ENV = {
    "GATEHOUSE_PUBLIC_BASE_URL": "https://account.example.test",
    "GATEHOUSE_ALLOWED_ORIGINS": "https://account.example.test",
    "GATEHOUSE_MAIL_FROM": "no-reply@account.example.test",
    "GATEHOUSE_CONSOLES": json.dumps([{"id": "scaleway", "name": "Scaleway", "url": "https://console.example.test"},
                                      {"id": "dedibox", "name": "Dedibox", "url": "https://dedibox.example.test"}]),
    "GATEHOUSE_CONSOLE_SECRETS_ID": "gatehouse/dev/console-secrets",
    "GATEHOUSE_WEBAUTHN_RP_ID": "account.example.test",
    "GATEHOUSE_WEBAUTHN_ORIGIN": "https://account.example.test",
    "POWERTOOLS_SERVICE_NAME": "gatehouse", "POWERTOOLS_METRICS_NAMESPACE": "Gatehouse",
}
