"""Loaded with `-p tests.environment` (pyproject.toml), before pytest-django reads the settings."""

import os

# The settings refuse to start without a secret key when DEBUG is off, as production must.
# Tests run with DEBUG off, so they bring their own throwaway key.
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-any-deployment-0123456789")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("AUDIT_HMAC_KEY", "test-only-audit-chain-key-not-for-any-deployment")
