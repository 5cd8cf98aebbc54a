"""Password hashing (Argon2id) and personal API tokens.

Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106's second
recommended profile). Hashing is CPU-heavy, so the async helpers run it in a
worker thread. API tokens are 256-bit random strings; only their SHA-256 is
stored (a token is a random key, not a password, so a fast hash suffices and
lets the store find it by index).
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets as _secrets
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TOKEN_PREFIX: Final = "cwt_"  # noqa: S105 - a prefix, not a secret
MIN_PASSWORD_LENGTH: Final = 12

DEFAULT_HASHER = PasswordHasher()


def fast_hasher() -> PasswordHasher:
    """A cheap Argon2id profile for tests only (the stored hash records its cost)."""
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def check_password_strength(password: str) -> None:
    """Refuse passwords too short to resist guessing."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


async def hash_password(password: str, hasher: PasswordHasher = DEFAULT_HASHER) -> str:
    """Argon2id hash of ``password`` (encoded PHC string)."""
    check_password_strength(password)
    return await asyncio.to_thread(hasher.hash, password)


def _verify(encoded: str, password: str) -> bool:
    try:
        return DEFAULT_HASHER.verify(encoded, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password(encoded: str, password: str) -> bool:
    """True when ``password`` matches the stored Argon2 hash."""
    return await asyncio.to_thread(_verify, encoded, password)


def new_token() -> str:
    """A fresh personal API token, shown once to its owner."""
    return TOKEN_PREFIX + _secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the store keeps of a token: the hex SHA-256 of its text."""
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()
