"""The sso Lambda: a Chalice app that serves only this flow's routes."""

from gatehouse.api.app import build_app

from functions.sso.routes import bp

app = build_app("gatehouse-sso", [bp])
