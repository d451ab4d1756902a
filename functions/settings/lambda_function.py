"""The settings Lambda: a Chalice app that serves only this flow's routes."""

from gatehouse.api.app import build_app

from functions.settings.routes import bp

app = build_app("gatehouse-settings", [bp])
