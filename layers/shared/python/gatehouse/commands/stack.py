"""`gatehouse provision` and `gatehouse outbox`: the stage's resources and the local outbox."""

from __future__ import annotations

import argparse
import json

from gatehouse.bootstrap import container


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("provision", help="create the table, mail identity, KMS key and bucket (idempotent)")
    p.set_defaults(handler=_provision)
    p = sub.add_parser("outbox", help="local stage: print the mail and SMS sent to an address")
    p.add_argument("--to", default=None)
    p.set_defaults(handler=_outbox)


def _provision(args: argparse.Namespace) -> int:
    from gatehouse.local.resources import provision

    provision(container().settings)
    print("provisioned")
    return 0


def _outbox(args: argparse.Namespace) -> int:
    for m in container().outbox.list(args.to):
        print(json.dumps({"channel": m.channel, "to": m.to, "subject": m.subject, "text": m.text}, ensure_ascii=False))
    return 0
