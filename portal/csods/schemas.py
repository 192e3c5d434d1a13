"""Input contracts for CSODS pages: each loads what the browser sent into a frozen command.

Unknown fields are errors, blank fields count as missing, text is trimmed and capped, dates
come from the GOV.UK three-box input (see :class:`portal.subjects.schemas.InputSchema`). Rules
that span fields (a child's date of birth or age, the decision's conditional answers) are
checked here too, so a page shows every mistake at once and nothing is written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from flask import has_app_context
from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from portal.core import lawful_basis
from portal.core.clock import db_now
from portal.core.inputs import date_from_parts, no_control_characters
from portal.csods.clocks import age_on, uk_date
from portal.csods.stages import CHANNELS, KNOWS, Outcome
from portal.subjects.schemas import InputSchema

SHORT = 200
LONG = 5000
EARLIEST_YEAR = 1900
#: A child is under 18 (the age box stops at 17); judged on the day the application was received.
ADULT_AGE: Final = 18
NOT_A_CHILD: Final = "The child must be under 18 on the date the application was received"
DISCLOSURE_GATEWAY: Final = "GW-CJA03-S327A"
DEFAULT_DP_CONDITION: Final = "DP3-SCH8-4"
METHODS: Final = {"IN_PERSON": "In person", "PHONE": "By phone", "LETTER": "By letter"}
YES_NO: Final = {"YES": "Yes", "NO": "No"}
#: The recipient signs the undertaking before (or when) they are told (domain §2.3, §8.1).
UNDERTAKING_AFTER: Final = "The undertaking must be signed on or before the day of the disclosure"


def text(required: str | None, what: str, max_length: int = SHORT) -> fields.String:
    kwargs: dict[str, Any] = {} if required else {"load_default": None}
    return fields.String(
        required=required is not None,
        error_messages={"required": required or "", "invalid": f"Enter {what} as text"},
        validate=[
            validate.Length(
                max=max_length,
                error=f"{what[0].upper()}{what[1:]} must be {max_length} characters or fewer",
            ),
            no_control_characters,
        ],
        **kwargs,
    )


def choice(message: str, options: dict[str, str], *, required: bool = True) -> fields.String:
    kwargs: dict[str, Any] = {} if required else {"load_default": None}
    return fields.String(
        required=required,
        error_messages={"required": message},
        validate=validate.OneOf(list(options), error=f"{message} from the list"),
        **kwargs,
    )


def date_field(what: str, *, required: bool = True) -> fields.List[Any]:
    kwargs: dict[str, Any] = {} if required else {"load_default": None}
    return fields.List(
        fields.String(validate=validate.Length(max=4)),
        required=required,
        error_messages={
            "required": f"Enter the {what}",
            "invalid": f"Enter the {what} as a day, month and year",
        },
        validate=lambda parts: _check_date(parts, what),
        **kwargs,
    )


def _check_date(parts: list[str], what: str) -> None:
    parse_date(parts, what)


def uk_today() -> date:
    """Today's date in the UK, where the officers are, on the database clock (the portal's
    clock for everything that decides validity); the machine's clock outside the portal."""
    return uk_date(db_now() if has_app_context() else datetime.now(UTC))


def parse_date(parts: list[str], what: str) -> date:
    """The date the three boxes spell; it may not be after today's UK date.

    :raises ValidationError: with a message for the field.
    """
    value = date_from_parts(parts, what=f"the {what}", label=f"The {what}")
    if value.year < EARLIEST_YEAR:
        raise ValidationError(f"The {what} must be after {EARLIEST_YEAR}")
    if value > uk_today():
        raise ValidationError(f"The {what} must be today or in the past")
    return value


def _optional_date(parts: list[str] | None, what: str) -> date | None:
    return None if parts is None else parse_date(parts, what)


def _readable_date(parts: Any) -> date | None:
    """The date the boxes spell, or None when they do not (their own field says why)."""
    try:
        return None if parts is None else date_from_parts(parts, what="the date", label="Date")
    except ValidationError:
        return None


def is_child(born: date, on: date) -> bool:
    """Under 18 on ``on`` (a 29 February birthday falls on 1 March in a common year)."""
    return age_on(born, on) < ADULT_AGE


# --- Applications and children -------------------------------------------------------------


