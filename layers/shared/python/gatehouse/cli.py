"""`gatehouse`: the operator's command. `--stage local` talks to the stack that `make run` started.

Each command group is a module of `gatehouse.commands` with a `register(subparsers)` function, so
a flow adds its commands without touching this file.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from gatehouse import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gatehouse", description="Operate a Gatehouse stage.")
    parser.add_argument("--stage", default=os.environ.get("GATEHOUSE_STAGE", "local"),
                        help="local (the stack of `make run`), dev or prod; default: local")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        importlib.import_module(f"gatehouse.commands.{info.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The stage is the one setting a command line may choose; the rest comes from the environment.
    os.environ["GATEHOUSE_STAGE"] = args.stage
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
