"""The OpenAPI 3.1 document, generated from the registered routes and their request models."""

from __future__ import annotations

import re
from typing import Any

from gatehouse.api.errors import STATUS
from gatehouse.api.routing import ROUTES, Auth, RouteSpec

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string", "enum": sorted(STATUS)},
        "message": {"type": "string"},
        "details": {"type": "object"},
    }}},
}


def document() -> dict[str, Any]:
    """The routes registered so far: the caller imports the flows first (`functions.blueprints()`,
    which the layer may not import). The build does it for every flow and ships the result with the
    ops function, whose Lambda holds only its own routes."""
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {"Error": _ERROR}
    for spec in sorted({(r.path, r.method): r for r in ROUTES}.values(), key=lambda r: (r.path, r.method)):
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Gatehouse", "version": "1.0.0",
                 "description": "One account service behind the Scaleway and Dedibox consoles."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "gh_session"},
                "console": {"type": "http", "scheme": "basic"},
            },
        },
    }


def _operation(spec: RouteSpec, schemas: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": spec.name, "summary": spec.summary or spec.name.replace("_", " "),
                          "tags": list(spec.tags)}
    params = re.findall(r"{(\w+)}", spec.path)
    if params:
        op["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                            for p in params]
    if spec.body is not None:
        schema = spec.body.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            schemas[name] = sub
        schemas[spec.body.__name__] = schema
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{spec.body.__name__}"}}}}
    if spec.auth in (Auth.SESSION, Auth.ANY_SESSION):
        op["security"] = [{"session": []}]
    elif spec.auth is Auth.CONSOLE:
        op["security"] = [{"console": []}]
    ok = str(spec.status)
    op["responses"] = {ok: {"description": spec.responses.get(spec.status, "Success")}}
    for status, text in spec.responses.items():
        if status != spec.status:
            op["responses"][str(status)] = {"description": text}
    op["responses"]["default"] = {"description": "An error, in the contract's shape",
                                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return op
