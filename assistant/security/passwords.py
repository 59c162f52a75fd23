"""Passwords: hashed with Argon2 (argon2-cffi), generated strong, and refused when weak (zxcvbn)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

GENERATED_BYTES = 12
"""A generated password is ``secrets.token_urlsafe(12)``: 16 characters, 96 random bits."""
MIN_LENGTH = 16
"""As long as a generated password."""
MIN_SCORE = 4
"""zxcvbn's top score ("very unguessable", more than 10^10 guesses); a generated password gets it."""

_hasher = PasswordHasher()


def generate() -> str:
    """A new random password, as strong as :func:`weakness` asks."""
    while True:
        password = secrets.token_urlsafe(GENERATED_BYTES)
        if weakness(password) is None:
            return password


def hash_password(password: str) -> str:
    """The Argon2id hash to store (salted; the parameters travel inside it)."""
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches the stored hash (constant time; a damaged hash never matches)."""
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def weakness(password: str, user_inputs: tuple[str, ...] = ()) -> str | None:
    """Why ``password`` is weaker than a generated one, in a few words; None when it is strong enough.

    Args:
        password: The candidate.
        user_inputs: Words a guesser would try first (the user name, the shop's name).
    """
    if len(password) < MIN_LENGTH:
        return f"it has {len(password)} characters, at least {MIN_LENGTH} are needed"
    from zxcvbn import zxcvbn

    verdict = zxcvbn(password[:100], user_inputs=list(user_inputs))
    if verdict["score"] < MIN_SCORE:
        warning = verdict["feedback"].get("warning") or "it is built from common words or patterns"
        return f"it is easy to guess ({warning.rstrip('.').lower()})"
    return None
