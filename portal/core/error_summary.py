"""The GOV.UK error summary of a page's forms (base.html shows it and marks the title).

govuk-frontend-wtf links each error to ``#<field id>``. For a date that is the box around the day,
month and year, not a box anyone can type in: GOV.UK links a date's error to its first box with
an error, and the date widget marks all three, so the link goes to the day.

A button's action refused after the page was drawn (the account is already disabled, the request
was decided meanwhile) is flashed with :func:`flash_problem` and shown in the next page's summary
(``users/_macros.html``), linked to what it is about on that page.
"""

from __future__ import annotations

import re
from typing import Any, Final

from flask import flash
from govuk_frontend_wtf.main import wtforms_errors
from govuk_frontend_wtf.wtforms_widgets import GovDateInput

#: A flashed refusal's category: ``problem:<id of what it is about on the next page>``.
PROBLEM: Final = "problem"
_ELEMENT_ID: Final = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def error_summary(*forms: Any) -> dict[str, Any] | None:
    """The summary's parameters for every error of ``forms`` (None, or undefined in a template,
    is skipped), in page order; None when there is none."""
    errors: list[dict[str, Any]] = []
    for form in forms:
        if not form or not getattr(form, "errors", None):
            continue
        first_box = {
            f"#{field.id}": f"#{field.name}-day"
            for field in form
            if isinstance(field.widget, GovDateInput)
        }
        for error in wtforms_errors(form)["errorList"]:
            errors.append({**error, "href": first_box.get(error["href"], error["href"])})
    return {"titleText": "There is a problem", "errorList": errors} if errors else None


def form_status(*forms: Any) -> int:
    """The status of a page drawn with ``forms``: 400 when the page shows an error summary (the
    answers sent were refused), 200 otherwise. Every form page answers its refusals alike."""
    return 400 if error_summary(*forms) else 200


def flash_problem(message: str, *, about: str) -> None:
    """Flash the refusal of a button's action for the next page's error summary, linked to the
    element with id ``about`` on that page (the row that shows the state that refused it)."""
    if not _ELEMENT_ID.fullmatch(about):
        raise ValueError(f"not an element id: {about!r}")
    flash(message, f"{PROBLEM}:{about}")
