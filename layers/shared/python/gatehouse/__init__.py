"""Gatehouse: the shared layer behind every flow's Lambda (domain, flows, strategies, ports, adapters)."""
