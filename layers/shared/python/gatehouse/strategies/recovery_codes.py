"""Recovery codes: ten single-use codes of 80 bits each, issued with the first second factor,
stored as digests only, regenerated on demand (the old set dies)."""

from __future__ import annotations

import base64
import secrets
from typing import Any

from gatehouse.domain.accounts import Account
from gatehouse.domain.secrets import digest
from gatehouse.domain.sessions import Session
from gatehouse.ports import MfaStore

METHOD = "recovery_code"
COUNT = 10
_BYTES = 10  # 80 bits: 16 base32 characters, shown as four groups of four


def _normalised(code: Any) -> str:
    return "".join(ch for ch in str(code or "").upper() if ch.isalnum())


def _digest(account_id: str, code: str) -> str:
    # Bound to the account, so one digest is worth nothing on any other account.
    return digest(f"{account_id}:{_normalised(code)}")


def _new_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(_BYTES)).decode()
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


class RecoveryCodeStrategy:
    method = METHOD
    works_through_backoff = True
    answer = "code"
    migrates: tuple[str, ...] = ()  # legacy consoles had none

    def __init__(self, store: MfaStore) -> None:
        self._store = store

    def issue(self, account_id: str) -> list[str]:
        codes = [_new_code() for _ in range(COUNT)]
        self._store.replace_recovery_codes(account_id, [_digest(account_id, c) for c in codes])
        return codes

    def remaining(self, account_id: str) -> int:
        return self._store.recovery_codes_remaining(account_id)

    def revoke(self, account_id: str) -> None:
        self._store.delete_recovery_codes(account_id)

    def challenge(self, account: Account, session: Session) -> dict[str, Any] | None:
        return None

    def verify(self, account: Account, session: Session, payload: dict[str, Any]) -> bool:
        code = _normalised(payload.get("code"))
        if len(code) != 16:
            return False
        return self._store.use_recovery_code(account.id, _digest(account.id, code))
