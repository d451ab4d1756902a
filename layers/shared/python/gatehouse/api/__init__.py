"""HTTP glue shared by every flow's Lambda: routing, sessions, errors, middleware, OpenAPI."""
