"""Ways of proving who you are: password, codes, TOTP, WebAuthn, recovery codes, OIDC."""
