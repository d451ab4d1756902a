"""The unification planner: which legacy accounts become one unified account, and how.

It implements the table of DESIGN.md, section "Unification rules". Given every imported legacy
record (see ``legacy``) and the cutoff date, it groups the records into unified accounts and
decides, for each, the password and second factor it keeps, what the user must do next, and which
Dedibox contexts keep legacy access. Every decision carries a sentence saying why, because the
operator's dry-run report and the user's emails are built from them.

Deterministic: the same records in any order give the same plans in the same order. Grouping
needs every record (a Dedibox account may link to any Scaleway account): ``group_records`` is the
grouping in memory, the reference; at scale the groups come from a ``RecordGrouper`` port (the
SQLite spill of ``adapters.sqlite_grouper``, whose memory does not grow with the number of
records) and ``plan_groups`` plans them one at a time, so a caller can write a report line by line.

Decisions for situations the table leaves open, each also stated in the plan's reasons:

* Several Dedibox accounts with a Scaleway account are ``several_dedibox_with_scaleway`` whether
  they joined it by link or by email: the Scaleway account keeps its password and second factor,
  and no Dedibox TOTP is migrated, since picking one Dedibox account over another would be
  arbitrary. Only a lone Dedibox account joined by email (``same_email``) migrates its TOTP.
* A Dedibox account linked to a Scaleway account that is not among the records joins whatever
  its email leads to, and has no legacy access: the link cannot be honoured.
* Several Scaleway accounts with one normalised email (addresses differing only by case, say)
  make one unified account: the one with the smallest legacy id is kept, with its password and
  second factor; the others are merged into it, their records kept, and the plan says so. Their
  factors are not carried over, so they count as dropped factors for ``enroll_mfa`` below.
* ``enroll_mfa`` is required whenever a member account had a second factor and the unified
  account ends with none, and always for ``several_dedibox``: unification must never leave a
  protected account silently unprotected. An account that never had one is not forced to.
* ``verify_email`` is never planned: DESIGN.md promises no action beyond the table's, and the table
  asks none for the address. A new account keeps its Dedibox address unverified (``email_verified``
  false) without being blocked; an email-code sign-in or any Gatehouse link followed proves it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Final

from gatehouse.domain.legacy import (
    DediboxRecord,
    LegacyRecord,
    Mfa,
    ScalewayRecord,
    SmsMfa,
    TotpMfa,
    normalise_email,
)

__all__ = [
    "Case",
    "DediboxContext",
    "DuplicateLegacyRecordError",
    "JoinedBy",
    "MfaChange",
    "MfaDecision",
    "PasswordChange",
    "PasswordDecision",
    "RecordGroup",
    "RequiredAction",
    "UnifiedAccountPlan",
    "count_by_case",
    "group_records",
    "new_account_key",
    "plan",
    "plan_group",
    "plan_groups",
]

SUPPORT_BEFORE: Final = "scaleway"
SUPPORT_AFTER: Final = "dedibox"
NEW_ACCOUNT_PREFIX: Final = "new:"


class Case(StrEnum):
    SCALEWAY_ONLY = "scaleway_only"
    LINKED = "linked"
    SAME_EMAIL = "same_email"
    DEDIBOX_ONLY = "dedibox_only"
    SEVERAL_DEDIBOX = "several_dedibox"
    SEVERAL_DEDIBOX_WITH_SCALEWAY = "several_dedibox_with_scaleway"


class PasswordChange(StrEnum):
    UNCHANGED = "unchanged"
    ERASED = "erased"


class MfaChange(StrEnum):
    """What changes for the user's second factor, as GET /unification reports it."""

    UNCHANGED = "unchanged"
    DISABLED_SMS = "disabled_sms"
    ERASED = "erased"
    REPLACED_BY_SCALEWAY = "replaced_by_scaleway"


class RequiredAction(StrEnum):
    # Declaration order is the order the user is asked to do them in.
    SET_PASSWORD = "set_password"
    ENROLL_MFA = "enroll_mfa"
    VERIFY_EMAIL = "verify_email"


class JoinedBy(StrEnum):
    LINK = "link"
    EMAIL = "email"


