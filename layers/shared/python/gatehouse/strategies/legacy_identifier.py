"""The legacy identifier first factor (`/login/legacy`, console.online.net's own login): a Dedibox
identifier and the unified account's password. Allowed only for a Dedibox context whose link
predates the cutoff; any other is refused once the password is right (a wrong one is refused
first, so the refusal tells nothing to someone without the password)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatehouse.domain.login import Claimant, FirstFactor
from gatehouse.errors import GatehouseError, InvalidCredentialsError, LegacyLoginUnavailableError
from gatehouse.ports import AccountRepository
from gatehouse.strategies.password import PasswordHasher


class LegacyIdentifierLogin:
    method = "legacy"

    def __init__(self, accounts: AccountRepository, hasher: PasswordHasher) -> None:
        self._accounts, self._hasher = accounts, hasher

    def claimant(self, answer: Mapping[str, Any]) -> Claimant:
        identifier = str(answer["identifier"])
        account = self._accounts.find_by_alias("legacy", identifier)
        # One budget per account, whichever way in: failures here count with those of its email at
        # /login. An unknown identifier has a budget of its own, spent exactly the same way.
        key = account.email if account is not None else f"legacy:{identifier.strip().lower()}"
        return Claimant(throttle_key=key, account=account)

    def prove(self, claimant: Claimant, answer: Mapping[str, Any]) -> FirstFactor | None:
        account, password = claimant.account, str(answer["password"])
        # An unknown identifier is checked against the dummy hash: the time of a wrong password.
        if not self._hasher.verify(account.password_hash if account else None, password) or account is None:
            return None
        identifier = str(answer["identifier"]).strip().lower()
        info = account.extra.get("unification")
        legacy_id = info.get("identifiers", {}).get(identifier) if isinstance(info, dict) else None
        context = next((c for c in account.contexts if c.console == "dedibox" and c.legacy_id == legacy_id), None)
        if context is None or not context.legacy_access:
            return FirstFactor(account, "password", password=password, refusal=LegacyLoginUnavailableError())
        return FirstFactor(account, "password", password=password, console="dedibox", context=context.id)

    def invalid(self) -> GatehouseError:
        return InvalidCredentialsError("The identifier or password is incorrect.")
