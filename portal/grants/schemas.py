"""Input contracts for grants: exactly what a grant manager or a requester may submit.

Each schema rejects fields it does not know, caps every length, checks every lawful-basis code
against the list in :mod:`portal.core.lawful_basis` and loads into a frozen command. Whether the
dates lie in the past is judged by the service against the database clock; the schemas check
only that a grant ends on or after the day it starts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from portal.core import lawful_basis
from portal.core.inputs import date_from_parts, text_field

JUSTIFICATION_MAX: Final = 2000
REASON_MAX: Final = 1000
ISA_MAX: Final = 100
EMAIL_MAX: Final = 254
MESSAGE_MAX: Final = 500
MEMBERS_MAX: Final = 50
IDENTIFIER_MAX: Final = 30
MEMBERS_TEXT_MAX: Final = MEMBERS_MAX * (EMAIL_MAX + 2)

PROFILES: Final = ("SUMMARY", "SUMMARY_AND_ACTIONS", "FULL")
SCOPES: Final = ("SUBJECT", "RECORD")
IDENTIFIER_KINDS: Final = ("pnc_id", "ndelius_crn", "visor_ref")
LAO_KINDS: Final = ("EXCLUSION", "RESTRICTION")


# --- Commands -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantTerms:
    """What every grant records: its lawful basis, why, under which agreement, until when."""

    legal_gateway: str
    dp_condition: str
    justification: str
    isa_reference: str
    expires_on: date
    starts_on: date | None = None


@dataclass(frozen=True)
class GrantCommand:
    grantee_agency_id: uuid.UUID
    grantee_user_email: str | None
    scope: str
    view_profile: str | None
    record_id: uuid.UUID | None
    terms: GrantTerms


@dataclass(frozen=True)
class RequestCommand:
    identifier_kind: str
    identifier: str
    view_profile: str
    terms: GrantTerms


@dataclass(frozen=True)
class ApproveCommand:
    expires_on: date


@dataclass(frozen=True)
class ReasonCommand:
    reason: str


@dataclass(frozen=True)
class RenewCommand:
    terms: GrantTerms


@dataclass(frozen=True)
class LaoCommand:
    kind: str
    member_emails: tuple[str, ...]
    message: str | None
    #: Which saved state of the list the page showed (see :func:`portal.grants.lao.list_version`).
    version: str | None = None


# --- Field helpers --------------------------------------------------------------------------


def _text(required: str | None, max_length: int, what: str) -> fields.String:
    return text_field(what, max_length, required=required)


def _code(check: Callable[[str], object], message: str) -> Callable[[str], None]:
    def validator(value: str) -> None:
        try:
            check(value)
        except lawful_basis.UnknownLawfulBasis as unknown:
            raise ValidationError(message) from unknown

    return validator


def _gateway_field() -> fields.String:
    return fields.String(
        required=True,
        error_messages={"required": "Select the legal gateway"},
        validate=[
            validate.Length(max=48, error="Select the legal gateway from the list"),
            _code(lawful_basis.gateway, "Select the legal gateway from the list"),
        ],
    )


def _dp_condition_field() -> fields.String:
    return fields.String(
        required=True,
        error_messages={"required": "Select the data protection condition"},
        validate=[
            validate.Length(max=48, error="Select the data protection condition from the list"),
            _code(lawful_basis.dp_condition, "Select the data protection condition from the list"),
        ],
    )


def parse_date(parts: list[str], what: str) -> date:
    """The date the three parts of the GOV.UK date input spell.

    :raises ValidationError: with a message for the field.
    """
    return date_from_parts(parts, what=what, label=what.capitalize())


def _date_field(required: str | None, what: str) -> fields.List[str]:
    kwargs: dict[str, Any] = (
        {"required": True, "error_messages": {"required": required, "invalid": required}}
        if required
        else {"load_default": None, "error_messages": {"invalid": f"Enter {what} as a date"}}
    )

    def real_date(parts: list[str]) -> None:
        parse_date(parts, what)

    return fields.List(fields.String(validate=validate.Length(max=4)), validate=real_date, **kwargs)


class InputSchema(Schema):
    """Unknown fields are errors; blank known fields count as missing; text is trimmed."""

    class Meta:
        unknown = RAISE

    multiline: frozenset[str] = frozenset()

    @pre_load
    def tidy(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, Mapping):
            return data  # marshmallow reports the wrong type
        tidied: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip() if key in self.multiline else " ".join(value.split())
            elif isinstance(value, list | tuple):
                value = [item.strip() if isinstance(item, str) else item for item in value]
                if all(item in (None, "") for item in value):
                    value = []
            if key in self.fields and value in (None, "", []):
                continue  # reported as "required", or defaulted
            tidied[key] = value
        return tidied


class _TermsSchema(InputSchema):
    multiline = frozenset({"justification"})

    legal_gateway = _gateway_field()
    dp_condition = _dp_condition_field()
    justification = _text("Enter why this access is needed", JUSTIFICATION_MAX, "justification")
    isa_reference = _text(
        "Enter the information sharing agreement reference", ISA_MAX, "the agreement reference"
    )
    starts_on = _date_field(None, "the start date")
    expires_on = _date_field("Enter the date access ends", "the end date")

    @validates_schema
    def ends_after_start(self, data: Mapping[str, Any], **_: Any) -> None:
        starts, ends = data.get("starts_on"), data.get("expires_on")
        if starts is None or ends is None:
            return
        if parse_date(ends, "the end date") < parse_date(starts, "the start date"):
            raise ValidationError(
                "The date access ends must be the same as or after the start date",
                field_name="expires_on",
            )

    def terms(self, data: dict[str, Any]) -> GrantTerms:
        starts = data.pop("starts_on")
        return GrantTerms(
            legal_gateway=data.pop("legal_gateway"),
            dp_condition=data.pop("dp_condition"),
            justification=data.pop("justification"),
            isa_reference=data.pop("isa_reference"),
            expires_on=parse_date(data.pop("expires_on"), "the end date"),
            starts_on=None if starts is None else parse_date(starts, "the start date"),
        )


class GrantAccessSchema(_TermsSchema):
    grantee_agency_id = fields.UUID(
        required=True,
        error_messages={
            "required": "Select the agency to share with",
            "invalid_uuid": "Select the agency from the list",
        },
    )
    grantee_user_email = fields.Email(
        load_default=None,
        error_messages={"invalid": "Enter an email address in the correct format"},
        validate=validate.Length(max=EMAIL_MAX, error="Email address is too long"),
    )
    scope = fields.String(
        required=True,
        error_messages={"required": "Select what to share"},
        validate=validate.OneOf(SCOPES, error="Select what to share from the list"),
    )
    view_profile = fields.String(
        load_default=None,
        validate=validate.OneOf(PROFILES, error="Select how much to share from the list"),
    )
    record_id = fields.UUID(
        load_default=None, error_messages={"invalid_uuid": "Select the record from the list"}
    )

    @validates_schema
    def scope_shape(self, data: Mapping[str, Any], **_: Any) -> None:
        if data.get("scope") == "SUBJECT" and data.get("view_profile") is None:
            raise ValidationError("Select how much to share", field_name="view_profile")
        if data.get("scope") == "RECORD" and data.get("record_id") is None:
            raise ValidationError("Select the record to share", field_name="record_id")

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> GrantCommand:
        terms = self.terms(data)
        scope = data["scope"]
        email = data.get("grantee_user_email")
        return GrantCommand(
            grantee_agency_id=data["grantee_agency_id"],
            grantee_user_email=email.lower() if email else None,
            scope=scope,
            view_profile=data.get("view_profile") if scope == "SUBJECT" else None,
            record_id=data.get("record_id") if scope == "RECORD" else None,
            terms=terms,
        )


class RequestAccessSchema(_TermsSchema):
    identifier_kind = fields.String(
        required=True,
        error_messages={"required": "Select which identifier you have"},
        validate=validate.OneOf(IDENTIFIER_KINDS, error="Select the identifier from the list"),
    )
    identifier = _text("Enter the identifier", IDENTIFIER_MAX, "the identifier")
    view_profile = fields.String(
        required=True,
        error_messages={"required": "Select how much you need to see"},
        validate=validate.OneOf(PROFILES, error="Select how much you need to see from the list"),
    )

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> RequestCommand:
        terms = self.terms(data)
        return RequestCommand(
            identifier_kind=data["identifier_kind"],
            identifier=data["identifier"].upper(),
            view_profile=data["view_profile"],
            terms=terms,
        )


class ApproveRequestSchema(InputSchema):
    expires_on = _date_field("Enter the date access ends", "the end date")

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> ApproveCommand:
        return ApproveCommand(expires_on=parse_date(data["expires_on"], "the end date"))


class ReasonSchema(InputSchema):
    multiline = frozenset({"reason"})

    reason = _text("Enter the reason", REASON_MAX, "the reason")

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> ReasonCommand:
        return ReasonCommand(reason=data["reason"])


class RenewGrantSchema(_TermsSchema):
    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> RenewCommand:
        return RenewCommand(terms=self.terms(data))


class LaoListSchema(InputSchema):
    multiline = frozenset({"members", "message"})

    kind = fields.String(
        required=True,
        error_messages={"required": "Select the list"},
        validate=validate.OneOf(LAO_KINDS, error="Select the list from the options"),
    )
    members = _text(None, MEMBERS_TEXT_MAX, "the list of people")
    message = _text(None, MESSAGE_MAX, "the message")
    version = fields.String(load_default=None, validate=validate.Length(max=64))

    @validates_schema
    def members_shape(self, data: Mapping[str, Any], **_: Any) -> None:
        emails = _emails(data.get("members"))
        if len(emails) > MEMBERS_MAX:
            raise ValidationError(
                f"A list can name up to {MEMBERS_MAX} people", field_name="members"
            )
        email = fields.Email()
        for item in emails:
            try:
                email.deserialize(item)
            except ValidationError as error:
                raise ValidationError(
                    f"‘{item[:60]}’ is not an email address", field_name="members"
                ) from error
        if emails and data.get("message") is None:
            raise ValidationError(
                "Enter the message people refused by this list will see", field_name="message"
            )

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> LaoCommand:
        return LaoCommand(
            kind=data["kind"],
            member_emails=tuple(dict.fromkeys(_emails(data.get("members")))),
            message=data.get("message"),
            version=data.get("version"),
        )


def _emails(text: str | None) -> list[str]:
    if not text:
        return []
    return [item.lower() for item in text.replace(",", "\n").split() if item]
