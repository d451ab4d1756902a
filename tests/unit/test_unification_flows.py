"""Unification flows over fakes: import, schedule, notifier (exactly once, batched, crash-safe),
unifier (idempotent, resumable), login after unification (legacy hashes rehashed), API keys."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Generator, Iterable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from gatehouse.adapters.memory import MemoryUnification
from gatehouse.adapters.memory.record_grouper import FakeRecordGrouper
from gatehouse.bootstrap import Container
from gatehouse.domain.legacy import LegacyRecord
from gatehouse.domain.unification import RecordGroup
from gatehouse.flows.notifier import COMPLETE

from tests.bench.unification import API_SECRET, PASSWORD, case_of, email_of, generate_lines


class CountingStore(MemoryUnification):
    """The fake store, counting calls: each one stands for one DynamoDB call (or a few, paged)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()

    def __getattribute__(self, name: str) -> Any:
        attr = super().__getattribute__(name)
        if callable(attr) and not name.startswith("_") and name != "calls":
            self.calls[name] += 1
        return attr


def unified(n: int, prefix: str = "u", **parts: Any) -> Container:
    c = Container.in_memory(**parts)
    report = c.unification.import_lines(generate_lines(n, prefix))
    assert not report.errors
    c.unification.schedule("w1", c.clock.now() - timedelta(minutes=1))
    return c


def test_import_reports_bad_lines_by_number_and_keeps_the_good_ones() -> None:
    c = Container.in_memory()
    lines = list(generate_lines(3, "i"))
    lines.insert(1, "[1, 2]\n")
    lines.insert(3, '{"console": "dedibox", "legacy_id": "x", "identifier": "x", "email": "x@example.com", '
                    '"password_hash": "$2b$12$short", "mfa": null}\n')
    report = c.unification.import_lines(iter(lines))
    assert [e.split(",")[0].split(":")[0] for e in report.errors] == ["line 2", "line 4"]
    assert report.new == len(lines) - 2
    again = c.unification.import_lines(iter(lines))
    assert again.new == 0 and again.unchanged == len(lines) - 2


def test_import_reports_every_problem_of_each_line_in_line_order() -> None:
    c = Container.in_memory()
    good = list(generate_lines(3, "o"))
    c.unification.import_lines(good[:1])
    changed = good[0].replace("@example.com", "@example.org")  # a conflict, known only when its batch is written
    bad = ('{"console": "dedibox", "legacy_id": "b", "identifier": "", "email": "x", '
           '"password_hash": "$2b$12$short", "mfa": null}\n')
    report = c.unification.import_lines([changed, good[1], bad, good[2]], batch_size=10)
    first = json.loads(changed)
    assert report.errors[:3] == [
        f"line 1, record {first['legacy_id']!r}: {first['console']} legacy id already imported with different "
        "content: keep only one version",
        "line 3, record 'b', field 'identifier': identifier must be a non-empty string, got an empty string",
        "line 3, record 'b', field 'email': not an email address (expected local@domain.tld)",
    ]
    assert len(report.errors) == 4
    assert report.errors[3].startswith("line 3, record 'b', field 'password_hash': unknown password hash format")


def test_import_refuses_a_legacy_id_already_archived_with_other_content() -> None:
    c = Container.in_memory()
    line = next(generate_lines(1, "c"))
    c.unification.import_lines([line])
    report = c.unification.import_lines([line.replace("@example.com", "@example.org")])
    assert report.new == 0 and "different content" in report.errors[0]


def test_import_reads_lazily_one_batch_at_a_time() -> None:
    c = Container.in_memory()
    pulled = 0

    def lines() -> Iterator[str]:
        nonlocal pulled
        for line in generate_lines(60, "s"):
            pulled += 1
            yield line

    store = c.unification_store
    archived_when_pulled: list[int] = []
    original = store.archive

    def archive(records: list) -> list[str]:
        archived_when_pulled.append(pulled)
        return original(records)

    store.archive = archive  # type: ignore[method-assign]
    c.unification.import_lines(lines(), batch_size=10)
    # Each batch is written when its tenth line is read, not after the whole input.
    assert archived_when_pulled[0] == 10 and len(archived_when_pulled) > 5


