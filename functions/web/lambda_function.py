"""The web Lambda: a Chalice app that serves only the browser pages and their assets."""

from gatehouse.api.app import build_app

from functions.web.routes import bp

app = build_app("gatehouse-web", [bp])
