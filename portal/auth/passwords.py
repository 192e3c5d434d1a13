"""Password hashing (argon2id) and the rules a new password must meet.

Rules follow NIST SP 800-63B and ASVS 6.2: at least 12 characters, up to 256, no composition
rules, no truncation or case folding, and never a password from the shipped list of common and
breached passwords (with or without a few digits or symbols stuck on the end).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from portal.config import Argon2Parameters

MIN_LENGTH = 12
MAX_LENGTH = 256
_LIST = Path(__file__).with_name("data") / "common-passwords.txt"
_DECORATION = re.compile(r"[\d\W_]+$")
_ADVICE = "Choose a password that is hard to guess, like 3 random words"


@functools.cache
def _hasher(params: Argon2Parameters) -> PasswordHasher:
    return PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_cost,
        parallelism=params.parallelism,
    )


@functools.cache
def common_passwords() -> frozenset[str]:
    lines = _LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def hash_password(password: str, params: Argon2Parameters) -> str:
    return _hasher(params).hash(password)


def verify_password(stored: str | None, password: str, params: Argon2Parameters) -> bool:
    """Check ``password`` against ``stored``; with no stored hash, spend the same time and fail."""
    hasher = _hasher(params)
    try:
        return hasher.verify(stored or _dummy_hash(params), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash(params: Argon2Parameters) -> str:
    return _hasher(params).hash("portal-timing-equaliser-not-a-password")


def needs_rehash(stored: str, params: Argon2Parameters) -> bool:
    return _hasher(params).check_needs_rehash(stored)


def _is_listed(folded: str) -> bool:
    """``folded`` is a listed password, or one with digits or symbols stuck on the end.

    Every cut inside the trailing decoration is tried, so a listed password that itself ends in
    digits ("abc123", "123456") is still caught with more digits added ("abc123123456").
    """
    listed = common_passwords()
    if folded in listed:
        return True
    end = len(folded)
    while end > 4 and _DECORATION.fullmatch(folded[end - 1]):
        end -= 1
        if folded[:end] in listed:
            return True
    return False


def password_problem(password: str, *, email: str = "") -> str | None:
    """Why ``password`` may not be used, in words for the user, or None if it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Password must be {MIN_LENGTH} characters or more"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    folded = unicodedata.normalize("NFKC", password).lower()
    if _is_listed(folded):
        return f"Password is too common. {_ADVICE}"
    if len(set(folded)) <= 2:
        return f"Password is too easy to guess. {_ADVICE}"
    local = email.split("@", 1)[0].lower()
    if len(local) >= 4 and local in folded:
        return "Password must not contain your email address"
    return None
