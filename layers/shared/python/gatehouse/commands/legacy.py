"""`gatehouse legacy import FILE`: archive legacy Dedibox and Scaleway records (JSON Lines)."""

from __future__ import annotations

import argparse
import json
import sys

from gatehouse.bootstrap import container
from gatehouse.commands._progress import bar, lines_of, tracked


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("legacy", help="legacy accounts to unify")
    legacy = p.add_subparsers(dest="legacy_command", required=True, metavar="ACTION")
    imp = legacy.add_parser("import", help="archive the records of a JSON Lines file (idempotent)")
    imp.add_argument("file", help="JSON Lines, one record a line ('-' for stdin)")
    imp.add_argument("--batch-size", type=int, default=100)
    imp.set_defaults(handler=_import)


def _import(args: argparse.Namespace) -> int:
    # Streamed: the file is read line by line, never whole.
    unification = container().unification
    if args.file == "-":
        with bar("import", unit="lines") as advance:
            report = unification.import_lines(tracked(sys.stdin, advance), args.batch_size)
    else:
        total = lines_of(args.file)
        with open(args.file, encoding="utf-8") as f, bar("import", total, unit="lines") as advance:
            report = unification.import_lines(tracked(f, advance), args.batch_size)
    for error in report.errors:
        print(f"invalid: {error}")
    print(json.dumps(report.as_dict()))
    return 1 if report.errors else 0
