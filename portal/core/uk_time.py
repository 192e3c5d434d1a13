"""UK time: the calendar day and the clock the portal's users read (GMT or BST).

Validity is decided on the database clock (:mod:`portal.core.clock`, UTC). What a person calls
"today", the day a due date or a period falls on and the time a page shows are UK time: in
summer the UK day starts an hour before the UTC one. One home for that rule; pure values, so
the CSODS clocks may use it (today's UK date on the database clock is
:func:`portal.core.clock.uk_today`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Final
from zoneinfo import ZoneInfo

#: The portal's users' time zone.
UK: Final = ZoneInfo("Europe/London")


def uk_day(moment: datetime) -> date:
    """The UK calendar day ``moment`` falls on."""
    return moment.astimezone(UK).date()


def uk_day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in the UK, in UTC."""
    return datetime.combine(day, time.min, tzinfo=UK).astimezone(UTC)


def uk_time(moment: datetime) -> str:
    """A time as people in the UK read it: ``23 Nov 2026 14:05:09 GMT``."""
    return moment.astimezone(UK).strftime("%d %b %Y %H:%M:%S %Z")