class DuplicateLegacyRecordError(ValueError):
    """Two records claim the same legacy account; the import file must say which one is true."""

    code: ClassVar[str] = "duplicate_legacy_record"

    def __init__(self, console: str, legacy_id: str) -> None:
        self.console = console
        self.legacy_id = legacy_id
        super().__init__(f"{console} legacy id {legacy_id!r} appears in more than one record: keep only one")


@dataclass(frozen=True)
class RecordGroup:
    """The legacy records that become one unified account, in a canonical order."""

    key: str
    email: str
    # Sorted by legacy id; the first one is the Scaleway account that is kept.
    scaleway: tuple[ScalewayRecord, ...]
    dedibox: tuple[DediboxRecord, ...]


@dataclass(frozen=True)
class PasswordDecision:
    source: str | None
    change: PasswordChange
    reason: str
    # The hash the unified account starts with; the unifier needs it, reports must not show it.
    password_hash: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class MfaDecision:
    source: str | None
    change: MfaChange
    reason: str
    factor: Mfa | None = None


@dataclass(frozen=True)
class DediboxContext:
    """A Dedibox account as a context of its unified account: the whole record travels with it."""

    record: DediboxRecord
    joined_by: JoinedBy
    join_reason: str
    legacy_access: bool
    legacy_access_reason: str

    @property
    def legacy_id(self) -> str:
        return self.record.legacy_id

    @property
    def identifier(self) -> str:
        return self.record.identifier

    def to_report_dict(self) -> dict[str, object]:
        return {
            "legacy_id": self.legacy_id,
            "identifier": self.identifier,
            "joined_by": str(self.joined_by),
            "join_reason": self.join_reason,
            "legacy_access": self.legacy_access,
            "legacy_access_reason": self.legacy_access_reason,
        }


@dataclass(frozen=True)
class UnifiedAccountPlan:
    unified_key: str
    email: str
    case: Case
    case_reason: str
    scaleway: ScalewayRecord | None
    merged_scaleway: tuple[ScalewayRecord, ...]
    scaleway_reason: str | None
    contexts: tuple[DediboxContext, ...]
    password: PasswordDecision
    mfa: MfaDecision
    required_actions: tuple[RequiredAction, ...]
    support_before: str = SUPPORT_BEFORE
    support_after: str = SUPPORT_AFTER

    @property
    def scaleway_legacy_id(self) -> str | None:
        return self.scaleway.legacy_id if self.scaleway is not None else None

    @property
    def merged_scaleway_legacy_ids(self) -> tuple[str, ...]:
        return tuple(s.legacy_id for s in self.merged_scaleway)

    @property
    def dedibox_legacy_ids(self) -> tuple[str, ...]:
        return tuple(c.legacy_id for c in self.contexts)

    @property
    def affected(self) -> bool:
        """False only for a lone Scaleway account, which unification leaves as it is."""
        return self.case is not Case.SCALEWAY_ONLY or bool(self.merged_scaleway)

    def to_report_dict(self) -> dict[str, object]:
        """One JSON-serialisable line of the dry-run report: no hash, no secret."""
        return {
            "unified_key": self.unified_key,
            "email": self.email,
            "case": str(self.case),
            "case_reason": self.case_reason,
            "affected": self.affected,
            "scaleway_legacy_id": self.scaleway_legacy_id,
            "merged_scaleway_legacy_ids": list(self.merged_scaleway_legacy_ids),
            "scaleway_reason": self.scaleway_reason,
            "dedibox_legacy_ids": list(self.dedibox_legacy_ids),
            "password": {
                "source": self.password.source,
                "change": str(self.password.change),
                "reason": self.password.reason,
            },
            "mfa": {
                "source": self.mfa.source,
                "change": str(self.mfa.change),
                "kind": self.mfa.factor.kind if self.mfa.factor is not None else None,
                "reason": self.mfa.reason,
            },
            "required_actions": [str(a) for a in self.required_actions],
            "contexts": [c.to_report_dict() for c in self.contexts],
            "support_before": self.support_before,
            "support_after": self.support_after,
        }


