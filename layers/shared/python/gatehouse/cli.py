"""`gatehouse`: the operator's command. `--stage local` talks to the stack that `make run` started.

Each command group is a module of `gatehouse.commands` with a `register(subparsers)` function, so
a flow adds its commands without touching this file. Commands print their result as JSON on
stdout; progress, errors and `--stats` go to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import resource
import sys
import time
from collections import Counter
from typing import Any

from gatehouse import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gatehouse", description="Operate a Gatehouse stage.")
    parser.add_argument("--stage", default=os.environ.get("GATEHOUSE_STAGE", "local"),
                        help="local (the stack of `make run`), dev or prod; default: local")
    parser.add_argument("--stats", action="store_true",
                        help="print, on stderr, the time taken, AWS calls by operation and peak memory")
    parser.add_argument("--debug", action="store_true", help="on an unexpected error, show its traceback")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"gatehouse.commands.{info.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The stage is the one setting a command line may choose; the rest comes from the environment.
    os.environ["GATEHOUSE_STAGE"] = args.stage
    if args.stage == "local" and not os.environ.get("GATEHOUSE_AWS_ENDPOINT_URL"):
        # The stack of `make run`, on whatever ports it was given; an explicit endpoint wins.
        from gatehouse.local.state import NoLocalStackError, apply

        try:
            apply()
        except NoLocalStackError as exc:
            print(f"gatehouse: error: {exc}", file=sys.stderr)
            return 2
    calls: Counter[str] = Counter()
    if args.stats:
        from gatehouse.adapters import aws

        def count(**kwargs: Any) -> None:
            calls[kwargs["model"].name] += 1

        aws.on_api_call(count)
    started = time.perf_counter()
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("gatehouse: interrupted; every command can be run again and resumes", file=sys.stderr)
        return 130
    except Exception as exc:  # an operator gets one clear line, not a traceback
        if args.debug:
            raise
        print(f"gatehouse: error: {describe(exc, args.stage)}", file=sys.stderr)
        return 2
    finally:
        if args.stats:
            peak_kib = peak_rss_kib()
            print("stats: " + json.dumps({
                "seconds": round(time.perf_counter() - started, 3), "aws_calls": sum(calls.values()),
                "aws_calls_by_operation": dict(sorted(calls.items())), "peak_rss_mib": round(peak_kib / 1024, 1),
            }), file=sys.stderr)


def peak_rss_kib() -> int:
    """This program's peak resident memory. Linux's ru_maxrss keeps the high-water mark of the
    process before exec (a command started by a big parent would report the parent's size), so
    the mark of this program's own memory, VmHWM, is read where there is one."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux, bytes on macOS


def describe(exc: BaseException, stage: str) -> str:
    from gatehouse.errors import DependencyUnavailableError, GatehouseError

    if isinstance(exc, DependencyUnavailableError) and stage == "local":
        return f"{exc.message} Is the local stack running (`make run`)?"
    if isinstance(exc, GatehouseError):
        return exc.message
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.strerror}: {exc.filename}"
    if isinstance(exc, ValueError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


if __name__ == "__main__":
    sys.exit(main())
