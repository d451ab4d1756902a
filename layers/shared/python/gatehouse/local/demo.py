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


# The published passwords of demo_legacy.jsonl (its hashes are real bcrypt, argon2id and
# pbkdf2_sha256 hashes of these), one login per row of DESIGN.md's unification table.
DEMO_LEGACY_LOGINS = (
    ("linked (D linked to S before the cutoff)", "linked@legacy.gatehouse.local", "linked scaleway password",
     "legacy login: demo-linked"),
    ("linked after the cutoff", "late@legacy.gatehouse.local", "late scaleway password", "legacy login refused"),
    ("one D, an S with the same email", "same@legacy.gatehouse.local", "same email password",
     "D's TOTP kept: JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
    ("one D, no S (pbkdf2, SMS retired)", "solo@legacy.gatehouse.fr", "solo dedibox password", "enroll_mfa"),
    ("one D, no S (bcrypt, TOTP migrated)", "totp@legacy.gatehouse.local", "totp dedibox password",
     "TOTP seed JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
    ("several D, no S", "many@legacy.gatehouse.local", None, "set_password by email code"),
    ("several D and an S", "group@legacy.gatehouse.local", "group scaleway password", ""),
)


@seeder
def demo_legacy_accounts(c: Container) -> str:
    """Import, plan, schedule, announce, apply and confirm the demo legacy accounts (idempotent)."""
    from datetime import timedelta
    from importlib import resources

    source = resources.files("gatehouse.local").joinpath("demo_legacy.jsonl")
    with source.open(encoding="utf-8") as lines:
        c.unification.import_lines(lines)
    c.unification.schedule("demo", c.clock.now() - timedelta(minutes=1))
    c.unification_notifier.run()
    c.unifier.run()
    c.unification_notifier.run()
    rows = [f"{row}: {email} / {password or '(erased: sign in with an email code)'}" + (f" [{note}]" if note else "")
            for row, email, password, note in DEMO_LEGACY_LOGINS]
    return "unified legacy accounts:\n    " + "\n    ".join(rows)


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


SUPPORT_EMAIL = "support@gatehouse.local"


@seeder
def support_agent(c: Container) -> str:
    """A support agent: sees and decides the recovery requests (`GET /support/recovery-requests`)."""
    now = c.clock.now()
    account = Account(id="acc_support_demo", email=SUPPORT_EMAIL, created_at=now,
                      password_hash=c.hasher.hash(DEMO_PASSWORD), email_verified=True, name="Support Agent",
                      password_changed_at=now, extra={"roles": ["support"]},
                      contexts=new_account_contexts("acc_support_demo", "Support", [x.id for x in c.settings.consoles]))
    with suppress(ConflictError):
        c.accounts.add(account)
    return f"support agent: {SUPPORT_EMAIL} / {DEMO_PASSWORD} (decides recovery requests)"


# Accounts the local identity providers' users (local/sso_users.json) match by email.
SSO_DEMO_ACCOUNTS = (
    ("acc_sso_grace", "grace@contoso.gatehouse.local", "Grace", "Microsoft (Contoso, xms_edov)"),
    ("acc_sso_octo", "octo@gatehouse.local", "Octo", "GitHub (primary verified email)"),
    ("acc_sso_totp", "sso-totp@gatehouse.local", "Two Factors", "Google (add a second factor to try mfa_required)"),
)


@seeder
def sso_accounts(c: Container) -> str:
    now = c.clock.now()
    for account_id, email, name, _ in SSO_DEMO_ACCOUNTS:
        account = Account(id=account_id, email=email, created_at=now, password_hash=c.hasher.hash(DEMO_PASSWORD),
                          email_verified=True, name=name, password_changed_at=now,
                          contexts=new_account_contexts(account_id, name, [x.id for x in c.settings.consoles]))
        with suppress(ConflictError):
            c.accounts.add(account)
    matched = ", ".join(f"{email} ({how})" for _, email, _, how in SSO_DEMO_ACCOUNTS)
    return (f"SSO at /sso/google, /sso/microsoft, /sso/github: the demo account ({DEMO_EMAIL}) by Google; "
            f"{matched}; password {DEMO_PASSWORD}")
