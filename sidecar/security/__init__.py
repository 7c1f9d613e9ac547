"""Secrets at rest, log redaction, sign-in throttling and key rotation."""
