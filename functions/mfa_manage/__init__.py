"""Second-factor management: TOTP, passkeys, recovery codes."""
