"""The mfa_verify Lambda: a Chalice app that serves only this flow's routes."""

from gatehouse.api.app import build_app

from functions.mfa_verify.routes import bp

app = build_app("gatehouse-mfa-verify", [bp])
