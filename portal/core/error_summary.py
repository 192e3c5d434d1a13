"""The GOV.UK error summary of a page's forms (base.html shows it and marks the title).

govuk-frontend-wtf links each error to ``#<field id>``. For a date that is the box around the day,
month and year, not a box anyone can type in: GOV.UK links a date's error to its first box with
an error, and the date widget marks all three, so the link goes to the day.
"""

from __future__ import annotations

from typing import Any

from govuk_frontend_wtf.main import wtforms_errors
from govuk_frontend_wtf.wtforms_widgets import GovDateInput


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
