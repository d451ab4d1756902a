"""`gatehouse legacy import FILE`: archive legacy Dedibox and Scaleway records (JSON Lines)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator

from gatehouse.bootstrap import container


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("legacy", help="legacy accounts to unify")
    legacy = p.add_subparsers(dest="legacy_command", required=True, metavar="ACTION")
    imp = legacy.add_parser("import", help="archive the records of a JSON Lines file (idempotent)")
    imp.add_argument("file", help="JSON Lines, one record a line ('-' for stdin)")
    imp.add_argument("--batch-size", type=int, default=100)
    imp.set_defaults(handler=_import)


def progress(lines: Iterable[str], label: str, every: int = 1000) -> Iterator[str]:
    """Pass lines through, printing a progress line to stderr (a file of 100,000 takes a while)."""
    count = 0
    for count, line in enumerate(lines, start=1):
        if count % every == 0:
            print(f"\r{label}: {count} lines", end="", file=sys.stderr, flush=True)
        yield line
    print(f"\r{label}: {count} lines", file=sys.stderr, flush=True)


def _import(args: argparse.Namespace) -> int:
    # Streamed: the file is read line by line, never whole.
    if args.file == "-":
        report = container().unification.import_lines(progress(sys.stdin, "imported"), args.batch_size)
    else:
        with open(args.file, encoding="utf-8") as f:
            report = container().unification.import_lines(progress(f, "imported"), args.batch_size)
    for error in report.errors:
        print(f"invalid: {error}")
    print(json.dumps(report.as_dict()))
    return 1 if report.errors else 0
