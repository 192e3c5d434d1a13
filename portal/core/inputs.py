"""What people type, checked the same way on every form.

The rules every input contract shares, so a fix to one reaches every form at once:

- :func:`text_field`: free text, trimmed by the schema, capped at a length, free of control
  characters, with the field's own messages ("Enter ...", "... must be N characters or fewer").

- :func:`no_control_characters`: text may hold letters, punctuation, spaces and (where the
  field is multi-line) line breaks and tabs, never a control or format character. NUL in
  particular cannot be stored in a PostgreSQL text column at all.
- :func:`date_from_parts`: the three boxes of a GOV.UK date input. Each box must hold ASCII
  digits only (``str.isdigit`` also accepts ``²`` and other digits ``int`` refuses), and the
  year must be one this service can use: no later than :data:`LATEST_YEAR`, so that "the day
  after" is always a real date too. Each caller adds its own earliest date and its own rule
  about the past or the future.
- :func:`iso_date_or_none`: a day typed into one box as YYYY-MM-DD, as the search and list
  filters ask for it; blank is no date.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any, Final

from marshmallow import ValidationError, fields, validate

LATEST_YEAR: Final = 2199
"""No date a user enters here is later than this: grants run for a year at most, meetings and
disclosures are recorded when they happen, dates of birth are in the past."""

_LINE_BREAKS: Final = "\r\n\t"
_ISO_DAY: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def has_control_characters(value: str, *, multiline: bool = True) -> bool:
    """Whether ``value`` holds a control or format character (line breaks and tabs are allowed
    when ``multiline``)."""
    allowed = _LINE_BREAKS if multiline else ""
    return any(unicodedata.category(ch) in ("Cc", "Cf") and ch not in allowed for ch in value)


#: The message for free text holding a control or format character.
SPECIAL_CHARACTERS: Final = "Remove the special characters from this answer"


def no_control_characters(value: str) -> None:
    """A marshmallow validator for free text.

    :raises ValidationError: if the text holds a control or format character.
    """
    if has_control_characters(value):
        raise ValidationError(SPECIAL_CHARACTERS)


def text_field(
    what: str, max_length: int, *, required: str | None = None, **kwargs: Any
) -> fields.String:
    """A free-text field of at most ``max_length`` characters and no control characters.

    ``what`` names the answer inside a sentence ("the family name"); ``required`` is the
    message for a missing answer, or ``None`` for an optional field (missing loads as
    ``None``).
    """
    if required is None:
        kwargs.setdefault("load_default", None)
    return fields.String(
        required=required is not None,
        error_messages={"required": required or "", "invalid": f"Enter {what} as text"},
        validate=[
            validate.Length(
                max=max_length,
                error=f"{what[:1].upper()}{what[1:]} must be {max_length} characters or fewer",
            ),
            no_control_characters,
        ],
        **kwargs,
    )


def is_ascii_number(text: str, *, max_digits: int) -> bool:
    """Whether ``text`` is 1 to ``max_digits`` ASCII digits (and so safe for ``int``)."""
    return 0 < len(text) <= max_digits and text.isascii() and text.isdigit()


def date_from_parts(parts: object, *, what: str, label: str) -> date:
    """The date the three boxes (day, month, year) of a GOV.UK date input spell.

    ``what`` names the date inside a sentence ("the end date"), ``label`` starts one
    ("The end date").

    :raises ValidationError: with the GOV.UK message for the field.
    """
    if not isinstance(parts, list) or len(parts) != 3:
        raise ValidationError(f"Enter {what} as a day, month and year")
    names = ("a day", "a month", "a year")
    missing = [name for name, part in zip(names, parts, strict=True) if not part]
    if missing:
        raise ValidationError(f"{label} must include {' and '.join(missing)}")
    if not all(isinstance(part, str) and is_ascii_number(part, max_digits=4) for part in parts):
        raise ValidationError(f"{label} must be a real date")
    day, month, year = (int(part) for part in parts)
    try:
        value = date(year, month, day)
    except ValueError as error:
        raise ValidationError(f"{label} must be a real date") from error
    if year > LATEST_YEAR:
        raise ValidationError(f"{label} must be a real date")
    return value


def iso_date_or_none(text: str | None, *, what: str) -> date | None:
    """The day typed as YYYY-MM-DD in a filter's box, or None when the box is blank.

    ``what`` names the day inside a sentence ("the first day").

    :raises ValidationError: with the GOV.UK message for the field.
    """
    typed = (text or "").strip()
    if not typed:
        return None
    try:
        day = date.fromisoformat(typed) if _ISO_DAY.fullmatch(typed) else None
    except ValueError:  # 2026-02-30
        day = None
    if day is None:
        raise ValidationError(f"Enter {what} as a date, for example 2026-11-01")
    if day.year > LATEST_YEAR:
        raise ValidationError(f"Enter {what} as a date in or before {LATEST_YEAR}")
    return day
