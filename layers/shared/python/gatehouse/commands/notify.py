"""`gatehouse notify run`: run the unification notifier once (what its schedule runs)."""

from __future__ import annotations

import argparse
import json

from gatehouse.bootstrap import container
from gatehouse.commands._progress import bar


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("notify", help="the unification notifier")
    notify = p.add_subparsers(dest="notify_command", required=True, metavar="ACTION")
    run = notify.add_parser("run", help="send what is due, once")
    run.add_argument("--batch-size", type=int, default=100)
    run.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    c = container()
    # Every wave is looked at (announcements go out before a wave is due), both stages.
    store = c.unification_store
    total = sum(store.count(wave, "scheduled") + store.count(wave, "completed", untold=True)
                for wave, _ in store.waves())
    with bar("notify", total) as advance:
        report = c.unification_notifier.run(args.batch_size, progress=advance)
    print(json.dumps(report.as_dict()))
    return 0
