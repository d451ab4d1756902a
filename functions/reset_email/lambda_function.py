"""The reset_email Lambda: a Chalice app that serves only this flow's routes."""

from gatehouse.api.app import build_app

from functions.reset_email.routes import bp

app = build_app("gatehouse-reset-email", [bp])
