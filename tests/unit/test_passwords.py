"""Password rules and hashing (ASVS 6.2.1-6.2.12, 11.4.2; reference/security.md A3, A4, A13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.auth.passwords import hash_password, password_problem, verify_password
from portal.config import TEST_ARGON2

LIST = Path(__file__).resolve().parents[2] / "portal" / "auth" / "data" / "common-passwords.txt"


def _listed() -> list[str]:
    lines = LIST.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _fifty_listed() -> list[str]:
    """30 listed passwords long enough to pass the length rule, and 20 short ones padded with
    digits the way people do ("dragon" -> "dragon123456")."""
    listed = _listed()
    long_ones = [p for p in listed if len(p) >= 12][:30]
    padded = [p + "1234567890"[: max(4, 12 - len(p))] for p in listed if 4 <= len(p) < 12]
    fresh = [p for p in dict.fromkeys(padded) if p not in long_ones]
    return long_ones + fresh[:20]


def test_fifty_listed_passwords_sample_is_fifty_distinct():
    sample = _fifty_listed()
    assert len(set(sample)) == 50
    assert all(len(p) >= 12 for p in sample)


@pytest.mark.parametrize("password", _fifty_listed())
def test_password_problem_with_listed_password_refuses_it(password):
    problem = password_problem(password)
    assert problem is not None
    assert "too common" in problem


@pytest.mark.parametrize("password", ["Password1234!", "QWERTYUIOP2024", "Dragon123456#"])
def test_password_problem_with_listed_password_in_other_case_refuses_it(password):
    assert password_problem(password) is not None


@pytest.mark.parametrize(
    "password",
    [
        "a" * 11,
        "short one",
        "",
    ],
)
def test_password_problem_with_fewer_than_12_characters_refuses_it(password):
    assert password_problem(password) is not None


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery",  # all lower case, no digit, no symbol: fine
        "zebra lantern orchid",
        "ŝtupo ĉambro ĵaŭdo",  # Unicode
        "12 chars ok!",
    ],
)
def test_password_problem_without_composition_rules_accepts_it(password):
    assert password_problem(password) is None


def test_long_unicode_passwords_of_64_and_128_characters_round_trip():
    for length in (64, 128):
        password = ("Grüße aus Köln – ключ 🔑 " * 10)[:length]
        assert len(password) == length
        assert password_problem(password) is None
        stored = hash_password(password, TEST_ARGON2)
        assert verify_password(stored, password, TEST_ARGON2)
        # Nothing is truncated: changing only the last character fails.
        assert not verify_password(stored, password[:-1] + "x", TEST_ARGON2)


def test_verify_password_is_case_sensitive():
    stored = hash_password("Abcdefghijkl mnop", TEST_ARGON2)
    assert verify_password(stored, "Abcdefghijkl mnop", TEST_ARGON2)
    assert not verify_password(stored, "abcdefghijkl mnop", TEST_ARGON2)
    assert not verify_password(stored, "ABCDEFGHIJKL MNOP", TEST_ARGON2)


def test_verify_password_without_stored_hash_fails():
    assert not verify_password(None, "anything at all here", TEST_ARGON2)
    assert not verify_password("not-a-hash", "anything at all here", TEST_ARGON2)


def test_password_problem_with_email_local_part_refuses_it():
    assert password_problem("jane.smith-rocks-2024", email="jane.smith@agency.test") is not None
