"""The portal's form button: GOV.UK's, ignoring a second click.

GOV.UK Frontend's button ignores a second click within a second when it carries
``data-prevent-double-click`` (``preventDoubleClick`` in the macro), so a double click sends a
form once. Every form's button is this one. The services still judge a form sent twice (a
double click without JavaScript, or two people at once) on their own: this only spares the
user a refusal they did not cause.
"""

from __future__ import annotations

from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput


class SubmitButton(GovSubmitInput):  # type: ignore[misc]
    def map_gov_params(self, field: Any, **kwargs: Any) -> dict[str, Any]:
        params: dict[str, Any] = super().map_gov_params(field, **kwargs)
        params.setdefault("preventDoubleClick", True)
        return params
