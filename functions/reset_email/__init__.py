"""Password reset by email link: request and completion."""
