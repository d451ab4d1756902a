"""Login, logout and sessions."""
