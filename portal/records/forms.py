"""Record forms: presentation and CSRF only; :mod:`portal.records.schemas` decides."""

from __future__ import annotations

from typing import Any

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    StringField,
    SubmitField,
    TextAreaField,
)

from portal.core.markings import Marking
from portal.core.once import submission_key
from portal.core.widgets import SubmitButton
from portal.records.schemas import CREATABLE_KINDS, RMP_SECTIONS
from portal.subjects.forms import MarkingForm, add_error, load_command, marking_fields, page_error

__all__ = ["EditRecordForm", "RecordForm", "add_error", "load_command", "page_error"]

RICH_TEXT_HINT = (
    "Leave a blank line between paragraphs. You can also use simple HTML: paragraphs, bold, "
    "italic, lists, headings and links. Anything else is removed when you save"
)


def _section(label: str) -> Any:
    return TextAreaField(
        f"{label} (risk management plan only)",
        widget=GovTextArea(),
        description="Write ‘Not applicable’ and why, if it does not apply",
    )


class RecordForm(MarkingForm):
    submission = submission_key()
    kind = RadioField(
        "Kind of record",
        choices=[SelectChoice(value, label) for value, label in CREATABLE_KINDS.items()],
        validate_choice=False,
        widget=GovRadioInput(),
    )
    title = StringField("Title", widget=GovTextInput())
    body = TextAreaField("Record", widget=GovTextArea(), description=RICH_TEXT_HINT)
    contains_health_details = BooleanField(
        "This record includes health or medical details",
        widget=GovCheckboxInput(),
        description="Partners with a summary view never see records with health details",
    )
    supervision = _section(RMP_SECTIONS["supervision"])
    monitoring_control = _section(RMP_SECTIONS["monitoring_control"])
    interventions_treatment = _section(RMP_SECTIONS["interventions_treatment"])
    victim_safety = _section(RMP_SECTIONS["victim_safety"])
    contingency = _section(RMP_SECTIONS["contingency"])
    licence_conditions = _section(RMP_SECTIONS["licence_conditions"])
    classification, descriptors, handling, handling_org = marking_fields()
    submit = SubmitField("Save record", widget=SubmitButton())

    def fill(self, record: Any, marking: Marking) -> None:
        """Fill the form from a stored record (the edit page's first view).

        Stored rich text is clean HTML; it goes back into the text boxes as HTML source, which
        the boxes escape, and is cleaned again on save.
        """
        self.kind.data = record.kind
        self.title.data = record.title
        self.body.data = record.body
        self.contains_health_details.data = record.contains_health_details
        for name in RMP_SECTIONS:
            getattr(self, name).data = getattr(record, name) or ""
        self.fill_marking(marking)


class EditRecordForm(RecordForm):
    #: Which saved state of the record the page shows, sent back to catch a change made since.
    version = HiddenField()
