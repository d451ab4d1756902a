"""The organization Lambda: a Chalice app that serves only this flow's routes."""

from gatehouse.api.app import build_app

from functions.organization.routes import bp

app = build_app("gatehouse-organization", [bp])
