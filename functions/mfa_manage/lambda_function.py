"""The mfa_manage Lambda: a Chalice app that serves only this flow's routes."""

from gatehouse.api.app import build_app

from functions.mfa_manage.routes import bp

app = build_app("gatehouse-mfa-manage", [bp])
