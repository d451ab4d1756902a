"""Account settings and password change."""
