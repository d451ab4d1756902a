"""Health, the OpenAPI document, and the local stage's developer routes."""
