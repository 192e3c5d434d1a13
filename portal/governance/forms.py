"""Governance forms: the access-log search (a GET form), dispositions, break-glass reasons."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import ValidationError

from portal.audit.events import EventType
from portal.core import lawful_basis
from portal.core.filters import FilterForm
from portal.core.inputs import has_control_characters
from portal.core.period import FIRST, LAST, PeriodChecks, typed_day
from portal.core.uk_time import uk_day_start
from portal.core.widgets import SubmitButton
from portal.governance.search import BadCursor, Cursor, LogFilters

_ANY = SelectChoice("", "Any")


def _uuid_or_none(value: str | None, label: str) -> uuid.UUID | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        raise ValidationError(
            f"Enter {label} as shown in the log (32 letters and digits)"
        ) from None


class SearchForm(PeriodChecks, FilterForm):
    """The filters of the access-log search (a filter form: :mod:`portal.core.filters`;
    sending it changes nothing but the ``LOG_READ`` event the search itself writes)."""

    subject = StringField("Subject", widget=GovTextInput(), description="The subject's id")
    record = StringField("Record", widget=GovTextInput(), description="The record's id")
    user = SelectField("User", choices=[_ANY], validate_choice=False, widget=GovSelect())
    agency = SelectField("Agency", choices=[_ANY], validate_choice=False, widget=GovSelect())
    event_type = SelectField(
        "Event type",
        choices=[_ANY] + [SelectChoice(t.value, t.value) for t in EventType],
        validate_choice=False,
        widget=GovSelect(),
    )
    basis = SelectField(
        "Lawful-basis code",
        choices=[_ANY] + [SelectChoice(b.code, b.code) for b in lawful_basis.ALL],
        validate_choice=False,
        widget=GovSelect(),
    )
    marking = StringField(
        "Marking", widget=GovTextInput(), description="Exactly as shown, for example OFFICIAL"
    )
    grant = StringField("Grant", widget=GovTextInput(), description="The grant's id")
    date_from = StringField(
        "From", widget=GovTextInput(), description="The first day (UK time), for example 2026-11-01"
    )
    date_to = StringField(
        "To", widget=GovTextInput(), description="The last day (UK time), for example 2026-11-30"
    )
    submit = SubmitField("Search", widget=SubmitButton())

    def set_people(
        self, users: Iterable[tuple[str, str]], agencies: Iterable[tuple[str, str]]
    ) -> None:
        self.user.choices = [_ANY] + [SelectChoice(v, t) for v, t in users]
        self.agency.choices = [_ANY] + [SelectChoice(v, t) for v, t in agencies]

    def validate_subject(self, field: Any) -> None:
        _uuid_or_none(field.data, "the subject")

    def validate_record(self, field: Any) -> None:
        _uuid_or_none(field.data, "the record")

    def validate_grant(self, field: Any) -> None:
        _uuid_or_none(field.data, "the grant")

    def validate_user(self, field: Any) -> None:
        _uuid_or_none(field.data, "the user")

    def validate_agency(self, field: Any) -> None:
        _uuid_or_none(field.data, "the agency")

    def validate_event_type(self, field: Any) -> None:
        if field.data and field.data not in EventType.__members__:
            raise ValidationError("Choose an event type from the list")

    def validate_basis(self, field: Any) -> None:
        if field.data and field.data not in {b.code for b in lawful_basis.ALL}:
            raise ValidationError("Choose a lawful-basis code from the list")

    def validate_marking(self, field: Any) -> None:
        text = (field.data or "").strip()
        if len(text) > 200:
            raise ValidationError("Enter a marking of 200 characters or fewer")
        if has_control_characters(text):
            raise ValidationError("Remove the special characters from the marking")

    def filters(self) -> LogFilters:
        """The validated filters (call after :meth:`validate`)."""
        first = typed_day(self.date_from.data, FIRST)
        last = typed_day(self.date_to.data, LAST)
        marking = (self.marking.data or "").strip().upper() or None
        return LogFilters(
            subject_id=_uuid_or_none(self.subject.data, "the subject"),
            record_id=_uuid_or_none(self.record.data, "the record"),
            actor_id=_uuid_or_none(self.user.data, "the user"),
            agency_id=_uuid_or_none(self.agency.data, "the agency"),
            event_type=EventType(self.event_type.data) if self.event_type.data else None,
            basis=self.basis.data or None,
            marking=marking,
            grant_id=_uuid_or_none(self.grant.data, "the grant"),
            date_from=uk_day_start(first) if first else None,
            date_to=uk_day_start(last + timedelta(days=1)) if last else None,
        )


def parse_cursor(token: str | None) -> Cursor | None:
    """The ``after`` parameter; an unusable one starts from the newest event."""
    if not token:
        return None
    try:
        return Cursor.parse(token)
    except BadCursor:
        return None


DISPOSITION_CHOICES = [
    SelectChoice("JUSTIFIED", "Justified"),
    SelectChoice("FOLLOW_UP", "Needs follow-up"),
    SelectChoice("BREACH", "Breach"),
]


class DispositionForm(FlaskForm):  # type: ignore[misc]
    outcome = RadioField(
        "Your decision", choices=DISPOSITION_CHOICES, validate_choice=False, widget=GovRadioInput()
    )
    notes = TextAreaField(
        "Notes",
        widget=GovTextArea(),
        description="What you checked and why you decided this. Do not include case details",
    )
    #: Which decision (if any) the page shows, sent back to catch one recorded since.
    version = HiddenField()
    submit = SubmitField("Record decision", widget=SubmitButton())


class BreakGlassForm(FlaskForm):  # type: ignore[misc]
    reason = TextAreaField(
        "Why you need access now",
        widget=GovTextArea(),
        description="At least 20 characters. Your reason, your name and every page you open are "
        "recorded and reviewed by information governance",
    )
    submit = SubmitField("Open in an emergency", widget=SubmitButton())


class ExportForm(FlaskForm):  # type: ignore[misc]
    """The export buttons post the current search (hidden fields) with a CSRF token."""

    recipient = StringField(
        "Who the export is for",
        widget=GovTextInput(),
        description="For example, Information Commissioner's Office",
    )


class VerifyForm(FlaskForm):  # type: ignore[misc]
    """The "verify now" button (a POST with its CSRF token)."""

    submit = SubmitField("Verify the access log now", widget=SubmitButton())
