"""The reset_sms Lambda: a Chalice app that serves only this flow's routes."""

from gatehouse.api.app import build_app

from functions.reset_sms.routes import bp

app = build_app("gatehouse-reset-sms", [bp])
