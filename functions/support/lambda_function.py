"""The support Lambda: a Chalice app that serves only this flow's routes."""

from gatehouse.api.app import build_app

from functions.support.routes import bp

app = build_app("gatehouse-support", [bp])
