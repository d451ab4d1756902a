"""One package per flow, one Lambda per package: a thin Chalice Blueprint over the shared layer."""