def test_the_plan_groups_the_archive_with_the_containers_record_grouper() -> None:
    grouped: list[int] = []

    class CountingGrouper(FakeRecordGrouper):
        def groups(self, records: Iterable[LegacyRecord]) -> Generator[RecordGroup, None, None]:
            records = list(records)
            grouped.append(len(records))
            yield from super().groups(records)

    c = Container.in_memory(record_grouper=CountingGrouper())
    c.unification.import_lines(generate_lines(7, "g"))

    plans = list(c.unification.plan())

    assert grouped == [sum(1 for _ in c.unification.records())]
    assert len(plans) == 7


def test_each_account_gets_each_email_once_however_often_the_notifier_runs() -> None:
    c = unified(14)
    c.unification_notifier.run()
    c.unification_notifier.run()
    c.unifier.run()
    c.unification_notifier.run()
    c.unification_notifier.run()
    per_address = Counter((e.to, e.tag) for e in c.bulk_mailer.sent)
    assert set(per_address.values()) == {1}
    assert len(per_address) == 2 * sum(1 for n in range(14) if case_of(n) != "scaleway_only")


def test_a_notifier_that_crashed_after_claiming_sends_after_the_lease_not_before() -> None:
    c = unified(7)
    store = c.unification_store
    keys = [i["unified_key"] for i in store.page("w1", "scheduled", 100)[0]]
    # A run claimed everything, then died before sending.
    store.claim(keys, "unification_announce", c.clock.now(), 15 * 60)
    assert c.unification_notifier.run().announced == 0
    c.clock.advance(15 * 60 + 1)
    assert c.unification_notifier.run().announced == len(keys)
    assert c.unification_notifier.run().announced == 0


def test_a_notifier_that_crashed_after_sending_still_moves_accounts_to_notified() -> None:
    c = unified(7)
    store = c.unification_store
    keys = [i["unified_key"] for i in store.page("w1", "scheduled", 100)[0]]
    store.claim(keys, "unification_announce", c.clock.now(), 60)
    store.mark_sent(keys, "unification_announce", c.clock.now())
    assert c.unification_notifier.run().announced == 0
    assert store.count("w1", "notified") == len(keys)
    assert c.bulk_mailer.sent == []


def test_once_every_completed_account_is_told_a_notifier_run_reads_none_of_them() -> None:
    store = CountingStore()
    c = unified(70, "t", unification_store=store)
    c.unification_notifier.run()
    c.unifier.run()
    assert c.unification_notifier.run().completed == 60  # 70 minus the 10 lone Scaleway accounts
    store.calls.clear()
    assert c.unification_notifier.run().as_dict() == {"announced": 0, "completed": 0}
    # Nothing is due: the run only pages (and finds nothing); no claim is read, none written.
    assert set(store.calls) == {"waves", "page"}, store.calls
    assert c.unification.status()["w1"]["completed"] == 60
    assert store.count("w1", "completed", untold=True) == 0


def test_a_notifier_that_crashed_after_sending_completion_emails_tells_them_without_sending_again() -> None:
    c = unified(14)
    c.unification_notifier.run()
    c.unifier.run()
    store = c.unification_store
    keys = [i["unified_key"] for i in store.page("w1", "completed", 100)[0]]
    store.claim(keys, COMPLETE, c.clock.now(), 60)
    store.mark_sent(keys, COMPLETE, c.clock.now())  # ... and died before marking them told
    sent_before = len(c.bulk_mailer.sent)
    assert c.unification_notifier.run().completed == 0
    assert len(c.bulk_mailer.sent) == sent_before
    assert store.page("w1", "completed", 100)[0] == [] and store.count("w1", "completed") == len(keys)


def test_five_hundred_accounts_cost_a_few_dozen_store_and_mail_calls() -> None:
    store = CountingStore()
    c = unified(500, "b", unification_store=store)
    store.calls.clear()
    announced = c.unification_notifier.run(batch_size=100).announced
    assert announced > 400
    per_1000 = sum(store.calls.values()) * 1000 / announced
    assert per_1000 < 100, store.calls
    assert c.bulk_mailer.calls <= announced / 50 + 2 * 5  # up to 50 a call; a short chunk per locale and page


