"""`python -m gatehouse.local.chalice_local local ...`: `chalice local`, answering like the deployed stage.

For a path no route has, chalice's local gateway copies API Gateway's raw answer, 403
`{"message": "Missing Authentication Token"}`. The deployed stage maps that answer to the
contract's 404 (infra/template.py, gateway_responses); this does the same for the local server,
so a client sees one shape wherever it runs. Everything else is chalice's own CLI.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from chalice import local as chalice_local

from gatehouse.api.errors import error_body

# The deployed stage's words for the same answer (infra/template.py, _GATEWAY_ERRORS).
MESSAGE = "There is nothing at this address."


class NoRouteError(chalice_local.LocalGatewayException):
    CODE = 404


def not_found_body() -> bytes:
    return json.dumps(error_body("not_found", MESSAGE)).encode()


def install() -> None:
    """Make the local gateway answer the contract's 404 where it would say "Missing Authentication Token"."""
    original = chalice_local.LocalGateway._generate_lambda_event
    if getattr(original, "_gatehouse", False):
        return

    def generate_lambda_event(self: Any, method: str, path: str, headers: Any, body: Any) -> Any:
        try:
            return original(self, method, path, headers, body)
        except ValueError:
            # The one ValueError here is the route matcher's "no route": what API Gateway answers 403 to.
            raise NoRouteError({"Content-Type": "application/json"}, not_found_body()) from None

    generate_lambda_event._gatehouse = True  # type: ignore[attr-defined]
    chalice_local.LocalGateway._generate_lambda_event = generate_lambda_event  # type: ignore[method-assign]


def main() -> int:
    install()
    from chalice.cli import main as chalice_main

    sys.argv[0] = "chalice"
    return int(chalice_main() or 0)


if __name__ == "__main__":
    sys.exit(main())
