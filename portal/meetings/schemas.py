"""Input contracts for meetings, actions, progress and distribution.

Every schema rejects unknown fields and caps lengths; rich text (the minutes' narrative, risk
issues, dissent, progress updates) goes through :func:`portal.records.schemas.rich_text_to_html`
and so through the one bleach sanitiser before a command carries it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from portal.core.inputs import (
    SPECIAL_CHARACTERS,
    date_from_parts,
    has_control_characters,
    text_field,
)
from portal.core.sanitise import MAX_RICH_TEXT_LENGTH, RichTextRejected
from portal.records.schemas import rich_text_to_html
from portal.subjects.schemas import InputSchema

DECISION_ROWS: Final = 3
ATTENDEE_ROWS: Final = 6
NAME_MAX = 200
AREA_MAX = 100
NOTE_MAX = 20_000
DESCRIPTION_MAX = 2_000

KINDS: Final = {"INITIAL": "Initial meeting", "REVIEW": "Review meeting"}
LEVELS: Final = {"2": "Level 2", "3": "Level 3"}
ROSH: Final = {"LOW": "Low", "MEDIUM": "Medium", "HIGH": "High", "VERY_HIGH": "Very high"}
ROSH_GROUPS: Final = {
    "rosh_children": "Risk of serious harm to children",
    "rosh_public": "Risk of serious harm to the public",
    "rosh_known_adult": "Risk of serious harm to a known adult",
    "rosh_staff": "Risk of serious harm to staff",
}
ATTENDANCE: Final = {"PRESENT": "Present", "APOLOGIES": "Apologies"}
LEVEL_DECISIONS: Final = {"1": "Level 1", "2": "Level 2", "3": "Level 3"}
PILLARS: Final = {
    "SUPERVISION": "Supervision",
    "MONITORING_CONTROL": "Monitoring and control",
    "INTERVENTIONS": "Interventions and treatment",
    "VICTIM_SAFETY": "Victim safety",
}
PROGRESS_STATUSES: Final = {
    "IN_PROGRESS": "In progress",
    "COMPLETED": "Completed",
    "NOT_ACHIEVED": "Not achieved",
}
ACTION_STATUSES: Final = {
    "OPEN": "Open",
    "IN_PROGRESS": "In progress",
    "COMPLETED": "Completed",
    "NOT_ACHIEVED": "Not achieved",
    "SUPERSEDED": "Superseded",
    "CANCELLED": "Cancelled",
}
CHAIR_STATUSES: Final = {"SUPERSEDED": "Superseded", "CANCELLED": "Cancelled by the chair"}
RICH_TEXT_FIELDS: Final = ("victim_issues", "diversity_issues", "dissent", "discussion")


def parse_date(parts: Any, what: str) -> date:
    """The date the three parts of a GOV.UK date input spell; meetings and actions fall in
    2000-2100.

    :raises ValidationError: with a message for the field.
    """
    value = date_from_parts(parts, what=what, label=what.capitalize())
    if not 2000 <= value.year <= 2100:
        raise ValidationError(f"{what.capitalize()} must be a real date")
    return value


def _date_field(what: str, *, required: bool) -> fields.List[Any]:
    kwargs: dict[str, Any] = {} if required else {"load_default": None}
    return fields.List(
        fields.String(validate=validate.Length(max=4)),
        required=required,
        error_messages={"required": f"Enter {what}", "invalid": f"Enter {what} as a date"},
        **kwargs,
    )


def _text(what: str, max_length: int, *, required: bool = False) -> fields.String:
    return text_field(what, max_length, required=f"Enter {what}" if required else None)


def _from_list(what: str) -> str:
    return " ".join(("Select", what, "from the list"))


def _choice(what: str, options: Any, *, required: bool = True) -> fields.String:
    kwargs: dict[str, Any] = {} if required else {"load_default": None}
    return fields.String(
        required=required,
        error_messages={"required": f"Select {what}", "invalid": f"Select {what}"},
        validate=validate.OneOf(list(options), error=_from_list(what)),
        **kwargs,
    )


def _uuid(what: str, *, required: bool = True) -> fields.UUID:
    kwargs: dict[str, Any] = {} if required else {"load_default": None}
    return fields.UUID(
        required=required,
        error_messages={"required": f"Select {what}", "invalid": _from_list(what)},
        **kwargs,
    )


def _rich(text: str | None, field: str) -> str:
    if not text:
        return ""
    try:
        return rich_text_to_html(text)
    except RichTextRejected as rejected:
        raise ValidationError(str(rejected), field_name=field) from rejected


def _boolean(what: str) -> fields.Boolean:
    return fields.Boolean(load_default=False, error_messages={"invalid": f"Select {what}"})


@dataclass(frozen=True)
class ActionFilter:
    """The filters of "Our actions" (each None for all)."""

    subject_id: uuid.UUID | None = None
    status: str | None = None
    owner_person: str | None = None


@dataclass(frozen=True)
class AttendeeEntry:
    agency_id: uuid.UUID
    name: str
    role: str
    attendance: str
    #: The form row it was entered in (blank rows are dropped, so not its position).
    row: int = 1


@dataclass(frozen=True)
class MeetingCommand:
    """A meeting record as entered; ``*_html`` values are clean rich text."""

    kind: str
    level: int
    held_on: date
    location: str
    is_virtual: bool
    mappa_area: str
    chair_name: str | None
    chair_agency_id: uuid.UUID | None
    chair_role: str | None
    confidentiality_read: bool
    category_level_confirmed: bool
    rosh: dict[str, str | None]
    victim_issues_html: str
    diversity_issues_html: str
    dissent_html: str
    discussion_html: str
    decisions: tuple[tuple[str, str], ...]
    attendees: tuple[AttendeeEntry, ...]
    level_decision: int | None
    lead_agency_id: uuid.UUID | None
    next_review_on: date | None
    grace_days: int
    #: The saved state of the record the edit page showed (``service.record_version``); None
    #: when recording a meeting, or from a post without one, which is judged as before.
    version: str | None = None


class MeetingSchema(InputSchema):
    multiline = frozenset(
        {*RICH_TEXT_FIELDS, *(f"{p}_{i}" for p in ("decision", "rationale") for i in range(1, 4))}
    )

    version = fields.String(load_default=None, validate=validate.Length(max=64))
    kind = _choice("initial or review meeting", KINDS)
    level = _choice("the level of the meeting", LEVELS)
    held_on = _date_field("the date of the meeting", required=True)
    location = _text("where the meeting was held", NAME_MAX, required=True)
    is_virtual = _boolean("whether the meeting was virtual")
    mappa_area = _text("the MAPPA area", AREA_MAX, required=True)
    chair_name = _text("the chair’s name", NAME_MAX)
    chair_agency_id = _uuid("the chair’s agency", required=False)
    chair_role = _text("the chair’s role or rank", NAME_MAX)
    confidentiality_read = _boolean("whether the statement was read")
    category_level_confirmed = _boolean("whether category and level were confirmed")
    rosh_children = _choice("the risk to children", ROSH, required=False)
    rosh_public = _choice("the risk to the public", ROSH, required=False)
    rosh_known_adult = _choice("the risk to a known adult", ROSH, required=False)
    rosh_staff = _choice("the risk to staff", ROSH, required=False)
    victim_issues = _text("victim issues", MAX_RICH_TEXT_LENGTH)
    diversity_issues = _text("diversity issues", MAX_RICH_TEXT_LENGTH)
    dissent = _text("dissent", MAX_RICH_TEXT_LENGTH)
    discussion = _text("the minutes", MAX_RICH_TEXT_LENGTH)
    level_decision = _choice("the level decided", LEVEL_DECISIONS, required=False)
    lead_agency_id = _uuid("the lead agency", required=False)
    next_review_on = _date_field("the next review date", required=False)
    grace_days = fields.Integer(
        load_default=14,
        validate=validate.Range(min=0, max=90, error="Grace period must be 0 to 90 days"),
        error_messages={"invalid": "Enter the grace period as a number of days"},
    )

    @validates_schema
    def _pairs(self, data: dict[str, Any], **_: Any) -> None:
        for i in range(1, DECISION_ROWS + 1):
            decision, rationale = data.get(f"decision_{i}"), data.get(f"rationale_{i}")
            if decision and not rationale:
                raise ValidationError(
                    f"Enter the rationale for decision {i}", field_name=f"rationale_{i}"
                )
            if rationale and not decision:
                raise ValidationError(f"Enter decision {i}", field_name=f"decision_{i}")
        for i in range(1, ATTENDEE_ROWS + 1):
            given = [data.get(f"attendee_{i}_{part}") for part in ("agency", "name", "role")]
            if any(given) and not all(given):
                part = ("agency", "name", "role")[given.index(None)]
                raise ValidationError(
                    f"Enter the {part} of attendee {i}", field_name=f"attendee_{i}_{part}"
                )

    @post_load
    def _command(self, data: dict[str, Any], **_: Any) -> MeetingCommand:
        held_on = _date_or_error(data["held_on"], "the date of the meeting", "held_on")
        review = data.get("next_review_on")
        next_review = (
            None if review is None else _date_or_error(review, "next review date", "next_review_on")
        )
        if next_review is not None and next_review <= held_on:
            raise ValidationError(
                "The next review date must be after the meeting", field_name="next_review_on"
            )
        decisions = tuple(
            (data[f"decision_{i}"], data[f"rationale_{i}"])
            for i in range(1, DECISION_ROWS + 1)
            if data.get(f"decision_{i}")
        )
        attendees = tuple(
            AttendeeEntry(
                agency_id=data[f"attendee_{i}_agency"],
                name=data[f"attendee_{i}_name"],
                role=data[f"attendee_{i}_role"],
                attendance=data.get(f"attendee_{i}_attendance") or "PRESENT",
                row=i,
            )
            for i in range(1, ATTENDEE_ROWS + 1)
            if data.get(f"attendee_{i}_agency")
        )
        return MeetingCommand(
            kind=data["kind"],
            level=int(data["level"]),
            held_on=held_on,
            location=data["location"],
            is_virtual=data["is_virtual"],
            mappa_area=data["mappa_area"],
            chair_name=data.get("chair_name"),
            chair_agency_id=data.get("chair_agency_id"),
            chair_role=data.get("chair_role"),
            confidentiality_read=data["confidentiality_read"],
            category_level_confirmed=data["category_level_confirmed"],
            rosh={name: data.get(name) for name in ROSH_GROUPS},
            victim_issues_html=_rich(data.get("victim_issues"), "victim_issues"),
            diversity_issues_html=_rich(data.get("diversity_issues"), "diversity_issues"),
            dissent_html=_rich(data.get("dissent"), "dissent"),
            discussion_html=_rich(data.get("discussion"), "discussion"),
            decisions=decisions,
            attendees=attendees,
            level_decision=int(data["level_decision"]) if data.get("level_decision") else None,
            lead_agency_id=data.get("lead_agency_id"),
            next_review_on=next_review,
            grace_days=data["grace_days"],
            version=data.get("version") or None,
        )


def _date_or_error(parts: Any, what: str, field: str) -> date:
    try:
        return parse_date(parts, what)
    except ValidationError as error:
        raise ValidationError(error.messages, field_name=field) from error


for _i in range(1, DECISION_ROWS + 1):
    MeetingSchema._declared_fields[f"decision_{_i}"] = _text(f"decision {_i}", DESCRIPTION_MAX)
    MeetingSchema._declared_fields[f"rationale_{_i}"] = _text(
        f"the rationale for decision {_i}", DESCRIPTION_MAX
    )
for _i in range(1, ATTENDEE_ROWS + 1):
    MeetingSchema._declared_fields[f"attendee_{_i}_agency"] = _uuid(
        f"the agency of attendee {_i}", required=False
    )
    MeetingSchema._declared_fields[f"attendee_{_i}_name"] = _text(
        f"the name of attendee {_i}", NAME_MAX
    )
    MeetingSchema._declared_fields[f"attendee_{_i}_role"] = _text(
        f"the role of attendee {_i}", NAME_MAX
    )
    MeetingSchema._declared_fields[f"attendee_{_i}_attendance"] = _choice(
        f"whether attendee {_i} was present", ATTENDANCE, required=False
    )


@dataclass(frozen=True)
class ActionCommand:
    description: str
    pillar: str
    owner_agency_id: uuid.UUID
    owner_person: str
    due_on: date


class ActionSchema(InputSchema):
    multiline = frozenset({"description"})

    description = _text("what the action is", DESCRIPTION_MAX, required=True)
    pillar = _choice("the risk management plan pillar", PILLARS)
    owner_agency_id = _uuid("the agency that owns the action")
    owner_person = _text("the person who owns the action", NAME_MAX, required=True)
    due_on = _date_field("the date the action is due", required=True)

    @post_load
    def _command(self, data: dict[str, Any], **_: Any) -> ActionCommand:
        return ActionCommand(
            description=data["description"],
            pillar=data["pillar"],
            owner_agency_id=data["owner_agency_id"],
            owner_person=data["owner_person"],
            due_on=_date_or_error(data["due_on"], "the due date", "due_on"),
        )


@dataclass(frozen=True)
class ProgressCommand:
    status: str
    note_html: str
    #: The state of the action the page showed (see ``actions.progress_version``); None from
    #: a post without one, which is judged as before.
    version: str | None = None


class ProgressSchema(InputSchema):
    multiline = frozenset({"note"})

    status = _choice("the action’s status", {**PROGRESS_STATUSES, **CHAIR_STATUSES})
    note = _text("an update", NOTE_MAX)
    version = fields.String(load_default=None, validate=validate.Length(max=64))

    @post_load
    def _command(self, data: dict[str, Any], **_: Any) -> ProgressCommand:
        return ProgressCommand(
            status=data["status"],
            note_html=_rich(data.get("note"), "note"),
            version=data.get("version") or None,
        )


@dataclass(frozen=True)
class AmendCommand:
    reason: str


class AmendSchema(InputSchema):
    multiline = frozenset({"reason"})

    reason = _text("why the minutes are amended", DESCRIPTION_MAX, required=True)

    @post_load
    def _command(self, data: dict[str, Any], **_: Any) -> AmendCommand:
        return AmendCommand(reason=data["reason"])


#: The answer for an agency on the distribution list that the chair leaves off this time.
NOT_SENT: Final = "NOT_SENT"
NOT_SENT_LABEL: Final = "Do not send to this agency"
#: The name of an agency's question on the distribution page: ``dp_`` and the agency id's hex.
_ANSWER: Final = re.compile(r"dp_[0-9a-f]{32}")


@dataclass(frozen=True)
class DistributeCommand:
    #: The data-protection condition chosen for each agency the minutes are sent to.
    conditions: dict[uuid.UUID, str]
    #: Agencies on the list the chair chose not to send these minutes to.
    left_off: frozenset[uuid.UUID]
    #: Why they are not sent the minutes (required when any agency is left off).
    withheld_reason: str | None
    extra_agency_id: uuid.UUID | None
    extra_condition: str | None
    chair_consent: str | None


def load_distribution(form: Mapping[str, Any]) -> DistributeCommand:
    """The distribution as sent: an answer for each agency on the list the page showed (field
    ``dp_<agency id>``: a condition to send under, or :data:`NOT_SENT`, an explicit answer; a
    blank one is an error, so nobody is left off by accident), and optionally one more agency
    outside it with the chair's recorded consent. Leaving any agency off needs the reason,
    which is recorded with the distribution. The service holds the answers against the list as
    it is when the minutes go out, so the page need not be read again to parse them.

    :raises ValidationError: with messages keyed by field name.
    """
    errors: dict[str, str] = {}
    conditions, left_off = _answers(form, errors)
    extra_text = str(form.get("extra_agency_id") or "").strip()
    extra: uuid.UUID | None = None
    if extra_text:
        try:
            extra = uuid.UUID(extra_text)
        except ValueError:
            errors["extra_agency_id"] = "Select the agency from the list"
    extra_condition = str(form.get("extra_condition") or "").strip()[:48] or None
    consent = " ".join(str(form.get("chair_consent") or "").split()) or None
    if consent is not None and len(consent) > DESCRIPTION_MAX:
        errors["chair_consent"] = f"Consent must be {DESCRIPTION_MAX} characters or fewer"
    elif consent is not None and has_control_characters(consent):
        errors["chair_consent"] = SPECIAL_CHARACTERS
    reason = str(form.get("withheld_reason") or "").strip() or None
    if reason is not None and len(reason) > DESCRIPTION_MAX:
        errors["withheld_reason"] = f"The reason must be {DESCRIPTION_MAX} characters or fewer"
    elif reason is not None and has_control_characters(reason):
        errors["withheld_reason"] = SPECIAL_CHARACTERS
    elif left_off and reason is None:
        errors["withheld_reason"] = "Enter why the minutes are not sent to the agencies left off"
    if extra_text and not errors.get("extra_agency_id"):
        if extra_condition is None:
            errors["extra_condition"] = "Select a data-protection condition for this agency"
        if consent is None:
            errors["chair_consent"] = (
                "Record the chair’s consent to share outside the distribution list"
            )
    if errors:
        raise ValidationError(errors)
    return DistributeCommand(
        conditions, left_off, reason if left_off else None, extra, extra_condition, consent
    )


def _answers(
    form: Mapping[str, Any], errors: dict[str, str]
) -> tuple[dict[uuid.UUID, str], frozenset[uuid.UUID]]:
    """Each agency's answer: the conditions to send under, and the agencies left off."""
    conditions: dict[uuid.UUID, str] = {}
    left_off: set[uuid.UUID] = set()
    for key, value in form.items():
        if not _ANSWER.fullmatch(key):
            continue  # not an agency's question (the CSRF token, the button, the extra agency)
        agency_id = uuid.UUID(hex=key[3:])
        code = str(value or "").strip()
        if not code:
            errors[key] = "Select a data-protection condition for this agency, or do not send to it"
        elif code == NOT_SENT:
            left_off.add(agency_id)
        elif len(code) > 48:
            errors[key] = "Select a data-protection condition from the list"
        else:
            conditions[agency_id] = code
    return conditions, frozenset(left_off)