@dataclass(frozen=True)
class ChildCommand:
    name: str
    date_of_birth: date | None
    age: int | None
    lives_with: str
    applicant_relationship: str
    subject_relationship: str
    mother_knows: str
    father_knows: str


@dataclass(frozen=True)
class ApplicationCommand:
    urn: str
    channel: str
    received_on: date
    applicant_family_name: str
    applicant_given_names: str
    applicant_other_names: str | None
    applicant_date_of_birth: date | None
    applicant_address: str
    contact_method: str
    safe_contact: str
    subject_id: uuid.UUID | None
    subject_family_name: str | None
    subject_given_names: str | None
    subject_date_of_birth: date | None
    subject_address: str | None
    subject_relationship_to_applicant: str
    child: ChildCommand


class ChildFields(InputSchema):
    child_name = text("Enter the child’s name", "the child’s name")
    child_date_of_birth = date_field("child’s date of birth", required=False)
    child_age = fields.Integer(
        load_default=None,
        error_messages={"invalid": "Enter the child’s age as a whole number of years"},
        validate=validate.Range(min=0, max=17, error="The child’s age must be between 0 and 17"),
    )
    lives_with = text("Enter who the child lives with", "who the child lives with")
    applicant_relationship = text(
        "Enter the applicant’s relationship to the child", "the applicant’s relationship"
    )
    subject_relationship = text(
        "Enter the subject’s relationship to the child", "the subject’s relationship"
    )
    mother_knows = choice("Select whether the mother knows about the application", KNOWS)
    father_knows = choice("Select whether the father knows about the application", KNOWS)

    @validates_schema(skip_on_field_errors=False)
    def dob_or_age(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("child_date_of_birth") is None and data.get("child_age") is None:
            raise ValidationError(
                "Enter the child’s date of birth or their age", "child_date_of_birth"
            )

    @validates_schema(skip_on_field_errors=False)
    def under_18(self, data: dict[str, Any], **_: Any) -> None:
        """Refuse a date of birth 18 years or more before the day received (when this form
        asks it; adding a child to an application is checked against its date by the
        service)."""
        born = _readable_date(data.get("child_date_of_birth"))
        received = _readable_date(data.get("received_on"))
        if born is not None and received is not None and not is_child(born, received):
            raise ValidationError(NOT_A_CHILD, "child_date_of_birth")

    @staticmethod
    def child_from(data: dict[str, Any]) -> ChildCommand:
        return ChildCommand(
            name=data["child_name"],
            date_of_birth=_optional_date(data["child_date_of_birth"], "child’s date of birth"),
            age=data["child_age"],
            lives_with=data["lives_with"],
            applicant_relationship=data["applicant_relationship"],
            subject_relationship=data["subject_relationship"],
            mother_knows=data["mother_knows"],
            father_knows=data["father_knows"],
        )


class AddChildSchema(ChildFields):
    @post_load
    def to_command(self, data: dict[str, Any], **_: Any) -> ChildCommand:
        return self.child_from(data)


class RecordApplicationSchema(ChildFields):
    upper_case = frozenset({"urn"})
    multiline = frozenset({"applicant_address", "safe_contact", "subject_address"})

    urn = fields.String(
        required=True,
        error_messages={"required": "Enter the force reference (URN)"},
        validate=[
            validate.Length(max=60, error="The URN must be 60 characters or fewer"),
            validate.Regexp(
                r"^[A-Z0-9][A-Z0-9/ -]*$",
                error="The URN may only include letters, numbers, spaces, / and -",
            ),
        ],
    )
    channel = choice("Select how the application was made", CHANNELS)
    received_on = date_field("date the application was received")
    applicant_family_name = text("Enter the applicant’s family name", "the family name", 100)
    applicant_given_names = text("Enter the applicant’s given names", "the given names")
    applicant_other_names = text(None, "other names")
    applicant_date_of_birth = date_field("applicant’s date of birth", required=False)
    applicant_address = text("Enter the applicant’s address", "the address", 500)
    contact_method = text("Enter how to contact the applicant", "the contact method")
    safe_contact = text(
        "Enter the safe-contact instructions, or ‘None’", "the safe-contact instructions", 1000
    )
    subject_id = fields.UUID(
        load_default=None,
        error_messages={
            "invalid_uuid": "Select the subject from the list",
            "invalid": "Select the subject from the list",
        },
    )
    subject_family_name = text(None, "the subject’s family name", 100)
    subject_given_names = text(None, "the subject’s given names")
    subject_date_of_birth = date_field("subject’s date of birth", required=False)
    subject_address = text(None, "the subject’s address", 500)
    subject_relationship_to_applicant = text(
        "Enter the subject’s relationship to the applicant", "the relationship"
    )

    @validates_schema(skip_on_field_errors=False)
    def subject_named(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("subject_id") is None and not (
            data.get("subject_family_name") and data.get("subject_given_names")
        ):
            raise ValidationError(
                "Select an existing subject, or enter the new person’s family and given names",
                "subject_id",
            )

    @post_load
    def to_command(self, data: dict[str, Any], **_: Any) -> ApplicationCommand:
        return ApplicationCommand(
            urn=data["urn"],
            channel=data["channel"],
            received_on=parse_date(data["received_on"], "date the application was received"),
            applicant_family_name=data["applicant_family_name"],
            applicant_given_names=data["applicant_given_names"],
            applicant_other_names=data["applicant_other_names"],
            applicant_date_of_birth=_optional_date(
                data["applicant_date_of_birth"], "applicant’s date of birth"
            ),
            applicant_address=data["applicant_address"],
            contact_method=data["contact_method"],
            safe_contact=data["safe_contact"],
            subject_id=data["subject_id"],
            subject_family_name=data["subject_family_name"],
            subject_given_names=data["subject_given_names"],
            subject_date_of_birth=_optional_date(
                data["subject_date_of_birth"], "subject’s date of birth"
            ),
            subject_address=data["subject_address"],
            subject_relationship_to_applicant=data["subject_relationship_to_applicant"],
            child=self.child_from(data),
        )


# --- Stages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScopeCommand:
    in_scope: bool
    checks_made: str
    explanation: str | None


class ScopeSchema(InputSchema):
    multiline = frozenset({"checks_made", "explanation"})
    checks_made = text("Enter the checks made and their results", "the checks", LONG)
    in_scope = choice("Select whether the application is in scope", YES_NO)
    explanation = text(None, "the explanation", LONG)

    @validates_schema(skip_on_field_errors=False)
    def explained(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("in_scope") == "NO" and not data.get("explanation"):
            raise ValidationError(
                "Enter the explanation given to the applicant, and what else they may do",
                "explanation",
            )

    @post_load
    def to_command(self, data: dict[str, Any], **_: Any) -> ScopeCommand:
        return ScopeCommand(data["in_scope"] == "YES", data["checks_made"], data["explanation"])


@dataclass(frozen=True)
class InterviewCommand:
    verified: bool
    evidence_identity: str | None
    evidence_address: str | None
    evidence_relationship: str | None
    notes: str


class InterviewSchema(InputSchema):
    multiline = frozenset({"notes"})
    verified = choice(
        "Select whether the applicant’s identity, address and relationship were verified", YES_NO
    )
    evidence_identity = text(None, "the identity evidence")
    evidence_address = text(None, "the address evidence")
    evidence_relationship = text(None, "the relationship evidence")
    notes = text("Enter the interview notes", "the interview notes", LONG)

    @validates_schema(skip_on_field_errors=False)
    def evidence_given(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("verified") != "YES":
            return
        problems = {
            name: f"Enter the type of {what} evidence seen"
            for name, what in (
                ("evidence_identity", "identity"),
                ("evidence_address", "address"),
                ("evidence_relationship", "relationship"),
            )
            if not data.get(name)
        }
        if problems:
            raise ValidationError(problems)

    @post_load
    def to_command(self, data: dict[str, Any], **_: Any) -> InterviewCommand:
        return InterviewCommand(
            verified=data["verified"] == "YES",
            evidence_identity=data["evidence_identity"],
            evidence_address=data["evidence_address"],
            evidence_relationship=data["evidence_relationship"],
            notes=data["notes"],
        )


@dataclass(frozen=True)
class RiskAssessmentCommand:
    agency_checks: tuple[tuple[str, str], ...]
    summary: str


def _agency_lines(value: str) -> None:
    agency_checks(value)


def agency_checks(value: str) -> tuple[tuple[str, str], ...]:
    """``Agency: answer`` lines as pairs.

    :raises ValidationError: for a line without an agency or an answer, or more than 30.
    """
    pairs = []
    for number, line in enumerate((ln for ln in value.splitlines() if ln.strip()), start=1):
        agency, colon, answer = line.partition(":")
        if not colon or not agency.strip() or not answer.strip():
            raise ValidationError(
                f"Line {number} must name the agency, then a colon, then its answer"
            )
        if len(agency.strip()) > SHORT or len(answer.strip()) > 1000:
            raise ValidationError(f"Line {number} is too long")
        pairs.append((agency.strip(), answer.strip()))
    if len(pairs) > 30:
        raise ValidationError("Enter 30 agencies or fewer")
    return tuple(pairs)


class RiskAssessmentSchema(InputSchema):
    multiline = frozenset({"agencies", "summary"})
    agencies = fields.String(
        required=True,
        error_messages={"required": "Enter the agencies consulted and their answers"},
        validate=[validate.Length(max=LONG), no_control_characters, _agency_lines],
    )
    summary = text("Enter the risk assessment", "the risk assessment", LONG)

    @post_load
    def to_command(self, data: dict[str, Any], **_: Any) -> RiskAssessmentCommand:
        return RiskAssessmentCommand(agency_checks(data["agencies"]), data["summary"])


@dataclass(frozen=True)
class DecisionCommand:
    outcome: Outcome
    forum: str
    attendees: str
    rationale: str
    pressing_need: str
    recipient_name: str | None
    recipient_relationship: str | None
    recipient_why: str | None
    wording: str | None
    legal_gateway: str | None
    dp_condition: str | None
    safety_plan: str | None
    referrals: str | None
    non_disclosure_reasons: str | None


def _part3_condition(code: str) -> None:
    try:
        part3 = lawful_basis.is_part3(code)
    except lawful_basis.UnknownLawfulBasis as error:
        raise ValidationError("Select the data-protection condition from the list") from error
    if not part3:
        raise ValidationError("A police disclosure needs a DPA 2018 Part 3 condition")


def part3_conditions() -> list[tuple[str, str]]:
    return [
        (code, label)
        for code, label in lawful_basis.choices(lawful_basis.BasisKind.DP_CONDITION)
        if lawful_basis.is_part3(code)
    ]


class DecisionSchema(InputSchema):
    multiline = frozenset(
        {
            "attendees",
            "rationale",
            "pressing_need",
            "recipient_why",
            "wording",
            "safety_plan",
            "referrals",
            "non_disclosure_reasons",
        }
    )
    outcome = choice("Select the decision", {o.value: o.label for o in Outcome})
    forum = text("Enter the decision forum", "the forum")
    attendees = text("Enter who attended the forum", "the attendees", 1000)
    rationale = text(
        "Enter why the decision is lawful, necessary and proportionate", "the rationale", LONG
    )
    pressing_need = text("Enter the pressing need", "the pressing need", LONG)
    recipient_name = text(None, "the recipient’s name")
    recipient_relationship = text(None, "the recipient’s relationship to the child", 100)
    recipient_why = text(None, "why they are best placed", LONG)
    wording = text(None, "the wording", LONG)
    dp_condition = fields.String(load_default=None, validate=_part3_condition)
    safety_plan = text(None, "the safety plan", LONG)
    referrals = text(None, "the referrals", LONG)
    non_disclosure_reasons = text(None, "the reasons", LONG)

    @validates_schema(skip_on_field_errors=False)
    def complete(self, data: dict[str, Any], **_: Any) -> None:
        problems: dict[str, str] = {}
        if data.get("outcome") == Outcome.DISCLOSE.value:
            for name, message in (
                ("recipient_name", "Enter the name of the person best placed to protect the child"),
                ("recipient_relationship", "Enter the recipient’s relationship to the child"),
                ("recipient_why", "Enter why they are best placed to protect the child"),
                ("wording", "Enter the exact wording to be disclosed"),
                ("dp_condition", "Select the Part 3 data-protection condition"),
                ("safety_plan", "Enter the safety plan"),
            ):
                if not data.get(name):
                    problems[name] = message
        if data.get("outcome") == Outcome.NO_DISCLOSURE.value and not data.get(
            "non_disclosure_reasons"
        ):
            problems["non_disclosure_reasons"] = "Enter the reasons for not disclosing"
        if data.get("outcome") == Outcome.OTHER_ACTION.value and not data.get("referrals"):
            problems["referrals"] = "Enter the safeguarding action and referrals"
        if problems:
            raise ValidationError(problems)

    @post_load
    def to_command(self, data: dict[str, Any], **_: Any) -> DecisionCommand:
        disclose = data["outcome"] == Outcome.DISCLOSE.value
        return DecisionCommand(
            outcome=Outcome(data["outcome"]),
            forum=data["forum"],
            attendees=data["attendees"],
            rationale=data["rationale"],
            pressing_need=data["pressing_need"],
            recipient_name=data["recipient_name"] if disclose else None,
            recipient_relationship=data["recipient_relationship"] if disclose else None,
            recipient_why=data["recipient_why"] if disclose else None,
            wording=data["wording"] if disclose else None,
            legal_gateway=DISCLOSURE_GATEWAY if disclose else None,
            dp_condition=data["dp_condition"] if disclose else None,
            safety_plan=data["safety_plan"],
            referrals=data["referrals"],
            non_disclosure_reasons=data["non_disclosure_reasons"],
        )


@dataclass(frozen=True)
class DeliveryCommand:
    delivered_on: date
    method: str
    undertaking_signed: bool
    undertaking_signed_on: date | None
    note: str | None


class DeliverySchema(InputSchema):
    multiline = frozenset({"note"})
    delivered_on = date_field("date")
    method = choice("Select how it was done", METHODS)
    undertaking_signed = choice(
        "Select whether the recipient signed the undertaking", YES_NO, required=False
    )
    undertaking_signed_on = date_field("date the undertaking was signed", required=False)
    note = text(None, "the note", LONG)

    @validates_schema(skip_on_field_errors=False)
    def dated(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("undertaking_signed") == "YES" and not data.get("undertaking_signed_on"):
            raise ValidationError(
                "Enter the date the undertaking was signed", "undertaking_signed_on"
            )
        signed = _readable_date(data.get("undertaking_signed_on"))
        delivered = _readable_date(data.get("delivered_on"))
        if data.get("undertaking_signed") == "YES" and signed and delivered and signed > delivered:
            raise ValidationError(UNDERTAKING_AFTER, "undertaking_signed_on")

    @post_load
    def to_command(self, data: dict[str, Any], **_: Any) -> DeliveryCommand:
        signed = data["undertaking_signed"] == "YES"
        return DeliveryCommand(
            delivered_on=parse_date(data["delivered_on"], "date"),
            method=data["method"],
            undertaking_signed=signed,
            undertaking_signed_on=_optional_date(
                data["undertaking_signed_on"] if signed else None,
                "date the undertaking was signed",
            ),
            note=data["note"],
        )


@dataclass(frozen=True)
class NoteCommand:
    note: str | None


class NoteSchema(InputSchema):
    multiline = frozenset({"note"})
    note = text(None, "the note", LONG)

    @post_load
    def to_command(self, data: dict[str, Any], **_: Any) -> NoteCommand:
        return NoteCommand(data["note"])


@dataclass(frozen=True)
class PauseCommand:
    reason: str


class PauseSchema(InputSchema):
    multiline = frozenset({"reason"})
    reason = text("Enter the exceptional circumstances", "the reason", 1000)

    @post_load
    def to_command(self, data: dict[str, Any], **_: Any) -> PauseCommand:
        return PauseCommand(data["reason"])


@dataclass(frozen=True)
class ReferralCommand:
    referred_to: str
    risk: str


class ReferralSchema(InputSchema):
    multiline = frozenset({"risk"})
    referred_to = text("Enter who the referral was made to", "who it was made to")
    risk = text("Enter the immediate risk", "the risk", 1000)

    @post_load
    def to_command(self, data: dict[str, Any], **_: Any) -> ReferralCommand:
        return ReferralCommand(data["referred_to"], data["risk"])


class EmptySchema(InputSchema):
    """A button with nothing else (begin checks, begin the risk assessment, approve)."""

    @post_load
    def to_command(self, data: dict[str, Any], **_: Any) -> NoteCommand:
        return NoteCommand(None)
