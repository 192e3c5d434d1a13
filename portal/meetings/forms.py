"""Meeting, action, progress, amendment and distribution forms: presentation and CSRF only;
:mod:`portal.meetings.schemas` decides."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import ValidationError

from portal.core.filters import FilterForm, filter_select, id_or_none, offer_choices, readable
from portal.core.inputs import has_control_characters
from portal.core.once import submission_key
from portal.core.widgets import SubmitButton
from portal.meetings.schemas import (
    ACTION_STATUSES,
    ATTENDANCE,
    ATTENDEE_ROWS,
    CHAIR_STATUSES,
    DECISION_ROWS,
    KINDS,
    LEVEL_DECISIONS,
    LEVELS,
    NOT_SENT,
    NOT_SENT_LABEL,
    PILLARS,
    PROGRESS_STATUSES,
    ROSH,
    ROSH_GROUPS,
    ActionFilter,
)
from portal.records.forms import RICH_TEXT_HINT
from portal.subjects.forms import DatePartsField, load_command
from portal.subjects.forms import add_error as add_field_error
from portal.users.forms import page_error

__all__ = [
    "ActionForm",
    "AmendForm",
    "ApproveForm",
    "DistributeForm",
    "MeetingForm",
    "ProgressForm",
    "add_error",
    "load_command",
]


def add_error(form: FlaskForm, name: str, message: str) -> None:
    """Show ``message`` against field ``name``. A refusal of the page as a whole (``submit``:
    the distribution list changed, nobody to send to) keeps its own words on the button; the
    shared helper would replace them with "reload the page", which tells the chair nothing."""
    if name == "submit":
        page_error(form, message)
        return
    add_field_error(form, name, message)


def _radio(label: str, choices: Any, hint: str = "") -> Any:
    return RadioField(
        label,
        choices=[SelectChoice(value, text) for value, text in choices.items()],
        validate_choice=False,
        widget=GovRadioInput(),
        description=hint,
    )


def _select(label: str, hint: str = "") -> Any:
    return SelectField(
        label, choices=[], validate_choice=False, widget=GovSelect(), description=hint
    )


def _agency_choices(agencies: Sequence[Any], prompt: str) -> list[Any]:
    return [SelectChoice("", prompt)] + [SelectChoice(str(a.id), a.name) for a in agencies]


class MeetingForm(FlaskForm):  # type: ignore[misc]
    submission = submission_key()
    #: The saved state of the record the edit page shows, sent back to catch a change since.
    version = HiddenField()
    kind = _radio("Kind of meeting", KINDS)
    level = _radio("Level", LEVELS)
    held_on = DatePartsField("Date of the meeting", description="For example, 27 3 2026")
    location = StringField("Location", widget=GovTextInput(), description="Or the video service")
    is_virtual = BooleanField("The meeting was held virtually", widget=GovCheckboxInput())
    mappa_area = StringField("MAPPA area", widget=GovTextInput())
    chair_name = StringField("Chair’s name", widget=GovTextInput())
    chair_agency_id = _select("Chair’s agency")
    chair_role = StringField("Chair’s role or rank", widget=GovTextInput())
    confidentiality_read = BooleanField(
        "The confidentiality and diversity statement was read", widget=GovCheckboxInput()
    )
    category_level_confirmed = BooleanField(
        "The MAPPA category and level were confirmed", widget=GovCheckboxInput()
    )
    rosh_children = _radio(ROSH_GROUPS["rosh_children"], ROSH)
    rosh_public = _radio(ROSH_GROUPS["rosh_public"], ROSH)
    rosh_known_adult = _radio(ROSH_GROUPS["rosh_known_adult"], ROSH)
    rosh_staff = _radio(ROSH_GROUPS["rosh_staff"], ROSH)
    victim_issues = TextAreaField("Victim issues", widget=GovTextArea(), description=RICH_TEXT_HINT)
    diversity_issues = TextAreaField("Diversity issues", widget=GovTextArea())
    discussion = TextAreaField(
        "Minutes of the discussion", widget=GovTextArea(), description=RICH_TEXT_HINT
    )
    dissent = TextAreaField("Dissent, and how the meeting agreed to proceed", widget=GovTextArea())
    level_decision = _radio("Level decision", LEVEL_DECISIONS)
    lead_agency_id = _select("Lead agency")
    next_review_on = DatePartsField("Next review date", description="For example, 27 6 2026")
    grace_days = StringField(
        "Grace period in days",
        widget=GovTextInput(),
        description="Access given with the minutes ends this many days after the next review",
    )
    submit = SubmitField("Save meeting", widget=SubmitButton())

    def set_agencies(self, agencies: Sequence[Any]) -> None:
        self.chair_agency_id.choices = _agency_choices(agencies, "Select the chair’s agency")
        self.lead_agency_id.choices = _agency_choices(agencies, "Select the lead agency")
        for i in range(1, ATTENDEE_ROWS + 1):
            getattr(self, f"attendee_{i}_agency").choices = _agency_choices(
                agencies, "Select an agency"
            )

    def fill(self, meeting: Any) -> None:
        """Fill the form from a stored meeting (the edit page's first view)."""
        for name in ("kind", "location", "mappa_area", "chair_name", "chair_role", *ROSH_GROUPS):
            getattr(self, name).data = getattr(meeting, name) or ""
        for name in ("victim_issues", "diversity_issues", "discussion", "dissent"):
            getattr(self, name).data = getattr(meeting, name) or ""
        self.level.data = str(meeting.level)
        self.is_virtual.data = meeting.is_virtual
        self.confidentiality_read.data = meeting.confidentiality_read
        self.category_level_confirmed.data = meeting.category_level_confirmed
        self.held_on.fill(meeting.held_on)
        self.next_review_on.fill(meeting.next_review_on)
        self.level_decision.data = str(meeting.level_decision or "")
        self.chair_agency_id.data = str(meeting.chair_agency_id or "")
        self.lead_agency_id.data = str(meeting.lead_agency_id or "")
        self.grace_days.data = str(meeting.grace_days)
        for i, d in enumerate(meeting.decisions, start=1):
            getattr(self, f"decision_{i}").data = d.decision
            getattr(self, f"rationale_{i}").data = d.rationale
        for i, a in enumerate(meeting.attendees, start=1):
            getattr(self, f"attendee_{i}_agency").data = str(a.agency_id)
            getattr(self, f"attendee_{i}_name").data = a.name
            getattr(self, f"attendee_{i}_role").data = a.role
            getattr(self, f"attendee_{i}_attendance").data = a.attendance


for _i in range(1, DECISION_ROWS + 1):
    setattr(MeetingForm, f"decision_{_i}", TextAreaField(f"Decision {_i}", widget=GovTextArea()))
    setattr(
        MeetingForm,
        f"rationale_{_i}",
        TextAreaField(f"Rationale for decision {_i}", widget=GovTextArea()),
    )
for _i in range(1, ATTENDEE_ROWS + 1):
    setattr(MeetingForm, f"attendee_{_i}_agency", _select(f"Attendee {_i}: agency"))
    setattr(
        MeetingForm,
        f"attendee_{_i}_name",
        StringField(f"Attendee {_i}: name", widget=GovTextInput()),
    )
    setattr(
        MeetingForm,
        f"attendee_{_i}_role",
        StringField(f"Attendee {_i}: role", widget=GovTextInput()),
    )
    setattr(
        MeetingForm, f"attendee_{_i}_attendance", _radio(f"Attendee {_i}: attendance", ATTENDANCE)
    )


class ActionForm(FlaskForm):  # type: ignore[misc]
    submission = submission_key()
    description = TextAreaField("What is the action?", widget=GovTextArea())
    pillar = _radio("Risk management plan pillar", PILLARS)
    owner_agency_id = _select("Agency that owns the action")
    owner_person = StringField(
        "Person who owns the action", widget=GovTextInput(), description="Name, and grade or role"
    )
    due_on = DatePartsField("Due date", description="For example, 27 4 2026")
    submit = SubmitField("Add action", widget=SubmitButton())

    def set_agencies(self, agencies: Sequence[Any]) -> None:
        self.owner_agency_id.choices = _agency_choices(agencies, "Select the agency")


class ProgressForm(FlaskForm):  # type: ignore[misc]
    #: Which state of the action the page shows, sent back to catch progress recorded since.
    version = HiddenField()
    status = _radio("Status", {**PROGRESS_STATUSES, **CHAIR_STATUSES})
    note = TextAreaField(
        "Update",
        widget=GovTextArea(),
        description="What was done, the evidence that it is complete, or why it was not achieved",
    )
    submit = SubmitField("Record progress", widget=SubmitButton())

    def limit_to(self, *, progress: bool, chair: bool) -> None:
        choices = {**(PROGRESS_STATUSES if progress else {}), **(CHAIR_STATUSES if chair else {})}
        self.status.choices = [SelectChoice(v, t) for v, t in choices.items()]


class ApproveForm(FlaskForm):  # type: ignore[misc]
    submit = SubmitField("Record the chair’s approval", widget=SubmitButton())


class AmendForm(FlaskForm):  # type: ignore[misc]
    reason = TextAreaField("Why are the minutes being amended?", widget=GovTextArea())
    submit = SubmitField("Start an amendment", widget=SubmitButton())


class DistributeForm(FlaskForm):  # type: ignore[misc]
    extra_agency_id = _select(
        "Another agency (optional)",
        "Sharing outside the distribution list needs the chair’s recorded consent",
    )
    extra_condition = _select("Data-protection condition for that agency")
    withheld_reason = TextAreaField(
        "Why are the minutes not sent to the agencies you left off? (if any)",
        widget=GovTextArea(),
        description="Needed when you choose “Do not send to this agency” for any agency; it is "
        "recorded with the distribution",
    )
    chair_consent = TextAreaField(
        "The chair’s consent",
        widget=GovTextArea(),
        description="Who consented, when, and the need to know",
    )
    submit = SubmitField("Distribute the minutes", widget=SubmitButton())


def distribute_form(recipients: Sequence[Any], others: Sequence[Any]) -> DistributeForm:
    """A distribution form with one question per agency on the list: the condition to send
    under, or "Do not send to this agency". The question starts unanswered, so leaving an
    agency off is a choice the chair makes, never a default."""

    class _Form(DistributeForm):
        pass

    for recipient in recipients:
        kind = "a Part 3 condition" if recipient.competent_authority else "a UK GDPR condition"
        # An agency owning an action in the minutes is always sent them: no "do not send".
        not_sent = [] if recipient.must_send else [SelectChoice(NOT_SENT, NOT_SENT_LABEL)]
        choice = f"Send under {kind}" + ("" if recipient.must_send else ", or do not send to it")
        setattr(
            _Form,
            f"dp_{recipient.agency_id.hex}",
            SelectField(
                f"{recipient.name}: data-protection condition",
                choices=[SelectChoice("", "Select a condition")]
                + [SelectChoice(code, label) for code, label in recipient.conditions]
                + not_sent,
                validate_choice=False,
                widget=GovSelect(),
                description=f"{recipient.why}. {choice}",
            ),
        )
    form = _Form()
    form.extra_agency_id.choices = _agency_choices(others, "None")
    from portal.core import lawful_basis

    form.extra_condition.choices = [SelectChoice("", "Select a condition")] + [
        SelectChoice(code, label)
        for code, label in lawful_basis.choices(lawful_basis.BasisKind.DP_CONDITION)
    ]
    return form


class ActionFilterForm(FilterForm):
    """The filters of "Our actions" (a filter form: :mod:`portal.core.filters`). A subject or
    owner the page does not offer (a bookmark from before access ended, an edited address) is
    an error on the page, never a filter the select cannot show."""

    subject = filter_select("Subject", "All subjects")
    status = filter_select("Status", "All statuses", ACTION_STATUSES)
    person = filter_select("Owner", "Everyone")

    def validate_subject(self, field: Any) -> None:
        if field.data and id_or_none(field.data) is None:
            raise ValidationError(SUBJECT_NOT_OFFERED)

    def validate_status(self, field: Any) -> None:
        if field.data and field.data not in ACTION_STATUSES:
            raise ValidationError("Choose a status from the list")

    def validate_person(self, field: Any) -> None:
        if field.data and (len(field.data) > 200 or has_control_characters(field.data)):
            raise ValidationError(OWNER_NOT_OFFERED)

    def filters(self) -> ActionFilter:
        """The filters that can be read (call after :meth:`validate` when any were sent)."""
        return ActionFilter(
            subject_id=id_or_none(readable(self.subject)),
            status=readable(self.status) or None,
            owner_person=readable(self.person) or None,
        )

    def offer(self, subjects: Sequence[tuple[uuid.UUID, str]], people: Sequence[str]) -> None:
        """Offer the subjects and owners this user may filter by; one asked for that is not
        among them is an error."""
        offer_choices(self.subject, "All subjects", [(str(s), name) for s, name in subjects])
        offer_choices(self.person, "Everyone", [(person, person) for person in people])
        chosen = self.filters()
        if chosen.subject_id is not None and chosen.subject_id not in {s for s, _ in subjects}:
            self.subject.errors = [*self.subject.errors, SUBJECT_NOT_OFFERED]
        if chosen.owner_person is not None and chosen.owner_person not in people:
            self.person.errors = [*self.person.errors, OWNER_NOT_OFFERED]


SUBJECT_NOT_OFFERED = "Choose a subject from the list"
OWNER_NOT_OFFERED = "Choose an owner from the list"
