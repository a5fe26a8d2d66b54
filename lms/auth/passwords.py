"""Password hashing with Argon2id, and the login check that takes as long for unknown users."""
from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app

_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud over a phone


def init_app(app: Flask) -> None:
    """Set up the password hashers from the configured memory cost, and a dummy hash for timing."""
    memory = app.config["LMS_PASSWORD_MEMORY_KIB"]
    hasher = PasswordHasher(memory_cost=memory, time_cost=3 if memory >= 65536 else 2, parallelism=1)
    app.extensions["lms_hasher"] = hasher
    # One-time random passwords (about 49 bits, changed at first sign-in) need no memory-hard cost;
    # a cheap hash lets a trainer import thousands of accounts in seconds. needs_rehash() upgrades it.
    app.extensions["lms_temp_hasher"] = PasswordHasher(memory_cost=1024, time_cost=1, parallelism=1)
    app.extensions["lms_dummy_hash"] = hasher.hash(secrets.token_hex(8))


def _hasher() -> PasswordHasher:
    return current_app.extensions["lms_hasher"]


def hash_password(password: str) -> str:
    """Hash a password the user chose, with the full-cost hasher."""
    return _hasher().hash(password)


def hash_temporary_password(password: str) -> str:
    """Hash a password made by temporary_password(); the user must change it at first sign-in."""
    return current_app.extensions["lms_temp_hasher"].hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if `password` matches; spends the same effort when there is no hash."""
    try:
        return (
            _hasher().verify(stored_hash or current_app.extensions["lms_dummy_hash"], password)
            and stored_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True if `stored_hash` was made with weaker settings and should be hashed again."""
    return _hasher().check_needs_rehash(stored_hash)


def temporary_password(length: int = 10) -> str:
    """A random password that is easy to dictate, for first sign-in or a reset."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


MIN_LENGTH = 10
_MAX_SCORED = 100  # zxcvbn's effort grows with the length; beyond this a password is long enough


def too_easy(password: str, *related: str) -> bool:
    """True for a password that is among the commonly used ones, or that zxcvbn finds guessable
    in fewer than about 10^6 tries (score below 2), also given the account's own names (`related`)."""
    from zxcvbn import zxcvbn  # its dictionaries load on first use, not at start-up

    if password.lower() in _common():
        return True
    return zxcvbn(password[:_MAX_SCORED], user_inputs=[r for r in related if r])["score"] < 2


@functools.cache
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])
