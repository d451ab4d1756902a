"""Second-factor verification: the second step of a login."""
