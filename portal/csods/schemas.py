"""Input contracts for the CSODS stage pages: each loads what the browser sent into a frozen
command.

Unknown fields are errors, blank fields count as missing, text is trimmed and capped, dates
come from the GOV.UK three-box input (see :class:`portal.subjects.schemas.InputSchema` and
:mod:`portal.csods.input_fields`). Rules that span fields (the decision's conditional answers,
the undertaking's date) are checked here too, so a page shows every mistake at once and nothing
is written. Recording an application and its children: :mod:`portal.csods.application_schemas`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from portal.core import lawful_basis
from portal.core.inputs import no_control_characters
from portal.csods.input_fields import (
    LONG,
    SHORT,
    choice,
    date_field,
    optional_date,
    parse_date,
    readable_date,
    text,
)
from portal.csods.stages import Outcome
from portal.subjects.schemas import InputSchema

DISCLOSURE_GATEWAY: Final = "GW-CJA03-S327A"
DEFAULT_DP_CONDITION: Final = "DP3-SCH8-4"
METHODS: Final = {"IN_PERSON": "In person", "PHONE": "By phone", "LETTER": "By letter"}
YES_NO: Final = {"YES": "Yes", "NO": "No"}
MAX_DISCLOSED_BY: Final = 300
#: The recipient signs the undertaking before (or when) they are told (domain §2.3, §8.1).
UNDERTAKING_AFTER: Final = "The undertaking must be signed on or before the day of the disclosure"
#: ... and once the disclosure has been approved (the service knows the approval's date).
UNDERTAKING_BEFORE_APPROVAL: Final = (
    "The undertaking cannot be signed before the decision was approved"
)


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
    #: Who told the recipient, for a disclosure (domain §8.1 "discloser(s)"); they may not be
    #: the person recording it.
    disclosed_by: str | None = None


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
        signed = readable_date(data.get("undertaking_signed_on"))
        delivered = readable_date(data.get("delivered_on"))
        if data.get("undertaking_signed") == "YES" and signed and delivered and signed > delivered:
            raise ValidationError(UNDERTAKING_AFTER, "undertaking_signed_on")

    @post_load
    def to_command(self, data: dict[str, Any], **_: Any) -> DeliveryCommand:
        signed = data["undertaking_signed"] == "YES"
        return DeliveryCommand(
            delivered_on=parse_date(data["delivered_on"], "date"),
            method=data["method"],
            undertaking_signed=signed,
            undertaking_signed_on=optional_date(
                data["undertaking_signed_on"] if signed else None,
                "date the undertaking was signed",
            ),
            note=data["note"],
            disclosed_by=data.get("disclosed_by"),
        )


class DisclosureDeliverySchema(DeliverySchema):
    """A disclosure delivered: also who made it."""

    disclosed_by = text(
        "Enter who made the disclosure", "who made the disclosure", MAX_DISCLOSED_BY
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
class SendBackCommand:
    reason: str


class SendBackSchema(InputSchema):
    multiline = frozenset({"reason"})
    reason = text(
        "Enter why the decision is sent back, and what the forum should look at again",
        "the reason",
        LONG,
    )

    @post_load
    def to_command(self, data: dict[str, Any], **_: Any) -> SendBackCommand:
        return SendBackCommand(data["reason"])


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
