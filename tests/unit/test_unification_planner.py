"""The unification planner, row by row of DESIGN.md's table, and the cases the table leaves open."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from gatehouse.domain.legacy import (
    DediboxRecord,
    LegacyRecord,
    PasskeyMfa,
    ScalewayRecord,
    TotpMfa,
    parse_record,
)
from gatehouse.domain.unification import (
    Case,
    DuplicateLegacyRecordError,
    JoinedBy,
    MfaChange,
    PasswordChange,
    RequiredAction,
    UnifiedAccountPlan,
    count_by_case,
    group_records,
    new_account_key,
    plan,
    plan_group,
)

CUTOFF = datetime(2025, 10, 28, tzinfo=UTC)
S_HASH = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
D_HASH = "$2b$12$" + "D" * 53
TOTP = {"type": "totp", "secret": "JBSWY3DPEHPK3PXP"}
SMS = {"type": "sms", "phone": "+33612345678"}
PASSKEY = {"type": "passkey", "credential_id": "cred", "public_key": "pk", "sign_count": 0}


def s(
    legacy_id: str = "scw-7", email: str = "j@example.com", mfa: dict[str, Any] | None = None
) -> ScalewayRecord:
    record = parse_record(
        {"console": "scaleway", "legacy_id": legacy_id, "email": email, "password_hash": S_HASH, "mfa": mfa}
    )
    assert isinstance(record, ScalewayRecord)
    return record


def d(
    legacy_id: str = "dbx-1",
    email: str = "j@example.com",
    *,
    mfa: dict[str, Any] | None = None,
    link: str | None = None,
    linked_at: str | None = None,
) -> DediboxRecord:
    record = parse_record(
        {
            "console": "dedibox",
            "legacy_id": legacy_id,
            "identifier": f"user-{legacy_id}",
            "email": email,
            "password_hash": D_HASH,
            "mfa": mfa,
            "phone": "+33612345678",
            "domains": [f"{legacy_id}.fr"],
            "linked_scaleway_id": link,
            "linked_at": linked_at if linked_at is not None else ("2025-09-01T10:00:00Z" if link else None),
            "resources": [{"id": f"srv-{legacy_id}", "kind": "server", "name": "sd-1"}],
            "api_keys": [{"key_id": f"key-{legacy_id}", "secret_sha256": "ab" * 32}],
        }
    )
    assert isinstance(record, DediboxRecord)
    return record


def only_plan(*records: LegacyRecord) -> UnifiedAccountPlan:
    plans = list(plan(records, cutoff=CUTOFF))
    assert len(plans) == 1, plans
    return plans[0]


# --- S with no D ---------------------------------------------------------------------------------


def test_scaleway_account_without_dedibox_is_not_affected() -> None:
    p = only_plan(s(mfa=TOTP))

    assert p.case is Case.SCALEWAY_ONLY
    assert not p.affected
    assert p.unified_key == "scw-7"
    assert (p.password.source, p.password.change) == ("scw-7", PasswordChange.UNCHANGED)
    assert (p.mfa.source, p.mfa.change) == ("scw-7", MfaChange.UNCHANGED)
    assert p.required_actions == ()
    assert p.contexts == ()


# --- D linked to S -------------------------------------------------------------------------------


def test_dedibox_account_linked_to_scaleway_joins_it_whatever_its_email() -> None:
    p = only_plan(s(email="j@example.com"), d(email="other@example.org", link="scw-7"))

    assert p.case is Case.LINKED
    assert p.unified_key == "scw-7"
    assert p.email == "j@example.com"
    assert p.dedibox_legacy_ids == ("dbx-1",)
    assert p.contexts[0].joined_by is JoinedBy.LINK
    assert "whatever its email" in p.contexts[0].join_reason


def test_linked_account_keeps_scaleway_password_and_second_factor() -> None:
    p = only_plan(s(mfa=PASSKEY), d(link="scw-7"))

    assert (p.password.source, p.password.change, p.password.password_hash) == (
        "scw-7",
        PasswordChange.UNCHANGED,
        S_HASH,
    )
    assert (p.mfa.source, p.mfa.change) == ("scw-7", MfaChange.UNCHANGED)
    assert p.mfa.factor == PasskeyMfa(credential_id="cred", public_key="pk", sign_count=0)
    assert p.required_actions == ()


def test_linked_dedibox_totp_is_replaced_by_the_scaleway_factor() -> None:
    p = only_plan(s(mfa=PASSKEY), d(link="scw-7", mfa=TOTP))

    assert p.mfa.change is MfaChange.REPLACED_BY_SCALEWAY
    assert isinstance(p.mfa.factor, PasskeyMfa)
    assert "dbx-1" in p.mfa.reason


def test_linked_dedibox_totp_is_not_migrated_when_scaleway_has_none_so_a_factor_must_be_enrolled() -> None:
    p = only_plan(s(), d(link="scw-7", mfa=TOTP))

    assert (p.mfa.source, p.mfa.change, p.mfa.factor) == (None, MfaChange.ERASED, None)
    assert p.required_actions == (RequiredAction.ENROLL_MFA,)


def test_linked_dedibox_sms_is_disabled_and_a_factor_must_be_enrolled_when_scaleway_has_none() -> None:
    p = only_plan(s(), d(link="scw-7", mfa=SMS))

    assert p.mfa.change is MfaChange.DISABLED_SMS
    assert p.required_actions == (RequiredAction.ENROLL_MFA,)


# --- one D, an S with the same email -------------------------------------------------------------


def test_dedibox_account_with_the_scaleway_email_joins_it_ignoring_case_and_spaces() -> None:
    p = only_plan(s(email="J@Example.com"), d(email=" j@example.COM"))

    assert p.case is Case.SAME_EMAIL
    assert p.unified_key == "scw-7"
    assert p.contexts[0].joined_by is JoinedBy.EMAIL
    assert (p.password.source, p.password.change) == ("scw-7", PasswordChange.UNCHANGED)


def test_same_email_keeps_the_scaleway_factor_over_the_dedibox_totp() -> None:
    p = only_plan(s(mfa=PASSKEY), d(mfa=TOTP))

    assert (p.mfa.source, p.mfa.change) == ("scw-7", MfaChange.REPLACED_BY_SCALEWAY)
    assert p.required_actions == ()


def test_same_email_migrates_the_dedibox_totp_when_scaleway_has_no_factor() -> None:
    p = only_plan(s(), d(mfa=TOTP))

    assert (p.mfa.source, p.mfa.change) == ("dbx-1", MfaChange.UNCHANGED)
    assert p.mfa.factor == TotpMfa(secret="JBSWY3DPEHPK3PXP")
    assert "migrated" in p.mfa.reason
    assert p.required_actions == ()


def test_same_email_disables_the_dedibox_sms_and_asks_for_a_factor_when_none_is_left() -> None:
    p = only_plan(s(), d(mfa=SMS))

    assert (p.mfa.source, p.mfa.change, p.mfa.factor) == (None, MfaChange.DISABLED_SMS, None)
    assert p.required_actions == (RequiredAction.ENROLL_MFA,)


def test_same_email_dedibox_sms_replaced_by_scaleway_factor_needs_no_enrolment() -> None:
    p = only_plan(s(mfa=TOTP), d(mfa=SMS))

    assert p.mfa.change is MfaChange.REPLACED_BY_SCALEWAY
    assert p.required_actions == ()


def test_same_email_without_any_factor_changes_nothing() -> None:
    p = only_plan(s(), d())

    assert (p.mfa.source, p.mfa.change) == (None, MfaChange.UNCHANGED)
    assert p.required_actions == ()


# --- one D, no S ---------------------------------------------------------------------------------


def test_lone_dedibox_account_becomes_a_new_account_with_its_email_and_password() -> None:
    p = only_plan(d(email="Solo@Example.com"))

    assert p.case is Case.DEDIBOX_ONLY
    assert p.unified_key == new_account_key("solo@example.com")
    assert p.unified_key.startswith("new:")
    assert p.email == "solo@example.com"
    assert p.scaleway_legacy_id is None
    assert (p.password.source, p.password.change, p.password.password_hash) == (
        "dbx-1",
        PasswordChange.UNCHANGED,
        D_HASH,
    )
    assert "rehashed" in p.password.reason


def test_lone_dedibox_totp_is_migrated() -> None:
    p = only_plan(d(mfa=TOTP))

    assert (p.mfa.source, p.mfa.change) == ("dbx-1", MfaChange.UNCHANGED)
    assert isinstance(p.mfa.factor, TotpMfa)
    assert RequiredAction.ENROLL_MFA not in p.required_actions


def test_lone_dedibox_sms_is_disabled_and_enroll_mfa_required() -> None:
    p = only_plan(d(mfa=SMS))

    assert p.mfa.change is MfaChange.DISABLED_SMS
    assert p.required_actions == (RequiredAction.ENROLL_MFA,)


def test_a_new_account_from_dedibox_is_asked_nothing_beyond_the_table() -> None:
    assert only_plan(d()).required_actions == ()
    assert only_plan(d(mfa=TOTP)).required_actions == ()


# --- several D with one email, no S --------------------------------------------------------------


def test_several_dedibox_accounts_with_one_email_erase_password_and_factor() -> None:
    p = only_plan(d("dbx-2", mfa=TOTP), d("dbx-1", email="J@example.com", mfa=SMS))

    assert p.case is Case.SEVERAL_DEDIBOX
    assert p.dedibox_legacy_ids == ("dbx-1", "dbx-2")
    assert (p.password.source, p.password.change, p.password.password_hash) == (
        None,
        PasswordChange.ERASED,
        None,
    )
    assert "email code" in p.password.reason
    assert (p.mfa.source, p.mfa.change, p.mfa.factor) == (None, MfaChange.ERASED, None)
    assert p.required_actions == (
        RequiredAction.SET_PASSWORD,
        RequiredAction.ENROLL_MFA,
    )


def test_several_dedibox_accounts_without_any_factor_still_enroll_one() -> None:
    p = only_plan(d("dbx-1"), d("dbx-2"))

    assert RequiredAction.ENROLL_MFA in p.required_actions


# --- several D with one email and an S -----------------------------------------------------------


def test_several_dedibox_accounts_with_a_scaleway_account_keep_scaleway_password_and_factor() -> None:
    p = only_plan(s(mfa=TOTP), d("dbx-1", mfa=SMS), d("dbx-2", mfa=TOTP))

    assert p.case is Case.SEVERAL_DEDIBOX_WITH_SCALEWAY
    assert (p.password.source, p.password.change) == ("scw-7", PasswordChange.UNCHANGED)
    assert (p.mfa.source, p.mfa.change) == ("scw-7", MfaChange.REPLACED_BY_SCALEWAY)
    assert p.required_actions == ()


def test_linked_and_same_email_dedibox_accounts_together_are_several_with_scaleway() -> None:
    p = only_plan(s(), d("dbx-1", email="other@example.org", link="scw-7"), d("dbx-2", mfa=TOTP))

    assert p.case is Case.SEVERAL_DEDIBOX_WITH_SCALEWAY
    assert [c.joined_by for c in p.contexts] == [JoinedBy.LINK, JoinedBy.EMAIL]
    assert "1 by link, 1 by email" in p.case_reason
    assert (p.password.source, p.password.change) == ("scw-7", PasswordChange.UNCHANGED)
    # No TOTP is picked among several Dedibox accounts, even when the Scaleway account has none.
    assert (p.mfa.source, p.mfa.change) == (None, MfaChange.ERASED)
    assert p.required_actions == (RequiredAction.ENROLL_MFA,)


# --- links to absent Scaleway accounts -----------------------------------------------------------


def test_dedibox_linked_to_an_absent_scaleway_account_is_grouped_by_its_email_and_says_so() -> None:
    p = only_plan(d(email="lost@example.com", link="scw-404"))

    assert p.case is Case.DEDIBOX_ONLY
    assert p.unified_key == new_account_key("lost@example.com")
    context = p.contexts[0]
    assert context.joined_by is JoinedBy.EMAIL
    assert "scw-404" in context.join_reason
    assert "not among the imported records" in context.join_reason
    assert not context.legacy_access


def test_dedibox_linked_to_an_absent_scaleway_account_joins_the_scaleway_account_of_its_email() -> None:
    p = only_plan(s("scw-7"), d(link="scw-404"))

    assert p.case is Case.SAME_EMAIL
    assert not p.contexts[0].legacy_access


# --- legacy access and the cutoff ----------------------------------------------------------------


def test_link_before_the_cutoff_keeps_legacy_access() -> None:
    context = only_plan(s(), d(link="scw-7", linked_at="2025-10-27T23:59:59Z")).contexts[0]

    assert context.legacy_access
    assert "before the cutoff" in context.legacy_access_reason


@pytest.mark.parametrize("linked_at", ["2025-10-28T00:00:00Z", "2025-11-02T08:00:00Z"])
def test_link_on_or_after_the_cutoff_has_no_legacy_access(linked_at: str) -> None:
    context = only_plan(s(), d(link="scw-7", linked_at=linked_at)).contexts[0]

    assert not context.legacy_access
    assert "not before the cutoff" in context.legacy_access_reason


def test_link_without_a_date_has_no_legacy_access() -> None:
    record = parse_record({**json.loads(d(link="scw-7").raw), "linked_at": None})

    context = only_plan(s(), record).contexts[0]

    assert not context.legacy_access
    assert "unknown" in context.legacy_access_reason


def test_same_email_without_a_link_has_no_legacy_access() -> None:
    assert not only_plan(s(), d()).contexts[0].legacy_access


def test_cutoff_is_a_parameter_not_a_fixed_date() -> None:
    records: list[LegacyRecord] = [s(), d(link="scw-7", linked_at="2025-12-01T00:00:00Z")]

    [later] = plan(records, cutoff=datetime(2026, 1, 1, tzinfo=UTC))

    assert later.contexts[0].legacy_access


def test_naive_cutoff_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        plan([s()], cutoff=datetime(2025, 10, 28))


# --- duplicates ----------------------------------------------------------------------------------


def test_scaleway_accounts_with_one_normalised_email_merge_into_the_smallest_legacy_id() -> None:
    p = only_plan(s("scw-9", "J@example.com", mfa=TOTP), s("scw-10", "j@example.com"), d(link="scw-9"))

    assert p.unified_key == "scw-10"
    assert p.scaleway_legacy_id == "scw-10"
    assert p.merged_scaleway_legacy_ids == ("scw-9",)
    assert p.password.source == "scw-10"
    # scw-10 has no factor, and the merged account's is not carried over: one must be enrolled.
    assert (p.mfa.source, p.mfa.change) == (None, MfaChange.ERASED)
    assert "scw-9" in p.mfa.reason
    assert p.required_actions == (RequiredAction.ENROLL_MFA,)
    assert p.scaleway_reason is not None and "review" in p.scaleway_reason
    assert p.contexts[0].joined_by is JoinedBy.LINK
    assert p.contexts[0].legacy_access


def test_duplicate_scaleway_accounts_alone_are_affected() -> None:
    p = only_plan(s("scw-1"), s("scw-2"))

    assert p.case is Case.SCALEWAY_ONLY
    assert p.affected


def test_the_same_legacy_id_twice_in_one_console_is_refused() -> None:
    with pytest.raises(DuplicateLegacyRecordError, match="dbx-1"):
        list(plan([d("dbx-1"), d("dbx-1", email="x@example.com")], cutoff=CUTOFF))


def test_the_same_legacy_id_in_both_consoles_is_two_accounts() -> None:
    p = only_plan(s("42"), d("42"))

    assert (p.scaleway_legacy_id, p.dedibox_legacy_ids) == ("42", ("42",))


# --- the plan as a whole -------------------------------------------------------------------------


def test_plans_are_sorted_by_unified_key_whatever_the_input_order() -> None:
    records: list[LegacyRecord] = [
        d("dbx-3", "c@example.com"),
        s("scw-2", "b@example.com"),
        d("dbx-1", "b@example.com"),
        s("scw-1", "a@example.com"),
    ]

    forward = list(plan(records, cutoff=CUTOFF))
    backward = list(plan(reversed(records), cutoff=CUTOFF))

    assert forward == backward
    assert [p.unified_key for p in forward] == sorted(p.unified_key for p in forward)
    assert len(forward) == 3


def test_a_caller_can_plan_group_by_group() -> None:
    records: list[LegacyRecord] = [s(), d(link="scw-7"), d("dbx-2", "x@example.com")]

    by_group = [plan_group(group, CUTOFF) for group in group_records(records)]

    assert by_group == list(plan(records, cutoff=CUTOFF))


def test_every_plan_sends_users_to_scaleway_support_before_and_dedibox_support_after() -> None:
    p = only_plan(d())

    assert (p.support_before, p.support_after) == ("scaleway", "dedibox")


def test_context_carries_the_whole_dedibox_record() -> None:
    record = d(link="scw-7")

    context = only_plan(s(), record).contexts[0]

    assert context.record == record
    assert (context.legacy_id, context.identifier) == ("dbx-1", "user-dbx-1")


def test_report_line_is_json_and_holds_every_decision_without_secrets() -> None:
    p = only_plan(s(mfa=TOTP), d(email="other@example.org", link="scw-7", mfa=SMS))

    line = json.dumps(p.to_report_dict())
    report = json.loads(line)

    assert report["email"] == "j@example.com"
    assert report["case"] == "linked"
    assert report["scaleway_legacy_id"] == "scw-7"
    assert report["dedibox_legacy_ids"] == ["dbx-1"]
    assert report["password"] == {"source": "scw-7", "change": "unchanged", "reason": p.password.reason}
    assert report["mfa"]["change"] == "replaced_by_scaleway"
    assert report["mfa"]["kind"] == "totp"
    assert report["contexts"][0]["legacy_access"] is True
    assert report["contexts"][0]["legacy_access_reason"]
    for secret in (S_HASH, D_HASH, "JBSWY3DPEHPK3PXP"):
        assert secret not in line


def test_count_by_case_lists_every_case() -> None:
    plans = plan(
        [s("scw-1", "a@example.com"), d("dbx-1", "b@example.com"), d("dbx-2", "c@x.io")], cutoff=CUTOFF
    )

    counts = count_by_case(plans)

    assert counts == {
        Case.SCALEWAY_ONLY: 1,
        Case.LINKED: 0,
        Case.SAME_EMAIL: 0,
        Case.DEDIBOX_ONLY: 2,
        Case.SEVERAL_DEDIBOX: 0,
        Case.SEVERAL_DEDIBOX_WITH_SCALEWAY: 0,
    }
    assert json.loads(json.dumps(counts)) == {str(case): n for case, n in counts.items()}
