"""The alert rules at the edges of their thresholds (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from portal.core.uk_time import UK
from portal.governance.alerts import (
    WorkingHours,
    outside_working_hours,
    repeated_refusals,
    too_many_subjects,
)


def uk(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UK)


@pytest.mark.parametrize(
    ("moment", "outside"),
    [
        (uk(2026, 11, 23, 6, 59, 59), True),  # Monday, one second before the day starts
        (uk(2026, 11, 23, 7, 0, 0), False),  # the first second of the working day
        (uk(2026, 11, 23, 18, 59, 59), False),  # the last second
        (uk(2026, 11, 23, 19, 0, 0), True),  # the day has ended
        (uk(2026, 11, 27, 12, 0, 0), False),  # Friday noon
        (uk(2026, 11, 28, 12, 0, 0), True),  # Saturday noon
        (uk(2026, 11, 29, 12, 0, 0), True),  # Sunday noon
        # Summer time: 06:30 UTC is 07:30 BST, inside; 18:30 UTC is 19:30 BST, outside.
        (datetime(2026, 7, 6, 6, 30, tzinfo=UTC), False),
        (datetime(2026, 7, 6, 18, 30, tzinfo=UTC), True),
        # Winter: 06:30 UTC is 06:30 GMT, outside.
        (datetime(2026, 1, 5, 6, 30, tzinfo=UTC), True),
    ],
)
def test_working_hours_boundary_in_uk_time(moment: datetime, outside: bool) -> None:
    assert outside_working_hours(moment) is outside


def test_working_hours_are_configurable() -> None:
    hours = WorkingHours(time(9, 0), time(17, 0))
    assert outside_working_hours(uk(2026, 11, 23, 8, 59, 59), hours)
    assert not outside_working_hours(uk(2026, 11, 23, 9, 0, 0), hours)
    assert outside_working_hours(uk(2026, 11, 23, 17, 0, 0), hours)


@pytest.mark.parametrize("limit", [1, 5, 20])
def test_n_subjects_in_an_hour_is_fine_and_n_plus_one_is_not(limit: int) -> None:
    assert not too_many_subjects(limit, limit)
    assert too_many_subjects(limit + 1, limit)


def test_refusals_threshold() -> None:
    assert not repeated_refusals(2, 3)
    assert repeated_refusals(3, 3)