def plan(records: Iterable[LegacyRecord], *, cutoff: datetime) -> Iterator[UnifiedAccountPlan]:
    """Plan every unified account, sorted by unified key, grouping the records in memory
    (``group_records``): for a few records. Over an archive, ``plan_groups`` over a grouper's groups.

    The records are read when the first plan is asked for, so a repeated legacy id raises
    DuplicateLegacyRecordError then.
    """
    return plan_groups(_lazily_grouped(records), cutoff=cutoff)


def _lazily_grouped(records: Iterable[LegacyRecord]) -> Generator[RecordGroup, None, None]:
    yield from group_records(records)


def plan_groups(groups: Generator[RecordGroup, None, None], *, cutoff: datetime) -> Iterator[UnifiedAccountPlan]:
    """Plan each group, one at a time, in the groups' order (a ``RecordGrouper``'s: the key order).

    Closing the plans early closes the groups at once (a grouper on disk removes its files then).
    """
    _check_cutoff(cutoff)  # here, not at the first plan: a naive cutoff is refused at once
    return _plan_groups(groups, cutoff)


def _plan_groups(
    groups: Generator[RecordGroup, None, None], cutoff: datetime
) -> Iterator[UnifiedAccountPlan]:
    try:
        for group in groups:
            yield plan_group(group, cutoff)
    finally:
        groups.close()


def new_account_key(email: str) -> str:
    """The key of a unified account with no Scaleway member: stable across runs and imports."""
    digest = hashlib.sha256(normalise_email(email).encode("utf-8")).hexdigest()
    return NEW_ACCOUNT_PREFIX + digest[:32]


def group_records(records: Iterable[LegacyRecord]) -> list[RecordGroup]:
    """Group the records into unified accounts, sorted by key; refuse duplicate legacy ids.

    All in memory: the reference that every ``RecordGrouper`` (the planner's at scale) must equal.
    """
    scaleway: dict[str, ScalewayRecord] = {}
    dedibox: dict[str, DediboxRecord] = {}
    for record in records:
        if record.legacy_id in (scaleway if isinstance(record, ScalewayRecord) else dedibox):
            raise DuplicateLegacyRecordError(record.console, record.legacy_id)
        if isinstance(record, ScalewayRecord):
            scaleway[record.legacy_id] = record
        else:
            dedibox[record.legacy_id] = record

    # Sorting first makes "the first Scaleway account of an email" the smallest legacy id.
    kept_by_email: dict[str, ScalewayRecord] = {}
    members: dict[str, tuple[str, list[ScalewayRecord], list[DediboxRecord]]] = {}
    for s in sorted(scaleway.values(), key=lambda r: r.legacy_id):
        kept = kept_by_email.setdefault(s.normalised_email, s)
        members.setdefault(kept.legacy_id, (kept.normalised_email, [], []))[1].append(s)
    group_of_scaleway = {s.legacy_id: kept_by_email[s.normalised_email].legacy_id for s in scaleway.values()}

    for d in sorted(dedibox.values(), key=lambda r: r.legacy_id):
        if d.linked_scaleway_id is not None and d.linked_scaleway_id in group_of_scaleway:
            key = group_of_scaleway[d.linked_scaleway_id]
        elif d.normalised_email in kept_by_email:
            key = kept_by_email[d.normalised_email].legacy_id
        else:
            key = new_account_key(d.email)
        members.setdefault(key, (d.normalised_email, [], []))[2].append(d)

    return [
        RecordGroup(key=key, email=email, scaleway=tuple(s_list), dedibox=tuple(d_list))
        for key, (email, s_list, d_list) in sorted(members.items())
    ]