def test_a_unifier_stopped_after_one_batch_and_resumed_ends_as_an_uninterrupted_one() -> None:
    def run(stop_early: bool) -> list[Any]:
        c = unified(21, "r")
        c.unification_notifier.run()
        if stop_early:
            assert c.unifier.run(batch_size=4, max_batches=1).completed == 4
        c.unifier.run(batch_size=4)
        assert c.unifier.run().completed == 0
        # Factor ids are the MFA store's own (random); the factor kinds must match.
        return sorted((a.id, a.email, a.contexts, tuple(m.type for m in a.mfa_methods), a.password_hash,
                       a.set_password_required, a.mfa_enrolment_required)
                      for a in (c.accounts.get_by_email(email_of("r", n)) for n in range(21)) if a is not None)

    assert run(stop_early=True) == run(stop_early=False)


class LambdaContext:
    """What the scheduled handlers read of Lambda's context: the time left, here spent per call."""

    def __init__(self, calls_before_deadline: int) -> None:
        self.left = calls_before_deadline

    def get_remaining_time_in_millis(self) -> int:
        self.left -= 1
        return 300_000 if self.left >= 0 else 1_000


def test_scheduled_handlers_near_their_timeout_stop_between_batches_and_the_next_run_goes_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.unification_notifier import lambda_function as notifier_lambda
    from functions.unifier import lambda_function as unifier_lambda

    c = unified(700, "t")  # 600 affected accounts: 6 batches of 100
    monkeypatch.setattr(notifier_lambda, "container", lambda: c)
    monkeypatch.setattr(unifier_lambda, "container", lambda: c)
    assert notifier_lambda.handler({}, LambdaContext(2))["announced"] == 200
    assert notifier_lambda.handler({}, LambdaContext(100))["announced"] == 400
    first = unifier_lambda.handler({}, LambdaContext(3))
    assert first["completed"] == 300 and first["batches"] == 3
    assert unifier_lambda.handler({}, LambdaContext(100))["completed"] == 300
    assert c.unification.status()["w1"] == {"scheduled": 0, "notified": 0, "completed": 600}


def test_a_unifier_that_died_after_creating_an_account_completes_it_on_the_next_run() -> None:
    c = unified(7, "d")
    c.unification_notifier.run()
    store = c.unification_store
    original = store.transition

    def crash(*args: Any) -> list[str]:
        raise RuntimeError("killed")

    store.transition = crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        c.unifier.run()
    store.transition = original  # type: ignore[method-assign]
    report = c.unifier.run()
    assert report.completed == 6 and report.conflicts == []


@pytest.mark.parametrize("n", [3, 10, 17])  # dedibox_only with bcrypt, argon2id, pbkdf2_sha256
def test_login_with_the_kept_legacy_password_upgrades_it_to_argon2id(n: int) -> None:
    c = unified(18, "h")
    c.unification_notifier.run()
    c.unifier.run()
    before = c.accounts.get_by_email(email_of("h", n)).password_hash
    c.login.login(email_of("h", n), PASSWORD, ip="192.0.2.1")
    after = c.accounts.get_by_email(email_of("h", n)).password_hash
    assert before != after and after.startswith("$argon2id$")


def test_unification_view_follows_the_state_and_the_support_team() -> None:
    c = unified(7, "v")
    from gatehouse.domain.accounts import Account

    stranger = Account(id="acc_x", email=email_of("v", 0), created_at=c.clock.now())
    assert c.unification.view(stranger)["state"] == "scheduled"
    assert c.unification.view(stranger)["support"] == "scaleway"
    c.unification_notifier.run()
    c.unifier.run()
    account = c.accounts.get_by_email(email_of("v", 0))
    view = c.unification.view(account)
    assert view["state"] == "completed" and view["support"] == "dedibox" and view["legacy_access"] is True
    other = Account(id="acc_y", email="nobody@example.com", created_at=c.clock.now())
    assert c.unification.view(other)["state"] == "not_affected"


