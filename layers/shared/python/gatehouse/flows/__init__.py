"""Use cases, one module a flow, built on ports only (no boto3, no HTTP)."""
