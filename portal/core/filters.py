"""Filter forms: the GET forms above a list (the CSODS case list, "Our actions", the access-log
search). Nothing changes when one is sent, so it carries no CSRF token. An answer it cannot read
is an error on the page; the list then leaves that answer out (:func:`readable`) rather than
guess what was meant.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from wtforms import SelectChoice, SelectField


class FilterForm(FlaskForm):  # type: ignore[misc]
    class Meta:
        csrf = False


def filter_select(label: str, everything: str, options: dict[str, str] | None = None) -> Any:
    """A select whose first option, ``everything``, means no filter; the page offers the
    rest (fixed ``options``, or set later from what the list holds)."""
    return SelectField(
        label,
        choices=[SelectChoice("", everything)]
        + [SelectChoice(value, text) for value, text in (options or {}).items()],
        validate_choice=False,
        widget=GovSelect(),
    )


def offer_choices(field: Any, everything: str, options: list[tuple[str, str]]) -> None:
    """Set a filter select's options (value, text) after its "no filter" first option."""
    field.choices = [SelectChoice("", everything)] + [SelectChoice(v, t) for v, t in options]


def readable(field: Any) -> str:
    """The field's answer, or "" when it was refused (an answer with an error is no filter)."""
    return "" if field.errors else str(field.data or "").strip()


def id_or_none(text: str) -> uuid.UUID | None:
    """The id a filter's answer names, or None when blank or not an id."""
    try:
        return uuid.UUID(text) if text else None
    except ValueError:
        return None
