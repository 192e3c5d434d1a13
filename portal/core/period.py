"""The period boxes of a filter form: the first and the last day, each typed as YYYY-MM-DD.

A form with ``date_from`` and ``date_to`` fields takes :class:`PeriodChecks` among its bases and
gets their checks: each box holds a real day or nothing (:func:`portal.core.inputs.
iso_date_or_none`), and the last day is not before the first. Its own code reads the days with
:func:`typed_day`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import ValidationError as InvalidInput
from wtforms.validators import ValidationError

from portal.core.inputs import iso_date_or_none

FIRST = "the first day"
LAST = "the last day"


def typed_day(text: str | None, what: str) -> date | None:
    """The day in a period box, or None when blank.

    :raises wtforms.validators.ValidationError: with the box's message.
    """
    try:
        return iso_date_or_none(text, what=what)
    except InvalidInput as invalid:
        raise ValidationError(str(invalid.messages[0])) from None


class PeriodChecks:
    """WTForms' inline checks of ``date_from`` and ``date_to``."""

    date_from: Any
    date_to: Any

    def validate_date_from(self, field: Any) -> None:
        typed_day(field.data, FIRST)

    def validate_date_to(self, field: Any) -> None:
        last = typed_day(field.data, LAST)
        try:
            first = typed_day(self.date_from.data, FIRST)
        except ValidationError:
            return  # the first box's own error says what to change
        if first is not None and last is not None and last < first:
            raise ValidationError("The last day must be the same as or after the first day")
