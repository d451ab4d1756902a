"""Account unification end to end: `gatehouse` commands against the running local stack, then HTTP.

Import (bad lines reported, re-import changes nothing), dry-run plan, schedule, two notifier runs
(overlapping), the unifier (twice), completion emails, then a login for every row of the rules
table, GET /unification, /consoles, the legacy login and its cutoff, legacy API keys, and a
unifier stopped mid-run and resumed.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.bench.unification import API_SECRET, PASSWORD, TOTP_SEED, case_of, email_of, generate_lines
from tests.e2e.conftest import ROOT, Stack

GATEHOUSE = str(Path(sys.executable).with_name("gatehouse"))
DEDIBOX_AUTH = "Basic " + base64.b64encode(b"dedibox:local-dedibox-secret").decode()
ACCOUNTS = 21  # three of each case, so each dedibox_only hash format appears


def gh(stack: Stack, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([GATEHOUSE, "--stage", "local", *args], cwd=ROOT, env=stack.env(), capture_output=True,
                          text=True, timeout=600)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def last_json(done: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(done.stdout.strip().splitlines()[-1])


def past() -> str:
    return (datetime.now(UTC) - timedelta(hours=1)).isoformat()


def write_file(tmp_path: Path, prefix: str, accounts: int, bad: bool = False) -> Path:
    lines = list(generate_lines(accounts, prefix))
    if bad:
        lines.insert(2, "{not json\n")
        lines.insert(5, json.dumps({"console": "dedibox", "legacy_id": f"dbx-{prefix}-bad", "identifier": "x",
                                    "email": "x@example.com", "password_hash": "plain"}) + "\n")
    path = tmp_path / f"{prefix}.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def subjects(stack: Stack, address: str) -> list[str]:
    return [m["subject"] for m in stack.outbox(address) if m["channel"] == "email"]


@pytest.fixture(scope="module")
def unified(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the whole operator path once for this module's own accounts; keep every output."""
    tmp = tmp_path_factory.mktemp("unify")
    prefix = f"e2e{time.time_ns() % 10**9}"
    wave = f"wave-{prefix}"
    path = write_file(tmp, prefix, ACCOUNTS, bad=True)
    out: dict[str, Any] = {"prefix": prefix, "wave": wave}
    out["import"] = gh(stack, "legacy", "import", str(path), check=False)
    out["reimport"] = gh(stack, "legacy", "import", str(path), check=False)
    out["status_before_plan"] = last_json(gh(stack, "unify", "status"))
    out["plan"] = gh(stack, "unify", "plan", "--report", str(tmp / "report.jsonl"))
    out["report"] = [json.loads(line) for line in (tmp / "report.jsonl").read_text().splitlines()]
    out["status_after_plan"] = last_json(gh(stack, "unify", "status"))
    out["schedule"] = last_json(gh(stack, "unify", "schedule", "--wave", wave, "--at", past()))
    # Two overlapping notifier runs, then a retry: each announcement must still go once.
    env = stack.env()
    runs = [subprocess.Popen([GATEHOUSE, "--stage", "local", "notify", "run"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, text=True) for _ in range(2)]
    out["notify_overlapping"] = [json.loads(r.communicate(timeout=600)[0].strip().splitlines()[-1]) for r in runs]
    out["notify_retry"] = last_json(gh(stack, "notify", "run"))
    out["status_notified"] = last_json(gh(stack, "unify", "status"))[wave]
    out["unify_1"] = last_json(gh(stack, "unify", "run"))
    out["unify_2"] = last_json(gh(stack, "unify", "run"))
    out["notify_3"] = last_json(gh(stack, "notify", "run"))
    out["notify_4"] = last_json(gh(stack, "notify", "run"))
    out["status_done"] = last_json(gh(stack, "unify", "status"))[wave]
    return out


def accounts_of(case: str) -> list[int]:
    return [n for n in range(ACCOUNTS) if case_of(n) == case]


def test_import_reports_each_bad_line_by_number_and_keeps_every_good_one(unified: dict[str, Any]) -> None:
    done = unified["import"]
    assert done.returncode == 1
    assert "line 3" in done.stdout and "not valid JSON" in done.stdout
    assert "line 6" in done.stdout and "password_hash" in done.stdout
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    good = sum(1 for _ in generate_lines(ACCOUNTS, unified["prefix"]))
    assert summary == {"read": good + 2, "new": good, "unchanged": 0, "invalid": 2}


def test_reimporting_the_same_file_changes_nothing(unified: dict[str, Any]) -> None:
    summary = json.loads(unified["reimport"].stdout.strip().splitlines()[-1])
    assert summary["new"] == 0 and summary["unchanged"] == summary["read"] - 2


def test_the_plan_is_a_dry_run_that_reports_every_account_and_counts_cases(unified: dict[str, Any]) -> None:
    assert unified["status_before_plan"] == unified["status_after_plan"]
    mine = {r["unified_key"]: r for r in unified["report"] if unified["prefix"] in json.dumps(r)}
    assert len(mine) == ACCOUNTS
    counts = json.loads(unified["plan"].stdout.strip().splitlines()[-1])
    assert counts["accounts"] == len(unified["report"])
    assert counts["by_case"]["linked"] >= 6  # linked and linked after the cutoff are one case
    assert all("password_hash" not in json.dumps(r) for r in mine.values())


def test_every_affected_account_moves_scheduled_notified_completed(unified: dict[str, Any]) -> None:
    affected = ACCOUNTS - len(accounts_of("scaleway_only"))
    assert unified["schedule"]["scheduled"] == affected
    assert unified["status_notified"] == {"scheduled": 0, "notified": affected, "completed": 0}
    assert unified["unify_1"]["completed"] == affected
    assert unified["unify_2"]["completed"] == 0
    assert unified["status_done"] == {"scheduled": 0, "notified": 0, "completed": affected}
    assert sum(r["announced"] for r in unified["notify_overlapping"]) + unified["notify_retry"]["announced"] == affected
    assert unified["notify_3"]["completed"] == affected and unified["notify_4"]["completed"] == 0


def test_each_account_gets_each_email_exactly_once_in_its_language(stack: Stack, unified: dict[str, Any]) -> None:
    for n in range(ACCOUNTS):
        address = email_of(unified["prefix"], n)
        got = subjects(stack, address)
        if case_of(n) == "scaleway_only":
            assert got == []
            continue
        assert len(got) == 2, (address, got)
        if address.endswith(".fr"):
            assert got == ["Vos comptes Scaleway et Dedibox deviennent un seul compte",
                           "Vos comptes ne font plus qu'un"]
        else:
            assert got == ["Your Scaleway and Dedibox accounts are becoming one", "Your accounts are now one"]


def test_completion_email_gives_the_next_steps_of_the_case(stack: Stack, unified: dict[str, Any]) -> None:
    several = email_of(unified["prefix"], accounts_of("several_dedibox")[0])
    text = stack.last_message(several)["text"]
    assert "code" in text and ("new password" in text or "nouveau mot de passe" in text)
    sms = next(n for n in accounts_of("dedibox_only") if n % 2)
    text = stack.last_message(email_of(unified["prefix"], sms))["text"]
    assert "SMS" in text
    assert "Dedibox" in text


def totp_verify(stack: Stack, client: Any) -> Any:
    """Answer the second factor with a code of the migrated seed, at the stack's own time."""
    import pyotp

    now = datetime.fromisoformat(stack.client().post("/dev/clock", json={"seconds": 0}).json()["now"]
                                 .replace("Z", "+00:00"))
    return client.post("/mfa/verify", json={"method": "totp", "code": pyotp.TOTP(TOTP_SEED).at(now)})


def login(stack: Stack, email: str, password: str = PASSWORD) -> tuple[Any, Any]:
    client = stack.client()
    return client, client.post("/login", json={"email": email, "password": password})


def test_linked_account_keeps_scaleway_password_and_shows_dedibox_context(stack: Stack,
                                                                           unified: dict[str, Any]) -> None:
    n = accounts_of("linked")[0]
    client, r = login(stack, email_of(unified["prefix"], n))
    assert r.status_code == 200 and r.json()["status"] == "authenticated", r.text
    view = client.get("/unification").json()
    assert view == {**view, "state": "completed", "support": "dedibox", "legacy_access": True,
                    "changes": {"password": "unchanged", "mfa": "unchanged"}}
    consoles = client.get("/consoles").json()["consoles"]
    dedibox = next(c for c in consoles if c["id"] == "dedibox")
    assert [c["legacy_id"] for c in dedibox["contexts"]] == [f"dbx-{unified['prefix']}-{n}"]


@pytest.mark.parametrize("fmt_index", [0, 1, 2])
def test_dedibox_only_login_works_whatever_the_legacy_hash_format(stack: Stack, unified: dict[str, Any],
                                                                  fmt_index: int) -> None:
    n = accounts_of("dedibox_only")[fmt_index]
    client, r = login(stack, email_of(unified["prefix"], n))
    assert r.status_code == 200, r.text
    body = r.json()
    if n % 2:  # SMS retired
        assert body["required_actions"] == ["enroll_mfa"]
    else:  # TOTP migrated, and its seed works at once
        assert body["status"] == "mfa_required" and body["mfa_methods"] == ["totp"]
        assert totp_verify(stack, client).status_code == 200
    _, again = login(stack, email_of(unified["prefix"], n))  # the rehashed password still works
    assert again.status_code == 200


def test_same_email_keeps_scaleway_password_and_migrates_the_dedibox_totp(stack: Stack,
                                                                           unified: dict[str, Any]) -> None:
    client, r = login(stack, email_of(unified["prefix"], accounts_of("same_email")[0]))
    assert r.status_code == 200 and r.json()["mfa_methods"] == ["totp"], r.text
    verified = totp_verify(stack, client)
    assert verified.status_code == 200 and verified.json()["status"] == "authenticated", verified.text
    assert client.get("/unification").json()["changes"] == {"password": "unchanged", "mfa": "unchanged"}


def test_several_dedibox_accounts_lose_their_passwords(stack: Stack, unified: dict[str, Any]) -> None:
    _, r = login(stack, email_of(unified["prefix"], accounts_of("several_dedibox")[0]))
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_credentials"


def test_several_dedibox_with_scaleway_keep_the_scaleway_login(stack: Stack, unified: dict[str, Any]) -> None:
    n = accounts_of("several_dedibox_with_scaleway")[0]
    client, r = login(stack, email_of(unified["prefix"], n))
    assert r.status_code == 200, r.text
    contexts = next(c for c in client.get("/consoles").json()["consoles"] if c["id"] == "dedibox")["contexts"]
    assert len(contexts) == 2


def test_legacy_login_only_for_links_that_predate_the_cutoff(stack: Stack, unified: dict[str, Any]) -> None:
    p = unified["prefix"]
    linked, late = accounts_of("linked")[0], accounts_of("linked_late")[0]
    group = accounts_of("several_dedibox_with_scaleway")[0]
    ok = stack.client().post("/login/legacy", json={"identifier": f"{p}-{linked}", "password": PASSWORD})
    assert ok.status_code == 200 and ok.json()["status"] == "authenticated", ok.text
    assert stack.client().post("/login/legacy", json={"identifier": f"{p}-{group}b", "password": PASSWORD}
                               ).status_code == 200
    for identifier in (f"{p}-{late}", f"{p}-{group}a"):
        r = stack.client().post("/login/legacy", json={"identifier": identifier, "password": PASSWORD})
        assert r.status_code == 403 and r.json()["error"]["code"] == "legacy_login_unavailable", r.text
    wrong = stack.client().post("/login/legacy", json={"identifier": f"{p}-{late}", "password": "not the password"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_credentials"


def test_failures_split_between_login_and_legacy_login_reach_the_back_off_together(stack: Stack,
                                                                                   unified: dict[str, Any]) -> None:
    p, n = unified["prefix"], accounts_of("linked")[1]
    identifier, email = f"{p}-{n}", email_of(p, n)
    client = stack.client()
    statuses = [client.post("/login", json={"email": email, "password": "not the password"}).status_code
                for _ in range(3)]
    statuses += [client.post("/login/legacy", json={"identifier": identifier, "password": "not the password"}
                             ).status_code for _ in range(2)]
    assert statuses == [401] * 5
    for path, body in (("/login/legacy", {"identifier": identifier}), ("/login", {"email": email})):
        r = client.post(path, json={**body, "password": PASSWORD})
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited", (path, r.text)
    stack.advance_clock(int(r.headers["Retry-After"]) + 1)
    assert client.post("/login/legacy", json={"identifier": identifier, "password": PASSWORD}).status_code == 200
    # That success cleared the one budget, /login's too.
    assert [client.post("/login", json={"email": email, "password": "not the password"}).status_code
            for _ in range(5)] == [401] * 5
    assert client.post("/login", json={"email": email, "password": PASSWORD}).status_code == 429


def test_legacy_api_keys_keep_verifying(stack: Stack, unified: dict[str, Any]) -> None:
    p, n = unified["prefix"], accounts_of("linked")[0]
    client = stack.client()
    r = client.post("/api-keys/verify", json={"key_id": f"key-{p}-{n}", "secret": API_SECRET},
                    headers={"Authorization": DEDIBOX_AUTH})
    assert r.status_code == 200, r.text
    assert r.json() == {**r.json(), "valid": True, "console": "dedibox", "context": f"dedibox-dbx-{p}-{n}"}
    assert r.json()["account_id"].startswith("acc_")
    for body in ({"key_id": f"key-{p}-{n}", "secret": "wrong"}, {"key_id": "no-such-key", "secret": API_SECRET}):
        r = client.post("/api-keys/verify", json=body, headers={"Authorization": DEDIBOX_AUTH})
        assert r.status_code == 200 and r.json()["valid"] is False
    assert client.post("/api-keys/verify", json={"key_id": "k", "secret": "s"}).status_code == 401
    # Its owner sees it among the account's keys, bound to its Dedibox context.
    owner, signed_in = login(stack, email_of(p, n))
    assert signed_in.status_code == 200, signed_in.text
    listed = owner.get("/api-keys").json()["api_keys"]
    assert [(k["key_id"], k["console"], k["context"]) for k in listed] == [
        (f"key-{p}-{n}", "dedibox", f"dedibox-dbx-{p}-{n}")]


def unify_interrupted_or_not(stack: Stack, tmp_path: Path, accounts: int,
                             interrupt: Callable[[str], None]) -> dict[str, Any]:
    """The same unification twice, on fresh accounts: once with `interrupt(wave)` before the
    unifier's last run, once without; for each, the wave's states and what a login of every case
    of the rules table gets (status, and the unification view's state)."""
    results = {}
    for mode in ("interrupted", "uninterrupted"):
        prefix = f"e2e{mode[:3]}{time.time_ns() % 10**9}"
        gh(stack, "legacy", "import", str(write_file(tmp_path, prefix, accounts)))
        wave = f"wave-{prefix}"
        gh(stack, "unify", "schedule", "--wave", wave, "--at", past())
        gh(stack, "notify", "run")
        if mode == "interrupted":
            interrupt(wave)
        gh(stack, "unify", "run")
        assert last_json(gh(stack, "unify", "run"))["completed"] == 0
        outcome = {}
        for n in range(7):
            client, r = login(stack, email_of(prefix, n))
            view = client.get("/unification").json() if r.status_code == 200 and r.json()["status"] == "authenticated" \
                else None
            outcome[case_of(n)] = (r.status_code, r.json().get("status"), view and view["state"])
        results[mode] = (last_json(gh(stack, "unify", "status"))[wave], outcome)
    return results


def test_a_unifier_stopped_mid_run_ends_where_an_uninterrupted_one_does(stack: Stack, tmp_path: Path) -> None:
    def stop_after_one_batch(wave: str) -> None:
        first = last_json(gh(stack, "unify", "run", "--batch-size", "2", "--max-batches", "1"))
        assert first["completed"] == 2
        assert last_json(gh(stack, "unify", "status"))[wave]["completed"] == 2

    results = unify_interrupted_or_not(stack, tmp_path, 7, stop_after_one_batch)
    assert results["interrupted"] == results["uninterrupted"]


def test_a_unifier_killed_with_sigkill_mid_batch_and_run_again_ends_where_an_uninterrupted_one_does(
        stack: Stack, tmp_path: Path) -> None:
    def kill_mid_run(wave: str) -> None:
        run = subprocess.Popen([GATEHOUSE, "--stage", "local", "unify", "run", "--batch-size", "1"], cwd=ROOT,
                               env=stack.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while last_json(gh(stack, "unify", "status"))[wave]["completed"] < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        run.kill()  # SIGKILL: wherever it is, mid-batch included
        run.wait()
        assert 10 <= last_json(gh(stack, "unify", "status"))[wave]["completed"] < 600, "not killed mid-run"

    # 600 affected accounts, one a batch: seconds of work, so the kill lands mid-run.
    results = unify_interrupted_or_not(stack, tmp_path, 700, kill_mid_run)
    assert results["interrupted"] == results["uninterrupted"]
    assert results["interrupted"][0] == {"scheduled": 0, "notified": 0, "completed": 600}


def test_make_run_loads_a_unified_demo_login_for_every_row(stack: Stack) -> None:
    from gatehouse.local.demo import DEMO_LEGACY_LOGINS

    log = stack.log.read_text(errors="replace")
    for row, email, password, _ in DEMO_LEGACY_LOGINS:
        assert email in log
        if password is None:
            continue
        r = stack.client().post("/login", json={"email": email, "password": password})
        assert r.status_code == 200, (row, r.text)
    legacy = stack.client().post("/login/legacy", json={"identifier": "demo-linked",
                                                        "password": "linked scaleway password"})
    assert legacy.status_code == 200, legacy.text
