"""Plain-dict forms of the domain objects, shared by the DynamoDB adapter and the fakes.

Times are RFC 3339 strings, except `expires_at`, the table's TTL attribute, which is epoch seconds.
"""

from __future__ import annotations

from datetime import UTC as UTC  # re-exported: the adapters read `codec.UTC`
from datetime import datetime
from decimal import Decimal
from typing import Any

from gatehouse.domain.accounts import LOGIN_PROJECTION, Account, ConsoleContext, MfaMethod, Resource
from gatehouse.domain.sessions import Session, SessionStatus

# The contract's time format is the domain's (flows format times too); re-exported for the adapters.
from gatehouse.domain.times import iso as iso
from gatehouse.domain.times import parse_iso as parse_iso


def epoch(value: datetime) -> int:
    return int(value.timestamp())


def plain(value: Any) -> Any:
    """DynamoDB's Decimals back to ints and floats, recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    return value


def account_to_dict(a: Account) -> dict[str, Any]:
    return {
        "id": a.id,
        "email": a.email,
        "email_key": a.email_key,
        "created_at": iso(a.created_at),
        "password_hash": a.password_hash,
        "email_verified": a.email_verified,
        "name": a.name,
        "locale": a.locale,
        "phone": a.phone,
        "postal_address": a.postal_address,
        "organization": a.organization,
        "contexts": [
            {"console": c.console, "id": c.id, "name": c.name, "legacy_id": c.legacy_id,
             "legacy_access": c.legacy_access,
             "resources": [{"id": r.id, "kind": r.kind, "name": r.name} for r in c.resources]}
            for c in a.contexts
        ],
        "mfa_methods": [
            {"id": m.id, "type": m.type, "name": m.name, "created_at": iso(m.created_at)} for m in a.mfa_methods
        ],
        "set_password_required": a.set_password_required,
        "mfa_enrolment_required": a.mfa_enrolment_required,
        "password_changed_at": iso(a.password_changed_at),
        "extra": a.extra,
        "version": a.version,
        "sessions_valid_after": iso(a.sessions_valid_after),
    }


def account_from_dict(d: dict[str, Any]) -> Account:
    d = plain(d)
    return Account(
        id=d["id"],
        email=d["email"],
        created_at=parse_iso(d["created_at"]),  # type: ignore[arg-type]
        password_hash=d.get("password_hash"),
        email_verified=bool(d.get("email_verified")),
        name=d.get("name") or "",
        locale=d.get("locale") or "en",
        phone=d.get("phone"),
        postal_address=d.get("postal_address"),
        organization=d.get("organization"),
        contexts=tuple(_context_from_dict(c) for c in d.get("contexts") or ()),
        mfa_methods=tuple(
            MfaMethod(id=m["id"], type=m["type"], name=m["name"], created_at=parse_iso(m["created_at"]))  # type: ignore[arg-type]
            for m in d.get("mfa_methods") or ()
        ),
        set_password_required=bool(d.get("set_password_required")),
        mfa_enrolment_required=bool(d.get("mfa_enrolment_required")),
        password_changed_at=parse_iso(d.get("password_changed_at")),
        extra=d.get("extra") or {},
        version=int(d.get("version") or 0),
        sessions_valid_after=parse_iso(d.get("sessions_valid_after")),
    )


def _context_from_dict(c: dict[str, Any]) -> ConsoleContext:
    # Contexts stored before they carried resources have none.
    resources = tuple(Resource(id=r["id"], kind=r["kind"], name=r.get("name") or "") for r in c.get("resources") or ())
    return ConsoleContext(**{k: v for k, v in c.items() if k != "resources"}, resources=resources)


def session_to_dict(s: Session) -> dict[str, Any]:
    return {
        "id": s.id,
        "token_hash": s.token_hash,
        "account_id": s.account_id,
        "status": s.status.value,
        "aal": s.aal,
        "created_at": iso(s.created_at),
        "last_seen_at": iso(s.last_seen_at),
        "absolute_expires_at": iso(s.absolute_expires_at),
        "idle_expires_at": iso(s.idle_expires_at),
        "user_agent": s.user_agent,
        "auth_methods": list(s.auth_methods),
        "authenticated_at": iso(s.authenticated_at),
        "console": s.console,
        "context": s.context,
        "mfa_failures": s.mfa_failures,
        "valid_from": iso(s.valid_from),
    }


def session_from_dict(d: dict[str, Any]) -> Session:
    d = plain(d)
    return Session(
        id=d["id"],
        token_hash=d["token_hash"],
        account_id=d["account_id"],
        status=SessionStatus(d["status"]),
        aal=int(d["aal"]),
        created_at=parse_iso(d["created_at"]),  # type: ignore[arg-type]
        last_seen_at=parse_iso(d["last_seen_at"]),  # type: ignore[arg-type]
        absolute_expires_at=parse_iso(d["absolute_expires_at"]),  # type: ignore[arg-type]
        idle_expires_at=parse_iso(d["idle_expires_at"]),  # type: ignore[arg-type]
        user_agent=d.get("user_agent") or "",
        auth_methods=tuple(d.get("auth_methods") or ()),
        authenticated_at=parse_iso(d.get("authenticated_at")),
        console=d.get("console"),
        context=d.get("context"),
        mfa_failures=int(d.get("mfa_failures") or 0),
        valid_from=parse_iso(d.get("valid_from")),
    )


# The login projection: what a password login needs of an account, carried by its email claim
# item (written in the same transaction as the account), so that a login reads one item.
_PROJECTED = ("id", "email", "email_key", "created_at", "password_hash", "email_verified", "locale", "mfa_methods",
              "set_password_required", "mfa_enrolment_required", "password_changed_at")


def login_projection(a: Account) -> dict[str, Any]:
    whole = account_to_dict(a)
    projected = {k: whole[k] for k in _PROJECTED}
    # Only what `required_actions` reads of `extra`: a marker for a unified account, not its state.
    extra: dict[str, Any] = {LOGIN_PROJECTION: True}
    if "signed_up_with" in a.extra:
        extra["signed_up_with"] = a.extra["signed_up_with"]
    if a.unified:
        extra["unification"] = {}
    # No version: a projection is never saved, and without one an unchanged projection is not rewritten.
    return {**projected, "extra": extra}
