"""Command groups of the `gatehouse` CLI: each module has `register(subparsers)`."""
