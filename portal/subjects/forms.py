"""Subject forms: presentation and CSRF only.

What may be submitted is decided by :mod:`portal.subjects.schemas`; :func:`load_command` (shared
with user administration) passes everything the browser sent through the schema and puts its
messages on the fields for the GOV.UK error summary.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    Field,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)

from portal.core.markings import Descriptor, Handling, Marking, combine
from portal.core.once import submission_key
from portal.core.widgets import SubmitButton
from portal.subjects.schemas import (
    CLASSIFICATIONS,
    MAPPA_CATEGORY_LABELS,
    MAPPA_LEVEL_LABELS,
    NO_HANDLING,
    SUBJECT_TYPES,
)
from portal.users.forms import add_error, load_command, page_error

__all__ = [
    "EditSubjectForm",
    "MarkingForm",
    "SubjectForm",
    "add_error",
    "load_command",
    "page_error",
]

HANDLING_LABELS = {
    NO_HANDLING: "None",
    Handling.HMG_USE_ONLY.value: "HMG USE ONLY",
    Handling.ORG_USE_ONLY.value: "An organisation’s USE ONLY (name it below)",
    Handling.RECIPIENTS_ONLY.value: "RECIPIENTS ONLY – named people only",
}


class DatePartsField(Field):  # type: ignore[misc]
    """The GOV.UK date input: three boxes sent under one name, kept as typed for the schema.

    ``data`` is the list of the three parts (the schema turns it into a date with a message
    for each mistake) or a :class:`datetime.date` when the form is filled from a record.
    """

    widget = GovDateInput()
    data: list[str] | datetime.date | None
    raw_data: list[str] | None

    def process_formdata(self, valuelist: list[Any]) -> None:
        parts = [str(part) for part in valuelist]
        self.data = parts
        # The widget shows exactly three boxes, whatever was sent.
        self.raw_data = [*parts, "", "", ""][:3]

    def _value(self) -> str:
        return ""

    def fill(self, value: datetime.date | None) -> None:
        self.data = value
        self.raw_data = None


def _radio(label: str, choices: Iterable[tuple[str, str]], hint: str = "") -> Any:
    return RadioField(
        label,
        choices=[SelectChoice(value, text) for value, text in choices],
        validate_choice=False,  # the schema decides, with a message for the page
        widget=GovRadioInput(),
        description=hint,
    )


def marking_fields() -> tuple[Any, Any, Any, Any]:
    """The four marking questions. Each form calls this after its own fields, so the questions
    (and their errors in the summary) come last, in page order."""
    return (
        _radio(
            "Classification",
            [(value, value) for value in CLASSIFICATIONS],
            "The portal holds OFFICIAL information only, including OFFICIAL-SENSITIVE",
        ),
        SelectMultipleField(
            "Descriptors",
            choices=[SelectChoice(d.value, d.label) for d in Descriptor],
            validate_choice=False,
            widget=GovCheckboxesInput(),
            description="Select all that apply",
        ),
        _radio("Handling instruction", HANDLING_LABELS.items()),
        StringField(
            "Organisation for the USE ONLY instruction",
            widget=GovTextInput(),
            description="For example, MOJ. Only for an organisation’s USE ONLY instruction",
        ),
    )


class MarkingForm(FlaskForm):  # type: ignore[misc]
    """A form with the marking questions (added by :func:`marking_fields`)."""

    classification: Any
    descriptors: Any
    handling: Any
    handling_org: Any

    def entered_banner(self, stored: Marking | str | None = None) -> str:
        """The page's banner: the stored marking (or its ``Marking.to_json()`` text) combined
        with what was entered, so a page re-shown with the user's answers carries their
        marking."""
        if isinstance(stored, str):
            stored = Marking.from_json(stored)
        parts = [] if stored is None else [stored]
        if self.is_submitted():
            known = {d.value: d for d in Descriptor}
            descriptors = self.descriptors.data if isinstance(self.descriptors.data, list) else []
            parts.append(
                Marking(
                    sensitive=self.classification.data != "OFFICIAL",
                    descriptors=frozenset(known[d] for d in descriptors if d in known),
                )
            )
        return combine(parts).banner

    def fill_marking(self, marking: Marking) -> None:
        self.classification.data = "OFFICIAL-SENSITIVE" if marking.sensitive else "OFFICIAL"
        self.descriptors.data = [d.value for d in marking.descriptors]
        self.handling.data = marking.handling.value if marking.handling else NO_HANDLING
        self.handling_org.data = marking.handling_org or ""


class SubjectForm(MarkingForm):
    submission = submission_key()
    family_name = StringField("Family name", widget=GovTextInput())
    given_names = StringField("Given names", widget=GovTextInput())
    aliases = TextAreaField(
        "Aliases (optional)",
        widget=GovTextArea(),
        description="Other names or nicknames the subject uses. Put each one on a new line",
    )
    date_of_birth = DatePartsField(
        "Date of birth (optional)", description="For example, 27 3 1980. Leave blank if not known"
    )
    pnc_id = StringField(
        "PNC ID (optional)", widget=GovTextInput(), description="For example, 12/345678A"
    )
    ndelius_crn = StringField(
        "nDelius CRN (optional)", widget=GovTextInput(), description="For example, X123456"
    )
    visor_ref = StringField("ViSOR reference (optional)", widget=GovTextInput())
    subject_type = _radio("Subject type", SUBJECT_TYPES.items())
    mappa_category = _radio(
        "MAPPA category",
        [(str(n), text) for n, text in MAPPA_CATEGORY_LABELS.items()],
        "A subject is in one category only",
    )
    mappa_level = _radio("MAPPA level", [(str(n), text) for n, text in MAPPA_LEVEL_LABELS.items()])
    lead_agency_id = SelectField(
        "Lead agency", choices=[], validate_choice=False, widget=GovSelect()
    )
    classification, descriptors, handling, handling_org = marking_fields()
    submit = SubmitField("Save subject", widget=SubmitButton())

    def set_agencies(self, agencies: Sequence[Any]) -> None:
        self.lead_agency_id.choices = [SelectChoice("", "Select the lead agency")] + [
            SelectChoice(str(agency.id), agency.name) for agency in agencies
        ]

    def fill(self, subject: Any) -> None:
        """Fill the form from a stored subject (the edit page's first view)."""
        for name in ("family_name", "given_names", "pnc_id", "ndelius_crn", "visor_ref"):
            getattr(self, name).data = getattr(subject, name) or ""
        self.aliases.data = "\n".join(alias.name for alias in subject.aliases)
        self.date_of_birth.fill(subject.date_of_birth)
        self.subject_type.data = subject.subject_type
        self.mappa_category.data = str(subject.mappa_category)
        self.mappa_level.data = str(subject.mappa_level)
        self.lead_agency_id.data = str(subject.lead_agency_id)
        self.fill_marking(Marking.from_json(subject.marking))


class EditSubjectForm(SubjectForm):
    #: Which saved state of the subject the page shows, sent back to catch a change made since.
    version = HiddenField()


class AcknowledgeForm(FlaskForm):  # type: ignore[misc]
    submit = SubmitField("I agree", widget=SubmitButton())
