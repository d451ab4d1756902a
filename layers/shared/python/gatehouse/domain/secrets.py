"""Opaque one-time secrets: what users hold, and the digest that is all we store."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random token; 32 bytes = 256 bits, DESIGN.md's size for links and sessions."""
    return secrets.token_urlsafe(nbytes)


def new_id(prefix: str) -> str:
    # 96 random bits: ids are not secrets, but unguessable ids cost nothing and stop enumeration.
    return f"{prefix}_{secrets.token_hex(12)}"


def could_be_id(value: str, max_bytes: int = 512) -> bool:
    """Whether a path's id may name a stored thing: a longer one never does (and DynamoDB refuses
    keys over 1 KiB), so it is `not_found` before any store is asked."""
    return len(value.encode("utf-8", "surrogatepass")) <= max_bytes


def new_numeric_code(digits: int) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret. A slow hash is pointless for 128+ random bits."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def code_message(binding: str, code: str) -> str:
    """What a one-time code's HMAC covers: its binding (a flow id, `kind:subject`) and the code, so a
    digest stored for one flow never verifies another. Codes are digits: the last `|` splits."""
    return f"{binding}|{code}"


def hmac_hex(key: bytes, message: str) -> str:
    """HMAC-SHA256 under a server-held key (the code pepper), hex."""
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


# An email link that is a verification process (`domain.verification`) names its process and
# carries its secret: `<handle>-<64 hex digits>`. The handle finds the process in one read or one
# conditional write, without a pointer from the secret's digest to it; handles never hold a `-`.
LINK_SECRET_HEX = 64  # 256 bits


def new_link_secret() -> str:
    return secrets.token_hex(LINK_SECRET_HEX // 2)


def link_token(handle: str, secret: str) -> str:
    return f"{handle}-{secret}"


def split_link(token: str, max_bytes: int = 512) -> tuple[str, str] | None:
    """(handle, secret) of a link token, or None for anything else (a link issued before, a made-up one)."""
    handle, _, secret = token.rpartition("-")
    if not handle or not could_be_id(handle, max_bytes) or len(secret) != LINK_SECRET_HEX or \
            any(c not in "0123456789abcdef" for c in secret):
        return None
    return handle, secret
