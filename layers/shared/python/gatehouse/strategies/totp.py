"""TOTP (RFC 6238: SHA-1, 6 digits, 30 s, one step of skew) as a second factor.

The seed is sealed by the key vault (KMS envelope encryption) under the account and factor ids,
and is shown once, at enrolment. A code is accepted only for a time step later than the last
accepted one, by one conditional write (`MfaStore.advance`): a code, once used, never works
again, even for two requests racing with it.
"""

from __future__ import annotations

import base64
import hmac
import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pyotp

from gatehouse.domain.accounts import Account
from gatehouse.domain.factors import Advance, Factor
from gatehouse.domain.one_time import OneTimeItem
from gatehouse.domain.secrets import new_id
from gatehouse.domain.sessions import Session
from gatehouse.errors import InvalidCodeError
from gatehouse.ports import Clock, KeyVault, MfaStore, OneTimeStore
from gatehouse.settings import Settings

METHOD = "totp"
ENROLMENT = "totp_enrolment"
STEP_SECONDS = 30
SKEW_STEPS = 1


def _context(account_id: str, factor_id: str) -> dict[str, str]:
    return {"purpose": "totp_seed", "account_id": account_id, "factor_id": factor_id}


def _normalised(code: Any) -> str:
    return "".join(str(code or "").split())


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step within the skew window whose code is `code`, else None. Every candidate is
    compared (in constant time), so the answer takes the same time wherever it matches."""
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    found = None
    for step in range(current - SKEW_STEPS, current + SKEW_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


class TotpStrategy:
    method = METHOD
    works_through_backoff = False
    label = "Authenticator app"
    answer = "code"  # the `/mfa/verify` field its answer comes in
    migrates = ("totp",)  # the legacy factor kinds the unifier hands it

    def __init__(self, store: MfaStore, vault: KeyVault, once: OneTimeStore, clock: Clock,
                 settings: Settings) -> None:
        self._store, self._vault, self._once, self._clock, self._s = store, vault, once, clock, settings

    # --- enrolment ----------------------------------------------------------------------------
    def begin(self, account: Account, session: Session) -> dict[str, Any]:
        """A new seed, pending until a code from it is confirmed by this same session."""
        import segno  # only the management Lambda draws QR codes

        factor_id, secret = new_id("mfa"), pyotp.random_base32()
        sealed = self._vault.encrypt(secret.encode(), _context(account.id, factor_id))
        self._once.put(OneTimeItem(
            kind=ENROLMENT, key=session.id, subject=account.id,
            expires_at=self._clock.now() + timedelta(seconds=self._s.totp_enrolment_seconds),
            data={"factor_id": factor_id, "seed": base64.b64encode(sealed).decode()},
        ))
        uri = pyotp.TOTP(secret).provisioning_uri(name=account.email, issuer_name=self._s.webauthn_rp_name)
        # A standalone SVG document: the page shows it as an <img> (a data: URI), which renders nothing
        # without the SVG namespace (what segno's svg_inline leaves out, for inline HTML5). A white
        # background keeps it scannable on a dark page.
        svg = io.BytesIO()
        segno.make(uri, error="m").save(svg, kind="svg", xmldecl=False, svgns=True, nl=False, scale=4, light="#fff")
        return {"secret": secret, "otpauth_uri": uri, "qr_svg": svg.getvalue().decode()}

    def finish(self, account: Account, session: Session, payload: dict[str, Any]) -> Factor:
        now = self._clock.now()
        pending = self._once.get(ENROLMENT, session.id, now)
        if pending is None or pending.subject != account.id:
            raise InvalidCodeError("Start the authenticator app set-up again: this one expired.")
        factor_id = pending.data["factor_id"]
        secret = self._open(account.id, factor_id, pending.data["seed"])
        step = matching_step(secret, _normalised(payload.get("code")), now)
        # Consuming the pending enrolment is the one conditional write: two confirmations racing
        # with the same code enrol one factor.
        if step is None or self._once.consume(ENROLMENT, session.id, now) is None:
            raise InvalidCodeError()
        factor = Factor(account_id=account.id, id=factor_id, type=METHOD, created_at=now, counter=step,
                        data={"seed": pending.data["seed"]})
        self._store.add(factor)
        return factor

    def import_seed(self, account_id: str, secret: str, created_at: datetime, factor_id: str | None = None) -> Factor:
        """For migrations (a legacy TOTP kept through unification): seal and store a known seed.
        With a `factor_id` already stored, the store refuses it (ConditionFailedError)."""
        factor_id = factor_id or new_id("mfa")
        sealed = self._vault.encrypt(secret.encode(), _context(account_id, factor_id))
        factor = Factor(account_id=account_id, id=factor_id, type=METHOD, created_at=created_at,
                        data={"seed": base64.b64encode(sealed).decode()})
        self._store.add(factor)
        return factor

    def migrate(self, account_id: str, factor: Any, created_at: datetime, factor_id: str) -> None:
        """A legacy TOTP kept through unification (ConditionFailedError if `factor_id` is stored)."""
        self.import_seed(account_id, factor.secret, created_at, factor_id=factor_id)

    # --- verification -------------------------------------------------------------------------
    def challenge(self, account: Account, session: Session) -> dict[str, Any] | None:
        return None  # nothing to send: the app shows the code

    def verify(self, account: Account, session: Session, payload: dict[str, Any]) -> bool:
        code = _normalised(payload.get("code"))
        if not (len(code) == 6 and code.isdigit()):
            return False
        now = self._clock.now()
        for factor in self._store.list(account.id):
            if factor.type != METHOD:
                continue
            step = matching_step(self._open(account.id, factor.id, factor.data["seed"]), code, now)
            if step is not None and step > factor.counter and self._store.advance(account.id, factor.id, step):
                return True
        return False

    # --- verification in the flow's own round trips (flows.second_factor) ----------------------
    def factor_ids(self, account: Account) -> list[str]:
        """The factors `advance_for` needs, named by the account's summary."""
        return [m.id for m in account.mfa_methods if m.type == METHOD]

    def advance_for(self, account: Account, factors: list[Factor], payload: dict[str, Any]) -> Advance | None:
        """The counter move a right code asks for, not yet written: the flow writes it with the
        session, in one conditional write (of two requests with one step, one wins)."""
        code = _normalised(payload.get("code"))
        if not (len(code) == 6 and code.isdigit()):
            return None
        now = self._clock.now()
        for factor in factors:
            if factor.type != METHOD or factor.account_id != account.id:
                continue
            step = matching_step(self._open(account.id, factor.id, factor.data["seed"]), code, now)
            if step is not None and step > factor.counter:
                return Advance(account.id, factor.id, step)
        return None

    def _open(self, account_id: str, factor_id: str, sealed: str) -> str:
        return self._vault.decrypt(base64.b64decode(sealed), _context(account_id, factor_id)).decode()

    def migrate_many(self, entries: Sequence[tuple[str, Any, datetime, str]]) -> Sequence[bool]:
        """`migrate` for a batch of (account id, legacy factor, created at, factor id): the seeds
        sealed together (one data key) and stored together; per entry whether it was stored (not
        when a factor is stored under its id, or once its account exists: `MfaStore.add_many`)."""
        sealed = self._vault.seal_many([(factor.secret.encode(), _context(account_id, factor_id))
                                        for account_id, factor, _, factor_id in entries])
        return self._store.add_many([
            Factor(account_id=account_id, id=factor_id, type=METHOD, created_at=created_at,
                   data={"seed": base64.b64encode(blob).decode()})
            for (account_id, _, created_at, factor_id), blob in zip(entries, sealed, strict=True)])
