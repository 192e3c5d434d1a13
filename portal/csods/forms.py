"""CSODS forms: presentation and CSRF only; :mod:`portal.csods.schemas` decides."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import ValidationError

from portal.core.filters import FilterForm, filter_select, id_or_none, offer_choices, readable
from portal.core.once import submission_key
from portal.core.period import FIRST, LAST, PeriodChecks, typed_day
from portal.core.widgets import SubmitButton
from portal.csods.schemas import DEFAULT_DP_CONDITION, METHODS, YES_NO, part3_conditions
from portal.csods.stages import CHANNELS, KNOWS, OUTCOME_LABELS, STAGE_LABELS, Stage
from portal.subjects.forms import DatePartsField, load_command
from portal.subjects.forms import add_error as _field_error
from portal.users.forms import page_error

__all__ = ["add_error", "load_command"]


def add_error(form: FlaskForm, name: str, message: str) -> None:
    """Show ``message`` against field ``name``, or against the button for the page as a whole
    (a refused transition)."""
    if name == "submit" or name not in form._fields:
        page_error(form, message)
        return
    _field_error(form, name, message)


def _radio(label: str, options: dict[Any, str], hint: str = "") -> Any:
    return RadioField(
        label,
        choices=[SelectChoice(str(value), text) for value, text in options.items()],
        validate_choice=False,
        widget=GovRadioInput(),
        description=hint,
    )


def _text(label: str, hint: str = "") -> Any:
    return StringField(label, widget=GovTextInput(), description=hint)


def _area(label: str, hint: str = "") -> Any:
    return TextAreaField(label, widget=GovTextArea(), description=hint)


def _date(label: str, hint: str = "For example, 27 3 2025") -> Any:
    return DatePartsField(label, description=hint)


class _OnceForm(FlaskForm):  # type: ignore[misc]
    """Every CSODS page's form: a second sending of the same page saves nothing more."""

    submission = submission_key()


class ChildForm(_OnceForm):
    child_name = _text("Child’s name")
    child_date_of_birth = _date("Child’s date of birth", "Leave blank if only the age is known")
    child_age = _text("Child’s age in years", "If the date of birth is not known")
    lives_with = _text("Who the child lives with")
    applicant_relationship = _text("Applicant’s relationship to the child", "For example, aunt")
    subject_relationship = _text(
        "Subject’s relationship to the child", "For example, mother’s new partner"
    )
    mother_knows = _radio("Does the child’s mother know about the application?", KNOWS)
    father_knows = _radio("Does the child’s father know about the application?", KNOWS)
    submit = SubmitField("Add child", widget=SubmitButton())


class ApplicationForm(ChildForm):
    urn = _text("Force reference (URN)", "For example, SMITH/2025-03-27")
    channel = _radio("How was the application made?", CHANNELS)
    received_on = _date("Date received")
    applicant_family_name = _text("Family name")
    applicant_given_names = _text("Given names")
    applicant_other_names = _text("Other names (optional)", "Married, maiden or other names")
    applicant_date_of_birth = _date("Date of birth (optional)")
    applicant_address = _area("Address")
    contact_method = _text("Preferred contact method and time")
    safe_contact = _area(
        "Safe-contact instructions", "When and how it is safe to contact them, or ‘None’"
    )
    subject_id = SelectField(
        "Existing subject (optional)",
        choices=[],
        validate_choice=False,
        widget=GovSelect(),
        description="Choose the subject if the force already holds them; otherwise enter the "
        "new person below",
    )
    subject_family_name = _text("New person’s family name")
    subject_given_names = _text("New person’s given names")
    subject_date_of_birth = _date("New person’s date of birth (optional)")
    subject_address = _area("New person’s address (optional)")
    subject_relationship_to_applicant = _text(
        "Subject’s relationship to the applicant", "For example, partner, friend, neighbour"
    )
    submit = SubmitField("Record application", widget=SubmitButton())


class EmptyForm(_OnceForm):
    submit = SubmitField("Confirm", widget=SubmitButton())


class NoteForm(_OnceForm):
    note = _area("Note (optional)")
    submit = SubmitField("Close the application", widget=SubmitButton())


class ScopeForm(_OnceForm):
    checks_made = _area("Checks made and their results")
    in_scope = _radio("Is the application in scope?", YES_NO, "A specific child with contact")
    explanation = _area(
        "Explanation given to the applicant (if not in scope)", "Include what else they may do"
    )
    submit = SubmitField("Record the scope decision", widget=SubmitButton())


class InterviewForm(_OnceForm):
    verified = _radio(
        "Were the applicant’s identity, address and relationship to the child verified?",
        YES_NO,
        "Anonymous or unverified applicants cannot receive a disclosure",
    )
    evidence_identity = _text("Identity evidence seen", "The type only, e.g. passport")
    evidence_address = _text("Address evidence seen", "The type only, e.g. utility bill")
    evidence_relationship = _text(
        "Relationship evidence seen", "The type only, e.g. birth certificate"
    )
    notes = _area("Interview notes", "If not verified, say why")
    submit = SubmitField("Record the interview", widget=SubmitButton())


class RiskAssessmentForm(_OnceForm):
    agencies = _area(
        "Agencies consulted and their answers",
        "One agency per line: the agency, a colon, then its answer",
    )
    summary = _area("Risk assessment")
    submit = SubmitField("Complete the risk assessment", widget=SubmitButton())


