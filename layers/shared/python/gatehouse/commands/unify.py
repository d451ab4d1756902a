"""`gatehouse unify plan|schedule|status|run`: the dry run, waves, their state, and the unifier."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from gatehouse.bootstrap import Container, container
from gatehouse.commands._progress import bar


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("unify", help="plan, schedule and apply the unification")
    unify = p.add_subparsers(dest="unify_command", required=True, metavar="ACTION")
    plan = unify.add_parser("plan", help="dry run: write the report of every decision, change nothing")
    plan.add_argument("--report", required=True, help="where to write the JSON Lines report")
    plan.set_defaults(handler=_plan)
    sched = unify.add_parser("schedule", help="put every planned account in a wave")
    sched.add_argument("--wave", required=True)
    sched.add_argument("--at", required=True, help="RFC 3339 time the wave is applied, e.g. 2026-12-01T09:00:00Z")
    sched.set_defaults(handler=_schedule)
    status = unify.add_parser("status", help="count the accounts of each wave by state")
    status.set_defaults(handler=_status)
    run = unify.add_parser("run", help="run the unifier once (what its schedule runs)")
    run.add_argument("--batch-size", type=int, default=100)
    run.add_argument("--max-batches", type=int, default=None, help="stop after this many batches")
    run.set_defaults(handler=_run)


def _plan(args: argparse.Namespace) -> int:
    from gatehouse.domain.unification import Case

    counts = dict.fromkeys((str(c) for c in Case), 0)
    with open(args.report, "w", encoding="utf-8") as out, bar("plan") as advance:
        for p in container().unification.plan():
            out.write(json.dumps(p.to_report_dict(), ensure_ascii=False) + "\n")
            counts[str(p.case)] += 1
            advance(1)
    print(json.dumps({"accounts": sum(counts.values()), "by_case": counts}))
    return 0


def _parse_time(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        # Python's "Invalid isoformat string" says what failed, not what to type instead.
        raise ValueError(f"--at: give a time like 2026-12-01T09:00:00Z (RFC 3339), not {value!r}") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _schedule(args: argparse.Namespace) -> int:
    with bar("schedule") as advance:
        result = container().unification.schedule(args.wave, _parse_time(args.at), progress=advance)
    print(json.dumps(result))
    return 0


def _status(args: argparse.Namespace) -> int:
    print(json.dumps(container().unification.status()))
    return 0


def _run(args: argparse.Namespace) -> int:
    c = container()
    with bar("unify", due(c, "notified")) as advance:
        report = c.unifier.run(args.batch_size, args.max_batches, progress=advance)
    print(json.dumps(report.as_dict()))
    return 0


def due(c: Container, *states: str) -> int:
    """How many accounts of the due waves are in `states`: the total of a progress bar."""
    now = c.clock.now()
    return sum(c.unification_store.count(wave, state) for wave, at in c.unification_store.waves() if at <= now
               for state in states)
