"""Organizations, outsourcing and API keys."""