class DecisionForm(_OnceForm):
    outcome = _radio("Decision", OUTCOME_LABELS)
    forum = _text("Decision forum")
    attendees = _area("Attendees")
    rationale = _area("Why the decision is lawful, necessary and proportionate")
    pressing_need = _area("Pressing need")
    recipient_name = _text(
        "Person best placed to protect the child (for a disclosure)",
        "This may not be the applicant",
    )
    recipient_relationship = _text("Their relationship to the child", "For example, mother")
    recipient_why = _area("Why they are best placed")
    wording = _area("Exact wording to be disclosed")
    dp_condition = SelectField(
        "Data-protection condition (DPA 2018 Part 3)",
        choices=[],
        validate_choice=False,
        widget=GovSelect(),
        description="The legal gateway is CJA 2003 s.327A (GW-CJA03-S327A)",
    )
    safety_plan = _area("Safety plan")
    referrals = _area("Referrals and other safeguarding action")
    non_disclosure_reasons = _area("Reasons for not disclosing (for no disclosure)")
    submit = SubmitField("Record the decision", widget=SubmitButton())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dp_condition.choices = [
            SelectChoice(code, label) for code, label in part3_conditions()
        ]
        if not self.is_submitted():
            self.dp_condition.data = DEFAULT_DP_CONDITION


class DeliveryForm(_OnceForm):
    delivered_on = _date("Date")
    method = _radio("How", METHODS)
    disclosed_by = _text(
        "Who made the disclosure",
        "The names and roles of the officers who told the recipient in person",
    )
    undertaking_signed = _radio(
        "Did the recipient sign the undertaking?",
        YES_NO,
        "Needed before a disclosure can be marked delivered",
    )
    undertaking_signed_on = _date("Date the undertaking was signed")
    note = _area("Who was told, and what was said or sent")
    submit = SubmitField("Record", widget=SubmitButton())


class SendBackForm(_OnceForm):
    reason = _area(
        "Why the decision is sent back",
        "What the forum should look at again. The person who recorded the decision will see this",
    )
    submit = SubmitField("Send the decision back", widget=SubmitButton())


class PauseForm(_OnceForm):
    reason = _area("Exceptional circumstances", "Why the target clock must stop")
    submit = SubmitField("Pause the clock", widget=SubmitButton())


class ReferralForm(_OnceForm):
    referred_to = _text("Referred to", "For example, children’s social care MASH")
    risk = _area("The immediate risk")
    submit = SubmitField("Open the safeguarding referral", widget=SubmitButton())


OFFICER_NOT_OFFERED = "Choose an officer from the list"
#: The outcome counts' period when none is given: the last 365 days.
DEFAULT_PERIOD_DAYS = 365


@dataclass(frozen=True)
class CaseListChoice:
    """What the case list shows: the filters and the outcome counts' period."""

    stage: Stage | None
    officer_id: uuid.UUID | None
    include_closed: bool
    period: tuple[date, date]


class CaseListForm(PeriodChecks, FilterForm):
    """The case list's filters and the period of its outcome counts (a filter form:
    :mod:`portal.core.filters`)."""

    stage = filter_select("Stage", "All stages", {str(k): v for k, v in STAGE_LABELS.items()})
    officer = filter_select("Officer", "All officers")
    closed = BooleanField("Include closed applications", false_values=("", "false", "no"))
    date_from = _text("Received from", "The first day, for example 2026-11-01")
    date_to = _text("Received to", "The last day, for example 2026-11-30")

    def set_officers(self, officers: list[tuple[uuid.UUID, str]]) -> None:
        """Offer the force's officers; an officer asked for who is not one of them is an error
        (the list for them is empty), not a filter the page cannot show."""
        offer_choices(self.officer, "All officers", [(str(i), name) for i, name in officers])
        asked = id_or_none(readable(self.officer))
        if asked is not None and asked not in {officer_id for officer_id, _ in officers}:
            self.officer.errors = [*self.officer.errors, OFFICER_NOT_OFFERED]

    def show_period(self, period: tuple[date, date]) -> None:
        """Fill a blank period box with the day the counts use (a box with an answer, even a
        refused one, shows what was typed)."""
        for field, day in ((self.date_from, period[0]), (self.date_to, period[1])):
            if not (field.raw_data and str(field.raw_data[0]).strip()):
                field.raw_data = None
                field.data = day.isoformat()

    def validate_stage(self, field: Any) -> None:
        if field.data and field.data not in Stage.__members__:
            raise ValidationError("Choose a stage from the list")

    def validate_officer(self, field: Any) -> None:
        if field.data and id_or_none(field.data) is None:
            raise ValidationError(OFFICER_NOT_OFFERED)

    def chosen(self, today: date) -> CaseListChoice:
        """The answers that can be read (call after :meth:`validate` when any were sent): one
        with an error counts as not given."""
        first = typed_day(readable(self.date_from), FIRST)
        last = typed_day(readable(self.date_to), LAST)
        if first is not None and last is not None and last < first:
            first = last = None
        last = last or max(today, first or today)
        first = first or min(last, today - timedelta(days=DEFAULT_PERIOD_DAYS))
        stage = readable(self.stage)
        return CaseListChoice(
            stage=Stage[stage] if stage else None,
            officer_id=id_or_none(readable(self.officer)),
            include_closed=bool(self.closed.data),
            period=(first, last),
        )
