"""Demo data for `make run`: accounts a newcomer can sign in with at once.

Seeders register here; each must be idempotent (a second `make run` on the same moto adds nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

from gatehouse.bootstrap import Container
from gatehouse.domain.accounts import Account, new_account_contexts
from gatehouse.errors import ConflictError

DEMO_EMAIL = "demo@gatehouse.local"
DEMO_PASSWORD = "correct horse battery staple"

SEEDERS: list[Callable[[Container], str]] = []


def seeder(fn: Callable[[Container], str]) -> Callable[[Container], str]:
    SEEDERS.append(fn)
    return fn


@seeder
def demo_account(c: Container) -> str:
    now = c.clock.now()
    account = Account(id="acc_demo", email=DEMO_EMAIL, created_at=now, password_hash=c.hasher.hash(DEMO_PASSWORD),
                      email_verified=True, name="Demo User", password_changed_at=now,
                      contexts=new_account_contexts("acc_demo0000", "Demo", [x.id for x in c.settings.consoles]))
    with suppress(ConflictError):  # already there from an earlier run on the same moto
        c.accounts.add(account)
    return f"demo account: {DEMO_EMAIL} / {DEMO_PASSWORD}"


def load(c: Container) -> list[str]:
    return [seed(c) for seed in SEEDERS]


# After `load` on purpose: seeders register at import, and appending keeps edits apart.
RECOVERY_EMAIL = "recovery@gatehouse.local"


@seeder
def recovery_demo_account(c: Container) -> str:
    """An account every reset key reaches: a phone, a linked domain and a legacy identifier."""
    from contextlib import suppress

    now = c.clock.now()
    consoles = [x.id for x in c.settings.consoles]
    account = Account(id="acc_recovery_demo", email=RECOVERY_EMAIL, created_at=now,
                      password_hash=c.hasher.hash(DEMO_PASSWORD), email_verified=True, name="Reset Demo",
                      phone="+33600000001", password_changed_at=now,
                      contexts=new_account_contexts("acc_recovery_demo", "Reset demo", consoles))
    with suppress(ConflictError):
        c.accounts.add(account, aliases={"domain": ["demo-domain.example"], "legacy": ["demo-legacy"]})
    return (f"reset demo: {RECOVERY_EMAIL} / {DEMO_PASSWORD}; reset it by domain demo-domain.example, identifier "
            "demo-legacy or phone +33600000001 (links and codes land in the outbox)")