def plan_group(group: RecordGroup, cutoff: datetime) -> UnifiedAccountPlan:
    """Decide one unified account from its group, following DESIGN.md's table."""
    _check_cutoff(cutoff)
    kept = group.scaleway[0] if group.scaleway else None
    scaleway_ids = {s.legacy_id for s in group.scaleway}
    contexts = tuple(_context(d, scaleway_ids, group, cutoff) for d in group.dedibox)
    case, case_reason = _case(kept, contexts)
    password = _password(case, kept, group.dedibox)
    mfa, enroll = _mfa(case, kept, group.scaleway[1:], group.dedibox)

    actions: list[RequiredAction] = []
    if password.change is PasswordChange.ERASED:
        actions.append(RequiredAction.SET_PASSWORD)
    if enroll:
        actions.append(RequiredAction.ENROLL_MFA)

    merged = group.scaleway[1:]
    scaleway_reason = None
    if kept is not None and merged:
        others = ", ".join(s.legacy_id for s in merged)
        scaleway_reason = (
            f"{len(group.scaleway)} Scaleway accounts share the email {group.email}: {kept.legacy_id}, "
            f"the smallest legacy id, is kept with its password and second factor; {others} "
            "merged into it (records archived, password and second factor not carried over): "
            "review before scheduling"
        )

    return UnifiedAccountPlan(
        unified_key=group.key,
        email=group.email,
        case=case,
        case_reason=case_reason,
        scaleway=kept,
        merged_scaleway=merged,
        scaleway_reason=scaleway_reason,
        contexts=contexts,
        password=password,
        mfa=mfa,
        required_actions=tuple(actions),
    )


def count_by_case(plans: Iterable[UnifiedAccountPlan]) -> dict[Case, int]:
    """How many unified accounts fall in each case, every case listed, for the command's summary."""
    counts = dict.fromkeys(Case, 0)
    for p in plans:
        counts[p.case] += 1
    return counts


def _check_cutoff(cutoff: datetime) -> None:
    # A naive cutoff would compare against UTC link dates as if it were UTC, silently or not.
    if cutoff.tzinfo is None or cutoff.utcoffset() is None:
        raise ValueError("cutoff must be timezone-aware")


def _context(
    d: DediboxRecord, scaleway_ids: set[str], group: RecordGroup, cutoff: datetime
) -> DediboxContext:
    link = d.linked_scaleway_id
    if link is not None and link in scaleway_ids:
        joined_by = JoinedBy.LINK
        join_reason = f"linked to Scaleway account {link}: joins it whatever its email"
        if d.linked_at is None:
            access, access_reason = (
                False,
                (
                    "the date of its link is unknown, so the link cannot be shown to predate the cutoff: "
                    "no legacy login, its resources stay out of the Scaleway console"
                ),
            )
        elif d.linked_at < cutoff:
            access, access_reason = (
                True,
                (
                    f"linked on {d.linked_at.isoformat()}, before the cutoff {cutoff.isoformat()}: legacy "
                    "login keeps working and its resources show in the Scaleway console"
                ),
            )
        else:
            access, access_reason = (
                False,
                (
                    f"linked on {d.linked_at.isoformat()}, not before the cutoff {cutoff.isoformat()}: "
                    "no legacy login, its resources stay out of the Scaleway console"
                ),
            )
        return DediboxContext(d, joined_by, join_reason, access, access_reason)

    if link is not None:
        join_reason = (
            f"linked to Scaleway account {link}, which is not among the imported records: "
            f"grouped by its email {group.email} instead"
        )
        access_reason = f"its linked Scaleway account {link} is not unified with it: no legacy access"
    elif group.scaleway:
        join_reason = f"not linked; has the same email as Scaleway account {group.scaleway[0].legacy_id}"
        access_reason = "not linked to a Scaleway account: no legacy access"
    else:
        join_reason = f"not linked; grouped by its email {group.email}"
        access_reason = "not linked to a Scaleway account: no legacy access"
    return DediboxContext(d, JoinedBy.EMAIL, join_reason, False, access_reason)


def _case(kept: ScalewayRecord | None, contexts: tuple[DediboxContext, ...]) -> tuple[Case, str]:
    if kept is None:
        if len(contexts) == 1:
            return Case.DEDIBOX_ONLY, "one Dedibox account with no Scaleway account: a new unified account"
        return Case.SEVERAL_DEDIBOX, (
            f"{len(contexts)} Dedibox accounts share this email with no Scaleway account: "
            "a new unified account"
        )
    if not contexts:
        return Case.SCALEWAY_ONLY, "a Scaleway account with no Dedibox account: not affected"
    if len(contexts) == 1:
        if contexts[0].joined_by is JoinedBy.LINK:
            return Case.LINKED, (
                f"Dedibox account {contexts[0].legacy_id} is linked to Scaleway account {kept.legacy_id}"
            )
        return Case.SAME_EMAIL, (
            f"Dedibox account {contexts[0].legacy_id} has the same email as Scaleway account {kept.legacy_id}"
        )
    by_link = sum(1 for c in contexts if c.joined_by is JoinedBy.LINK)
    return Case.SEVERAL_DEDIBOX_WITH_SCALEWAY, (
        f"{len(contexts)} Dedibox accounts join Scaleway account {kept.legacy_id} ({by_link} by link, "
        f"{len(contexts) - by_link} by email): the Scaleway account keeps its password and second "
        "factor whichever way they joined"
    )


