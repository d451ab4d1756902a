"""The local and single-stack entry: one Chalice app that registers every flow's Blueprint.

Deployed, each flow is its own Lambda (functions/<flow>/lambda_function.py); `chalice local` and
the tests serve them all from this one app.
"""

from __future__ import annotations

import sys
from pathlib import Path

_LAYER = Path(__file__).parent / "layers" / "shared" / "python"
if str(_LAYER) not in sys.path:  # `pip install -e .` puts it there; a bare checkout may not have it
    sys.path.insert(0, str(_LAYER))

from gatehouse.api.app import build_app  # noqa: E402

import functions  # noqa: E402

app = build_app("gatehouse-all", functions.blueprints())
