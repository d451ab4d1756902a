"""Which flows exist, what each one's Lambda serves, and how it is invoked.

Discovery imports the flows' code, so it runs in a child interpreter (`python -m infra.discover`)
that prints JSON: the build process never holds one flow's import side effects (the module-level
`ROUTES` registry, Chalice apps, loggers) while it looks at the next, and a flow that fails to
import fails the build with that flow's traceback.

A flow is a directory `functions/<flow>/` with a `lambda_function.py`. Its handler is that module's
`app` (a Chalice app) if it has one, else its `handler` function; an optional module-level
`SCHEDULE` (a string or a list of them) makes it a scheduled function.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LAYER_SOURCE = Path("layers") / "shared" / "python"


@dataclass(frozen=True)
class Route:
    path: str
    method: str
    # From gatehouse.api.routing.RouteSpec when the route was declared with `endpoint`.
    auth: str | None = None
    has_body: bool = False


@dataclass(frozen=True)
class Flow:
    name: str
    handler: str
    routes: tuple[Route, ...] = ()
    schedules: tuple[str, ...] = ()
    binary_types: tuple[str, ...] = ()
    # Routes the Lambda's app serves that its own routes module did not declare: must be empty.
    foreign_routes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Discovery:
    flows: tuple[Flow, ...]
    # SES templates the bulk mailer sends with (`AWS::SES::Template` Template properties).
    ses_templates: tuple[dict[str, str], ...] = ()
    # The OpenAPI document of every flow's routes, shipped with the ops function (`/openapi.json`).
    openapi: dict[str, Any] = field(default_factory=dict)


def flow_names(repo: Path) -> list[str]:
    root = repo / "functions"
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and not p.name.startswith(("_", ".")) and (p / "lambda_function.py").is_file())


def discover(repo: Path, python: str | None = None) -> Discovery:
    """Run the discovery in a child interpreter and parse its answer."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(repo), str(repo / LAYER_SOURCE)])
    # A module that makes a boto3 client at import needs a region; discovery never calls AWS.
    env.setdefault("AWS_DEFAULT_REGION", "eu-west-3")
    env.setdefault("GATEHOUSE_STAGE", "local")
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # keep __pycache__ out of the source tree
    done = subprocess.run([python or sys.executable, "-m", "infra.discover", str(repo)], cwd=repo, env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"route discovery failed:\n{done.stderr.strip()}")
    found = json.loads(done.stdout)
    return Discovery(flows=tuple(_flow(raw) for raw in found["flows"]), ses_templates=tuple(found["ses_templates"]),
                     openapi=found.get("openapi") or {})


def _flow(raw: dict[str, Any]) -> Flow:
    return Flow(name=raw["name"], handler=raw["handler"],
                routes=tuple(Route(**r) for r in raw["routes"]), schedules=tuple(raw["schedules"]),
                binary_types=tuple(raw["binary_types"]), foreign_routes=tuple(raw["foreign_routes"]))


def chalice_routes(app: Any) -> list[tuple[str, str]]:
    """(path, method) of every route a Chalice app serves: `app.routes` is path -> {method: entry}."""
    return sorted((path, method.upper()) for path, methods in app.routes.items() for method in methods)


def _inspect(repo: Path, name: str) -> dict[str, Any]:
    from gatehouse.api import routing

    before = len(routing.ROUTES)
    if (repo / "functions" / name / "routes.py").is_file():
        importlib.import_module(f"functions.{name}.routes")
    declared = {(s.path, s.method.upper()): s for s in routing.ROUTES[before:]}
    module_name = f"functions.{name}.lambda_function"
    module = importlib.import_module(module_name)
    app = getattr(module, "app", None)
    routes: list[dict[str, Any]] = []
    binary_types: list[str] = []
    if app is not None and hasattr(app, "routes"):
        handler = f"{module_name}.app"
        binary_types = list(getattr(app.api, "binary_types", []))
        for path, method in chalice_routes(app):
            spec = declared.get((path, method))
            routes.append({"path": path, "method": method,
                           "auth": spec.auth.value if spec is not None else None,
                           "has_body": spec is not None and spec.body is not None})
        foreign = [f"{m} {p}" for p, m in chalice_routes(app) if declared and (p, m) not in declared]
    elif callable(getattr(module, "handler", None)):
        handler, foreign = f"{module_name}.handler", []
    else:
        raise SystemExit(f"{module_name} has neither a Chalice `app` nor a `handler` function")
    schedule = getattr(module, "SCHEDULE", None)
    schedules = [schedule] if isinstance(schedule, str) else list(schedule or [])
    return {"name": name, "handler": handler, "routes": routes, "schedules": schedules,
            "binary_types": binary_types, "foreign_routes": foreign}


STAGE_PLACEHOLDER = "STAGEPLACEHOLDER"


def _ses_templates() -> list[dict[str, str]]:
    """The SES templates `create_ses_templates` would create, made by that very code (recorded, not sent)."""
    try:
        from gatehouse.adapters import bulk_mail
        from gatehouse.flows.notifier import ANNOUNCE, COMPLETE
        from gatehouse.settings import Settings
    except ImportError:
        return []
    made: list[dict[str, str]] = []

    class Recorder:
        def create_template(self, Template: dict[str, str]) -> None:
            made.append(Template)

        update_template = create_template

    original = bulk_mail.client
    bulk_mail.client = lambda service, settings: Recorder()  # type: ignore[assignment]
    try:
        # The stage is a template parameter: names carry a placeholder that template.py turns into ${Stage}.
        bulk_mail.create_ses_templates(Settings(stage=STAGE_PLACEHOLDER), [ANNOUNCE, COMPLETE])
    finally:
        bulk_mail.client = original  # type: ignore[assignment]
    return made


def main(argv: list[str]) -> None:
    repo = Path(argv[0]).resolve()
    for entry in (str(repo / LAYER_SOURCE), str(repo)):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    flows = [_inspect(repo, name) for name in flow_names(repo)]
    json.dump({"flows": flows, "ses_templates": _ses_templates(), "openapi": _openapi()}, sys.stdout, indent=1)


def _openapi() -> dict[str, Any]:
    """The document of every route: the one `blueprints()` that app.py serves registers them all."""
    from gatehouse.api.openapi import document

    import functions

    functions.blueprints()
    return document()


if __name__ == "__main__":
    main(sys.argv[1:])
