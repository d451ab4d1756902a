"""How consoles prove who they are: a secret each, from settings (local) or Secrets Manager."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Mapping

from gatehouse.adapters.aws import client, translated
from gatehouse.settings import Settings


class StaticConsoleSecrets:
    def __init__(self, secrets: Mapping[str, str]) -> None:
        self._secrets = dict(secrets)

    def verify(self, console_id: str, secret: str) -> bool:
        expected = self._secrets.get(console_id)
        # compare_digest even on a miss, so a wrong console id costs the same time as a wrong secret.
        return hmac.compare_digest((expected or "\0").encode(), secret.encode()) and expected is not None


class SecretsManagerConsoleSecrets:
    """Reads {"console_id": "secret"} once per cold start; a rotation reaches new cold starts."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._loaded: StaticConsoleSecrets | None = None

    def verify(self, console_id: str, secret: str) -> bool:
        if self._loaded is None:
            with translated("Secrets Manager"):
                raw = client("secretsmanager", self._settings).get_secret_value(
                    SecretId=self._settings.console_secrets_id)["SecretString"]
            self._loaded = StaticConsoleSecrets(json.loads(raw))
        return self._loaded.verify(console_id, secret)


class SecretsManagerJson:
    """A JSON object of secrets in Secrets Manager (the SSO client secrets), read on first use."""

    def __init__(self, settings: Settings, secret_id: str) -> None:
        self._settings, self._id = settings, secret_id
        self._values: dict[str, str] | None = None

    def get(self, name: str) -> str | None:
        if self._values is None:
            with translated("Secrets Manager"):
                raw = client("secretsmanager", self._settings).get_secret_value(SecretId=self._id)["SecretString"]
            self._values = dict(json.loads(raw))
        return self._values.get(name)

    def getter(self, name: str) -> Callable[[], str | None]:
        return lambda: self.get(name)
