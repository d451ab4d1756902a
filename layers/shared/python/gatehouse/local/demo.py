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
