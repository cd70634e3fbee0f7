"""Secrets stored in the database (e.g. a center's own Stripe key) are encrypted with
Fernet (AES-128-CBC + HMAC-SHA256) under the `ENCRYPTION_KEY` setting, never in clear."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

__all__ = ["InvalidToken", "decrypt", "encrypt"]


def _fernet() -> Fernet:
    return Fernet(current_app.config["ENCRYPTION_KEY"].encode())


def encrypt(plain: str) -> str:
    """The ciphertext of `plain`, as text fit for a column."""
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    """The plain text back; raises InvalidToken if the key or the token is wrong."""
    return _fernet().decrypt(token.encode()).decode()