def _password(
    case: Case, kept: ScalewayRecord | None, dedibox: tuple[DediboxRecord, ...]
) -> PasswordDecision:
    if kept is not None:
        return PasswordDecision(
            kept.legacy_id,
            PasswordChange.UNCHANGED,
            f"the Scaleway account {kept.legacy_id} keeps its password; Dedibox passwords are archived",
            kept.password_hash,
        )
    if case is Case.DEDIBOX_ONLY:
        d = dedibox[0]
        return PasswordDecision(
            d.legacy_id,
            PasswordChange.UNCHANGED,
            f"the Dedibox account {d.legacy_id} keeps its password: its legacy hash is verified at the "
            "next login, then rehashed",
            d.password_hash,
        )
    return PasswordDecision(
        None,
        PasswordChange.ERASED,
        f"{len(dedibox)} Dedibox accounts share this email and none of their passwords can be chosen "
        "over the others: a new password must be set, reached by an email code",
    )


def _mfa(
    case: Case,
    kept: ScalewayRecord | None,
    merged: tuple[ScalewayRecord, ...],
    dedibox: tuple[DediboxRecord, ...],
) -> tuple[MfaDecision, bool]:
    """The second-factor decision, and whether the user must enroll a new factor."""
    # Factors that will not survive unless they are the one kept: an app or a key (Dedibox TOTP,
    # a merged Scaleway account's factor), and SMS, which is never a unified account's factor.
    strong = [d.legacy_id for d in dedibox if isinstance(d.mfa, TotpMfa)]
    strong += [m.legacy_id for m in merged if m.mfa is not None]
    sms = [d.legacy_id for d in dedibox if isinstance(d.mfa, SmsMfa)]

    if case is Case.SEVERAL_DEDIBOX:
        return MfaDecision(
            None,
            MfaChange.ERASED,
            f"{len(dedibox)} Dedibox accounts share this email and none of their second factors can be "
            "chosen over the others: a new second factor must be enrolled",
        ), True

    if kept is not None and kept.mfa is not None:
        if strong or sms:
            return MfaDecision(
                kept.legacy_id,
                MfaChange.REPLACED_BY_SCALEWAY,
                f"the {kept.mfa.kind} of Scaleway account {kept.legacy_id} replaces the second factor of "
                f"account(s) {', '.join(sorted(strong + sms))}",
                kept.mfa,
            ), False
        return MfaDecision(
            kept.legacy_id,
            MfaChange.UNCHANGED,
            f"the Scaleway account {kept.legacy_id} keeps its {kept.mfa.kind}",
            kept.mfa,
        ), False

    # From here the unified account has no Scaleway factor: only a lone Dedibox TOTP may carry over.
    if case in (Case.SAME_EMAIL, Case.DEDIBOX_ONLY):
        d = dedibox[0]
        if isinstance(d.mfa, TotpMfa):
            return MfaDecision(
                d.legacy_id,
                MfaChange.UNCHANGED,
                f"the TOTP of Dedibox account {d.legacy_id} is migrated to the unified account",
                d.mfa,
            ), False

    if strong:
        return MfaDecision(
            None,
            MfaChange.ERASED,
            "the kept Scaleway account has no second factor and keeps that setting; the second factor "
            f"of account(s) {', '.join(sorted(strong))} is not carried over, so a new one must be enrolled",
        ), True
    if sms:
        return MfaDecision(
            None,
            MfaChange.DISABLED_SMS,
            f"SMS is no longer a second factor: the SMS of Dedibox account(s) {', '.join(sms)} is "
            "disabled and, the unified account having no other, a new second factor must be enrolled",
        ), True
    return MfaDecision(None, MfaChange.UNCHANGED, "no member account has a second factor"), False
