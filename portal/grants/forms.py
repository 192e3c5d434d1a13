"""Grant and LAO list forms: presentation and CSRF only.

What may be submitted is decided by the schemas in :mod:`portal.grants.schemas`; the views pass
everything the browser sent through them with :func:`portal.users.forms.load_command`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
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
    StringField,
    SubmitField,
    TextAreaField,
)

from portal.core import lawful_basis
from portal.core.lawful_basis import BasisKind
from portal.core.once import submission_key
from portal.core.widgets import SubmitButton

PROFILE_CHOICES = [
    SelectChoice("SUMMARY", "Summary only"),
    SelectChoice("SUMMARY_AND_ACTIONS", "Summary and actions"),
    SelectChoice("FULL", "Full record (everything except what its owner withholds)"),
]
SCOPE_CHOICES = [
    SelectChoice("SUBJECT", "The subject, at the level chosen below"),
    SelectChoice("RECORD", "One record only"),
]
IDENTIFIER_CHOICES = [
    SelectChoice("pnc_id", "PNC ID"),
    SelectChoice("ndelius_crn", "nDelius CRN"),
    SelectChoice("visor_ref", "ViSOR reference"),
]
_PLEASE_SELECT = SelectChoice("", "Select")


def basis_choices(kind: BasisKind) -> list[SelectChoice]:
    """Lawful-basis codes of one kind, each shown with its label and statute."""
    return [_PLEASE_SELECT] + [
        SelectChoice(code, f"{code}: {text}") for code, text in lawful_basis.choices(kind)
    ]


class DatePartsField(Field):  # type: ignore[misc]
    """The GOV.UK date input: three boxes sent under one name, kept as typed for the schema."""

    widget = GovDateInput()
    data: list[str] | datetime.date | None
    raw_data: list[str] | None

    def process_formdata(self, valuelist: list[Any]) -> None:
        parts = [str(part) for part in valuelist]
        self.data = parts
        self.raw_data = [*parts, "", "", ""][:3]

    def _value(self) -> str:
        return ""

    def fill(self, value: datetime.date | None) -> None:
        self.data = value
        self.raw_data = None


def _select(label: str, choices: Iterable[SelectChoice], hint: str = "") -> Any:
    return SelectField(
        label, choices=list(choices), validate_choice=False, widget=GovSelect(), description=hint
    )


def _radio(label: str, choices: Iterable[SelectChoice], hint: str = "") -> Any:
    return RadioField(
        label,
        choices=list(choices),
        validate_choice=False,  # the schema decides, with a message for the page
        widget=GovRadioInput(),
        description=hint,
    )


class _TermsForm(FlaskForm):  # type: ignore[misc]
    legal_gateway = _select(
        "Legal gateway",
        basis_choices(BasisKind.GATEWAY),
        "The law that allows this sharing",
    )
    dp_condition = _select(
        "Data protection condition",
        basis_choices(BasisKind.DP_CONDITION),
        "The condition the processing relies on (Part 3 for competent authorities)",
    )
    justification = TextAreaField(
        "Justification",
        widget=GovTextArea(),
        description="Why this access is necessary and proportionate. Do not include case details",
    )
    isa_reference = StringField(
        "Information sharing agreement reference",
        widget=GovTextInput(),
        description="For example, ISA-MAPPA-2025",
    )
    starts_on = DatePartsField(
        "Start date (optional)", description="Leave blank to start straight away"
    )
    expires_on = DatePartsField(
        "Date access ends",
        description="Access ends at the end of this day (UTC). Up to a year from the start",
    )


class GrantForm(_TermsForm):
    submission = submission_key()
    grantee_agency_id = _select("Agency to share with", [])
    grantee_user_email = StringField(
        "Named person (optional)",
        widget=GovTextInput(),
        description="The email address of one person at that agency, if only they should see it",
    )
    scope = _radio("What to share", SCOPE_CHOICES)
    view_profile = _radio("How much of the subject", PROFILE_CHOICES)
    record_id = _select("Record", [], "Only if you are sharing one record")
    submit = SubmitField("Give access", widget=SubmitButton())

    def set_choices(self, agencies: Iterable[Any], records: Iterable[Any]) -> None:
        self.grantee_agency_id.choices = [_PLEASE_SELECT] + [
            SelectChoice(a.value, a.text) for a in agencies
        ]
        self.record_id.choices = [_PLEASE_SELECT] + [SelectChoice(r.value, r.text) for r in records]


class RequestForm(_TermsForm):
    identifier_kind = _radio("Which identifier do you have?", IDENTIFIER_CHOICES)
    identifier = StringField("Identifier", widget=GovTextInput())
    view_profile = _radio("How much do you need to see?", PROFILE_CHOICES)
    submit = SubmitField("Send request", widget=SubmitButton())


class RenewForm(_TermsForm):
    submit = SubmitField("Renew access", widget=SubmitButton())


class ApproveForm(FlaskForm):  # type: ignore[misc]
    expires_on = DatePartsField(
        "Date access ends", description="Access ends at the end of this day (UTC)"
    )
    submit = SubmitField("Approve request", widget=SubmitButton())


class ReasonForm(FlaskForm):  # type: ignore[misc]
    reason = TextAreaField(
        "Reason",
        widget=GovTextArea(),
        description="This is recorded in the access log. Do not include case details",
    )
    submit = SubmitField("Confirm", widget=SubmitButton())


class LaoForm(FlaskForm):  # type: ignore[misc]
    kind = HiddenField()
    #: Which saved state of the list the page shows, sent back to catch a change made since.
    version = HiddenField()
    members = TextAreaField(
        "People on this list",
        widget=GovTextArea(),
        description="Their email addresses, one on each line. Leave empty to remove the list",
    )
    message = TextAreaField(
        "Message shown to someone this list refuses",
        widget=GovTextArea(),
        description="For example, who to contact. Do not include case details",
    )
    submit = SubmitField("Save list", widget=SubmitButton())

    def for_list(self, kind: str) -> LaoForm:
        """This list's form. Both lists share one page, so each field's id (which its label and
        the error summary's link name) is the list's own: ``exclusion-members``."""
        for name in ("members", "message", "submit"):
            self[name].id = f"{kind.lower()}-{name}"
        return self
