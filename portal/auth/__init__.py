"""Signing in: password and TOTP, OpenID Connect, server-side sessions, throttling."""
