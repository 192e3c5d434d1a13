"""Input contracts for recording an application and adding a child to one.

Rules that span fields (a child's date of birth or age, born by and under 18 on the day the
application was received, the subject chosen or named) are checked here, so the page shows every
mistake at once and nothing is written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from portal.csods.clocks import age_on
from portal.csods.input_fields import (
    choice,
    date_field,
    optional_date,
    parse_date,
    readable_date,
    text,
)
from portal.csods.stages import CHANNELS, KNOWS
from portal.subjects.schemas import InputSchema

#: A child is under 18 (the age box stops at 17); judged on the day the application was received.
ADULT_AGE: Final = 18
NOT_A_CHILD: Final = "The child must be under 18 on the date the application was received"
#: The scheme is about a child alive when the application was made (a date box never takes a
#: day after today, so this also keeps a birth date out of the future).
BORN_AFTER_RECEIPT: Final = (
    "The child’s date of birth cannot be after the date the application was received"
)


def is_child(born: date, on: date) -> bool:
    """Under 18 on ``on`` (a 29 February birthday falls on 1 March in a common year)."""
    return age_on(born, on) < ADULT_AGE


def child_refusal(born: date, received: date) -> str | None:
    """Why ``born`` cannot be the date of birth of a child named in an application received
    on ``received``, or None when it can: born by that day, and under 18 on it."""
    if born > received:
        return BORN_AFTER_RECEIPT
    if not is_child(born, received):
        return NOT_A_CHILD
    return None


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
        """Refuse a date of birth after the day received, or 18 years or more before it (when
        this form asks it; adding a child to an application is checked against its date by
        the service)."""
        born = readable_date(data.get("child_date_of_birth"))
        received = readable_date(data.get("received_on"))
        if born is not None and received is not None:
            reason = child_refusal(born, received)
            if reason is not None:
                raise ValidationError(reason, "child_date_of_birth")

    @staticmethod
    def child_from(data: dict[str, Any]) -> ChildCommand:
        return ChildCommand(
            name=data["child_name"],
            date_of_birth=optional_date(data["child_date_of_birth"], "child’s date of birth"),
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
            applicant_date_of_birth=optional_date(
                data["applicant_date_of_birth"], "applicant’s date of birth"
            ),
            applicant_address=data["applicant_address"],
            contact_method=data["contact_method"],
            safe_contact=data["safe_contact"],
            subject_id=data["subject_id"],
            subject_family_name=data["subject_family_name"],
            subject_given_names=data["subject_given_names"],
            subject_date_of_birth=optional_date(
                data["subject_date_of_birth"], "subject’s date of birth"
            ),
            subject_address=data["subject_address"],
            subject_relationship_to_applicant=data["subject_relationship_to_applicant"],
            child=self.child_from(data),
        )
