"""Sign-up: request and email verification."""
