"""The field builders every CSODS input contract shares: trimmed, capped text; a choice from a
list; the GOV.UK three-box date (never after today's UK date). Each gives the message its page
shows (see :class:`portal.subjects.schemas.InputSchema` for blank fields and unknown names).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from marshmallow import ValidationError, fields, validate

from portal.core.clock import uk_today
from portal.core.inputs import date_from_parts, text_field

SHORT: Final = 200
LONG: Final = 5000
EARLIEST_YEAR: Final = 1900


def text(required: str | None, what: str, max_length: int = SHORT) -> fields.String:
    return text_field(what, max_length, required=required)


def choice(message: str, options: dict[str, str], *, required: bool = True) -> fields.String:
    kwargs: dict[str, Any] = {} if required else {"load_default": None}
    return fields.String(
        required=required,
        error_messages={"required": message},
        validate=validate.OneOf(list(options), error=f"{message} from the list"),
        **kwargs,
    )


def date_field(what: str, *, required: bool = True) -> fields.List[Any]:
    kwargs: dict[str, Any] = {} if required else {"load_default": None}
    return fields.List(
        fields.String(validate=validate.Length(max=4)),
        required=required,
        error_messages={
            "required": f"Enter the {what}",
            "invalid": f"Enter the {what} as a day, month and year",
        },
        validate=lambda parts: _check_date(parts, what),
        **kwargs,
    )


def _check_date(parts: list[str], what: str) -> None:
    parse_date(parts, what)


def parse_date(parts: list[str], what: str) -> date:
    """The date the three boxes spell; it may not be after today's UK date.

    :raises ValidationError: with a message for the field.
    """
    value = date_from_parts(parts, what=f"the {what}", label=f"The {what}")
    if value.year < EARLIEST_YEAR:
        raise ValidationError(f"The {what} must be after {EARLIEST_YEAR}")
    if value > uk_today():
        raise ValidationError(f"The {what} must be today or in the past")
    return value


def optional_date(parts: list[str] | None, what: str) -> date | None:
    return None if parts is None else parse_date(parts, what)


def readable_date(parts: Any) -> date | None:
    """The date the boxes spell, or None when they do not (their own field says why)."""
    try:
        return None if parts is None else date_from_parts(parts, what="the date", label="Date")
    except ValidationError:
        return None
