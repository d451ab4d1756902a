"""Password reset by SMS code: request and completion."""
