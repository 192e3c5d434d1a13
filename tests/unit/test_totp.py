"""TOTP matching: single use by counter, a two-step window, digits only (ASVS 6.5.1, 6.5.5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.auth.totp import STEP_SECONDS, code_at, matching_counter

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # fixed: no code collides across the steps below
NOW = datetime(2025, 3, 4, 10, 0, 15, tzinfo=UTC)
COUNTER = int(NOW.timestamp()) // STEP_SECONDS


def _code(steps: int) -> str:
    return code_at(SECRET, NOW + timedelta(seconds=STEP_SECONDS * steps))


def test_matching_counter_with_current_code_returns_its_step():
    assert matching_counter(SECRET, _code(0), now=NOW, last_counter=None) == COUNTER


def test_matching_counter_with_previous_step_code_returns_that_step():
    assert matching_counter(SECRET, _code(-1), now=NOW, last_counter=None) == COUNTER - 1


@pytest.mark.parametrize("steps", [-3, -2, 1, 2])
def test_matching_counter_outside_window_refuses(steps):
    assert matching_counter(SECRET, _code(steps), now=NOW, last_counter=None) is None


def test_matching_counter_with_used_step_refuses():
    assert matching_counter(SECRET, _code(0), now=NOW, last_counter=COUNTER) is None
    assert matching_counter(SECRET, _code(-1), now=NOW, last_counter=COUNTER - 1) is None
    # A newer step is still fine after an older one was used.
    assert matching_counter(SECRET, _code(0), now=NOW, last_counter=COUNTER - 1) == COUNTER


@pytest.mark.parametrize(
    "text",
    ["", "12345", "1234567", "abcdef", "12 34 5", "１２３４５６", "١٢٣٤٥٦", "¹²³⁴⁵⁶", "12345\x00"],
)
def test_matching_counter_with_malformed_code_refuses(text):
    assert matching_counter(SECRET, text, now=NOW, last_counter=None) is None


def test_matching_counter_with_spaced_code_accepts_it():
    code = _code(0)
    assert matching_counter(SECRET, f" {code[:3]} {code[3:]} ", now=NOW, last_counter=None)
