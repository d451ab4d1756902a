"""The unification notifier: each scheduled account gets its announcement, each completed account
its completion email with the next steps of its own case. English and French.

Exactly once per account and stage, however often a run is retried or two runs overlap:
1. one batch read skips what was already sent;
2. each (account, stage) is claimed with a conditional write BEFORE sending (a transaction of up
   to 100 claims: of two overlapping runs, only one wins each account);
3. the batch is sent (SES bulk templated email, 50 recipients a call);
4. the claims are marked sent; the announced accounts move `scheduled -> notified`, and the
   completed ones are marked told, so that no later run reads them again (a run reads only what
   is still due, however many waves are done).
Trade-off: a claim carries a lease (`claim_lease_seconds`). A run that crashes between claim and
send leaves a claim without `sent_at`; once the lease runs out, a later run claims it again and
sends, so no email is lost forever. The price: a crash after SES accepted the batch but before
step 4 sends that batch a second time after the lease. We prefer a rare duplicate to a lost
notice of a change to someone's login; the window is one SES call wide.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gatehouse import messages
from gatehouse.domain.unification_state import UnifiedState
from gatehouse.flows.waves import batches
from gatehouse.ports import Clock, UnificationStore
from gatehouse.settings import Settings

ANNOUNCE, COMPLETE = "unification_announce", "unification_complete"
CLAIM_LEASE_SECONDS = 15 * 60

messages.register(ANNOUNCE, {
    "en": ("Your Scaleway and Dedibox accounts are becoming one",
           "On $date, your Dedibox and Scaleway accounts become one account, reached with $email.\n\n"
           "What will change for you:\n$next_steps\n\n"
           "Until then, if you need help, contact Scaleway support."),
    "fr": ("Vos comptes Scaleway et Dedibox deviennent un seul compte",
           "Le $date, vos comptes Dedibox et Scaleway deviennent un seul compte, accessible avec $email.\n\n"
           "Ce qui va changer pour vous :\n$next_steps\n\n"
           "D'ici là, si vous avez besoin d'aide, contactez le support Scaleway."),
})
messages.register(COMPLETE, {
    "en": ("Your accounts are now one",
           "Your Dedibox and Scaleway accounts are now one account: $email.\n\n"
           "Your next steps:\n$next_steps\n\n"
           "From now on, if you need help, contact Dedibox support."),
    "fr": ("Vos comptes ne font plus qu'un",
           "Vos comptes Dedibox et Scaleway ne forment plus qu'un seul compte : $email.\n\n"
           "Vos prochaines étapes :\n$next_steps\n\n"
           "Désormais, si vous avez besoin d'aide, contactez le support Dedibox."),
})

_STEPS: dict[str, dict[str, str]] = {
    "password_unchanged": {"en": "- Keep your password: it does not change.",
                           "fr": "- Gardez votre mot de passe : il ne change pas."},
    "password_erased": {"en": "- Set a new password: sign in with a code sent to this address, then choose one.",
                        "fr": "- Choisissez un nouveau mot de passe : connectez-vous avec un code envoyé à cette "
                              "adresse, puis choisissez-en un."},
    "mfa_disabled_sms": {"en": "- SMS is retired as a second factor: enrol a new one (authenticator app or passkey).",
                         "fr": "- Le SMS n'est plus un second facteur : enregistrez-en un nouveau (application "
                               "d'authentification ou clé d'accès)."},
    "mfa_erased": {"en": "- Your second factor is reset: enrol a new one (authenticator app or passkey).",
                   "fr": "- Votre second facteur est réinitialisé : enregistrez-en un nouveau (application "
                         "d'authentification ou clé d'accès)."},
    "mfa_replaced_by_scaleway": {"en": "- Your Scaleway second factor now protects the whole account.",
                                 "fr": "- Votre second facteur Scaleway protège désormais tout le compte."},
    "mfa_unchanged": {"en": "- Your second factor does not change.",
                      "fr": "- Votre second facteur ne change pas."},
    "legacy_access": {"en": "- Your Dedibox login at console.online.net keeps working.",
                      "fr": "- Votre connexion Dedibox sur console.online.net continue de fonctionner."},
    "no_legacy_access": {"en": "- Sign in to Dedibox through the unified login.",
                         "fr": "- Connectez-vous à Dedibox via la connexion unifiée."},
}


def next_steps(state: UnifiedState, locale: str) -> str:
    """The lines of this account's own case, in its language."""
    keys = [f"password_{state.changes.password}", f"mfa_{state.changes.mfa}"]
    keys.append("legacy_access" if state.legacy_access else "no_legacy_access")
    return "\n".join(_STEPS[k].get(locale) or _STEPS[k]["en"] for k in keys if k in _STEPS)


@dataclass
class NotifyReport:
    announced: int = 0
    completed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"announced": self.announced, "completed": self.completed}


class Notifier:
    def __init__(self, store: UnificationStore, mailer: Any, clock: Clock, settings: Settings,
                 lease_seconds: int = CLAIM_LEASE_SECONDS) -> None:
        self._store, self._mailer, self._clock, self._s = store, mailer, clock, settings
        self._lease = lease_seconds

    def run(self, batch_size: int = 100, progress: Callable[[int], None] | None = None,
            keep_going: Callable[[], bool] = lambda: True) -> NotifyReport:
        """Send what is due; `progress(n)` is told of each batch of accounts looked at. Between
        batches, `keep_going()` may stop the run (a Lambda near its timeout): the next run goes on."""
        report = NotifyReport()
        for wave, at in self._store.waves():
            report.announced += self._stage(wave, at, "scheduled", ANNOUNCE, batch_size, progress, keep_going)
            report.completed += self._stage(wave, at, "completed", COMPLETE, batch_size, progress, keep_going)
        return report

    def _stage(self, wave: str, at: datetime, state: str, template: str, batch_size: int,
               progress: Callable[[int], None] | None, keep_going: Callable[[], bool]) -> int:
        sent_total = 0
        for items in batches(self._store, wave, state, batch_size):
            if not keep_going():
                break
            sent_total += self._batch(items, at, template, announce=state == "scheduled")
            if progress is not None:
                progress(len(items))
        return sent_total

    def _batch(self, items: list[UnifiedState], at: datetime, template: str, *, announce: bool) -> int:
        now = self._clock.now()
        keys = [i.unified_key for i in items]
        already = self._store.sent(keys, template)
        won = set(self._store.claim([k for k in keys if k not in already], template, now, self._lease))
        by_locale: dict[str, list[tuple[str, dict[str, str]]]] = {}
        for i in items:
            if i.unified_key in won:
                locale = i.locale
                values = {"email": i.account_email, "date": at.strftime("%Y-%m-%d %H:%M UTC"),
                          "next_steps": next_steps(i, locale)}
                by_locale.setdefault(locale, []).append((values["email"], values))
        for locale, recipients in sorted(by_locale.items()):
            self._mailer.send_bulk(template, locale, recipients)
        self._store.mark_sent(sorted(won), template, now)
        # Already-sent ones too: a run that crashed after sending still moves them on.
        if announce:
            self._store.transition(sorted(won | already), "scheduled", "notified", now)
        else:
            self._store.mark_told(sorted(won | already), now)
        return len(won)
