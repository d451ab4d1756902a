"""`make bench`: what Gatehouse costs per flow, per cold start, per artifact and per login."""
