"""One package per flow, one Lambda per package: a thin Chalice Blueprint over the shared layer."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any


def blueprints() -> list[Any]:
    """Every flow's Blueprint present here, by flow name, importing its routes (and so filling the
    layer's ROUTES registry): `app.py` serves them and the build documents them. In a deployed
    function only its own flow is present."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        name = f"{__name__}.{info.name}.routes"
        try:
            routes = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise  # a missing dependency must fail loudly, not drop a flow's routes
            continue  # scheduled flows have no routes
        found.append(routes.bp)
    return found
