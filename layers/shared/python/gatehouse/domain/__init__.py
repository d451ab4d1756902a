"""Pure rules: accounts, sessions, credentials, throttling, unification. Standard library only."""