def test_completion_emails_name_the_steps_of_each_case_in_french_too() -> None:
    c = unified(7, "t")
    c.unification_notifier.run()
    c.unifier.run()
    c.unification_notifier.run()
    done = {e.to: e.text for e in c.bulk_mailer.sent if e.tag == COMPLETE}
    several = done[email_of("t", 4)]  # several_dedibox, .com
    assert "Set a new password" in several and "Dedibox support" in several
    sms = done[email_of("t", 3)]  # dedibox_only with SMS, .fr
    assert "Le SMS n'est plus un second facteur" in sms and "support Dedibox" in sms


def test_legacy_api_keys_verify_in_their_dedibox_context_only_and_are_listed_with_the_account() -> None:
    c = unified(1, "k")
    c.unification_notifier.run()
    c.unifier.run()
    good = c.api_keys.verify("dedibox", "key-k-0", API_SECRET)
    assert good["valid"] is True and good["context"] == "dedibox-dbx-k-0"
    assert c.api_keys.verify("dedibox", "key-k-0", "nope")["valid"] is False
    assert c.api_keys.verify("scaleway", "key-k-0", API_SECRET)["valid"] is False
    assert hashlib.sha256(API_SECRET.encode()).hexdigest() not in repr(good)
    # The unified account sees its legacy key among its own, bound to its Dedibox context.
    [listed] = c.api_key_store.list(good["account_id"])
    assert (listed.key_id, listed.console, listed.context) == ("key-k-0", "dedibox", "dedibox-dbx-k-0")


def test_batches_are_full_across_pages_and_every_account_comes_once() -> None:
    from gatehouse.flows.waves import batches

    c = unified(70, "p")  # 60 affected accounts
    seen = [len(b) for b in batches(c.unification_store, "w1", "scheduled", batch_size=7, page_size=4)]
    assert seen == [7] * 8 + [4]
    keys = [i.unified_key for b in batches(c.unification_store, "w1", "scheduled", 7, 4) for i in b]
    assert len(keys) == len(set(keys)) == 60


def _wrong_legacy_login(c: Container, identifier: str) -> None:
    from gatehouse.errors import InvalidCredentialsError

    with pytest.raises(InvalidCredentialsError):
        c.login.sign_in("legacy", {"identifier": identifier, "password": "not the password"}, ip="192.0.2.1")


def _wrong_login(c: Container, email: str) -> None:
    from gatehouse.errors import InvalidCredentialsError

    with pytest.raises(InvalidCredentialsError):
        c.login.login(email, "not the password", ip="192.0.2.1")


@pytest.mark.parametrize("legacy_first", [True, False])
def test_legacy_login_and_login_spend_one_failure_budget_per_account(legacy_first: bool) -> None:
    from gatehouse.errors import RateLimitedError

    c = unified(7, "b")
    c.unification_notifier.run()
    c.unifier.run()
    identifier, email = "b-0", email_of("b", 0)  # linked: a legacy identifier and the unified email
    for n in range(5):
        if (n < 3) == legacy_first:
            _wrong_legacy_login(c, identifier)
        else:
            _wrong_login(c, email)
    with pytest.raises(RateLimitedError):
        c.login.login(email, PASSWORD, ip="192.0.2.1")
    with pytest.raises(RateLimitedError):
        c.login.sign_in("legacy", {"identifier": identifier, "password": PASSWORD}, ip="192.0.2.1")


def test_an_unknown_legacy_identifier_is_throttled_like_a_known_one_under_its_own_key() -> None:
    from gatehouse.errors import RateLimitedError

    c = unified(7, "q")
    c.unification_notifier.run()
    c.unifier.run()
    for _ in range(5):
        _wrong_legacy_login(c, "q-nobody")
    with pytest.raises(RateLimitedError):
        c.login.sign_in("legacy", {"identifier": "q-nobody", "password": "not the password"}, ip="192.0.2.1")
    _wrong_legacy_login(c, "q-0")  # nobody else's budget was spent
    _wrong_login(c, email_of("q", 0))
