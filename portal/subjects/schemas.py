"""Input contracts for subjects, and what each view profile may show of one.

Input: each schema rejects fields it does not know, caps every length and loads into a frozen
command. The marking is entered as four fields (classification, descriptors, handling
instruction and its organisation) and loaded into a :class:`~portal.core.markings.Marking`
without an owner; the service sets the owner. SECRET and TOP SECRET are refused on the
classification field with the markings module's own message.

Output: :data:`SUBJECT_FIELDS` is the explicit allow-list of subject fields per view profile,
and :class:`SubjectFullSchema` dumps a subject through one of those lists (``only=``), so a field
missing from a profile's list cannot reach its page.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
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

from portal.core.inputs import date_from_parts, text_field
from portal.core.markings import (
    MAX_ORG_LENGTH,
    ClassificationRefused,
    Descriptor,
    Handling,
    Marking,
    MarkingError,
    parse_tier,
)

FAMILY_NAME_MAX = 100
GIVEN_NAMES_MAX = 200
ALIAS_MAX = 200
ALIASES_MAX = 20
ALIASES_TEXT_MAX = (ALIAS_MAX + 1) * ALIASES_MAX
PNC_ID_MAX = 20
CRN_MAX = 20
VISOR_MAX = 30
#: An edit page's version: a timestamp in ISO form (32 characters).
VERSION_MAX = 40
EARLIEST_BIRTH_YEAR = 1900

#: The radio options for the classification, in the order shown. SECRET and TOP SECRET are
#: listed so a user holding such material is told plainly that it cannot be entered.
CLASSIFICATIONS: Final = ("OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET")
NO_HANDLING: Final = "NONE"

#: The subject types and their labels: the same as ``portal.subjects.models.SubjectType`` (a
#: test keeps them equal), repeated here because schemas and forms never import models.
SUBJECT_TYPES: Final = {
    "RSO": "Registered sex offender",
    "VO": "Violent offender",
    "PDP": "Potentially dangerous person",
    "TERRORIST_RISK": "Terrorist risk",
}
MAPPA_CATEGORY_LABELS: Final = {
    1: "Category 1 – registered sexual offender",
    2: "Category 2 – violent offender",
    3: "Category 3 – other dangerous offender",
    4: "Category 4 – terrorist or terrorist-risk offender",
}
MAPPA_LEVEL_LABELS: Final = {
    1: "Level 1 – ordinary agency management",
    2: "Level 2 – active multi-agency management",
    3: "Level 3 – active multi-agency management, senior",
}

# PNC ID: year, slash, serial, check letter (e.g. 12/345678A). nDelius CRN: a letter and six
# digits (X123456). ViSOR: letters, digits, hyphens and slashes. Checked loosely on purpose: a
# format mistake should be caught, a legitimate legacy variant should not be refused.
_PNC_ID = re.compile(r"\A\d{2,4}/\d{1,8}[A-Z]\Z")
_CRN = re.compile(r"\A[A-Z]\d{6}\Z")
_VISOR = re.compile(r"\A[A-Z0-9][A-Z0-9/-]{0,29}\Z")


@dataclass(frozen=True)
class SubjectCommand:
    """A subject as entered on the create and edit pages (the owner is never input)."""

    family_name: str
    given_names: str
    aliases: tuple[str, ...]
    date_of_birth: date | None
    pnc_id: str | None
    ndelius_crn: str | None
    visor_ref: str | None
    subject_type: str
    mappa_category: int
    mappa_level: int
    lead_agency_id: uuid.UUID
    marking: Marking
    #: On the edit page: which saved state of the subject the page showed (see the service).
    version: str | None = None


def _text(required: str | None, max_length: int, what: str, **kwargs: Any) -> fields.String:
    return text_field(what, max_length, required=required, **kwargs)


def _pattern(pattern: re.Pattern[str], message: str) -> validate.Validator:
    return validate.Regexp(pattern, error=message)


class InputSchema(Schema):
    """Unknown fields are errors; blank known fields count as missing; text is trimmed.

    Lists (checkboxes, the three parts of a date) are trimmed item by item and count as
    missing when every item is blank.
    """

    class Meta:
        unknown = RAISE

    #: Fields stored in capitals (identifiers are compared case-insensitively).
    upper_case: frozenset[str] = frozenset()
    #: Text fields whose line breaks and spacing are part of the value.
    multiline: frozenset[str] = frozenset()

    @pre_load
    def tidy(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, Mapping):
            return data  # marshmallow reports the wrong type
        tidied: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip() if key in self.multiline else " ".join(value.split())
                value = value.upper() if key in self.upper_case else value
            elif isinstance(value, list | tuple):
                value = [item.strip() if isinstance(item, str) else item for item in value]
                if all(item in (None, "") for item in value):
                    value = []
            if key in self.fields and value in (None, "", []):
                continue  # reported as "required" (with the field's own message) or defaulted
            tidied[key] = value
        return tidied


def _official_only(value: str) -> None:
    """Refuse SECRET and TOP SECRET with the markings module's own message."""
    try:
        parse_tier(value.removesuffix("-SENSITIVE"))
    except ClassificationRefused as refused:
        raise ValidationError(str(refused)) from refused
    except MarkingError as error:
        raise ValidationError("Select the classification from the list") from error
    if value not in CLASSIFICATIONS:
        raise ValidationError("Select the classification from the list")


class MarkingInputSchema(InputSchema):
    """The four marking fields shared by the subject and record forms."""

    classification = fields.String(
        required=True,
        error_messages={
            "required": "Select the classification",
            "invalid": "Select the classification from the list",
        },
        validate=[
            validate.Length(max=40, error="Select the classification from the list"),
            _official_only,
        ],
    )
    descriptors = fields.List(
        fields.Enum(
            Descriptor,
            by_value=True,
            error_messages={"unknown": "Select descriptors from the list"},
        ),
        load_default=list,
        validate=validate.Length(max=len(Descriptor), error="Select descriptors from the list"),
        error_messages={"invalid": "Select descriptors from the list"},
    )
    handling = fields.String(
        load_default=NO_HANDLING,
        validate=validate.OneOf(
            [NO_HANDLING, *(h.value for h in Handling)],
            error="Select a handling instruction from the list",
        ),
    )
    handling_org = _text(None, MAX_ORG_LENGTH, "the organisation")

    @validates_schema
    def organisation_named(self, data: Mapping[str, Any], **_: Any) -> None:
        org_use_only = data.get("handling") == Handling.ORG_USE_ONLY.value
        if org_use_only and data.get("handling_org") is None:
            raise ValidationError(
                "Enter the organisation the information is for", field_name="handling_org"
            )
        if not org_use_only and data.get("handling_org") is not None:
            raise ValidationError(
                "Only enter an organisation for an ‘organisation USE ONLY’ instruction",
                field_name="handling_org",
            )

    def build_marking(self, data: dict[str, Any]) -> Marking:
        """The marking the four (validated) fields describe, without an owner.

        :raises ValidationError: against the organisation field, if the marking refuses it.
        """
        handling_code = data.pop("handling")
        org = data.pop("handling_org")
        try:
            return Marking(
                sensitive=data.pop("classification").endswith("-SENSITIVE"),
                descriptors=frozenset(data.pop("descriptors")),
                handling=None if handling_code == NO_HANDLING else Handling(handling_code),
                handling_org=org,
            )
        except MarkingError as error:
            raise ValidationError(str(error), field_name="handling_org") from error


def date_of_birth(parts: list[str]) -> date:
    """The date the three parts of the GOV.UK date input spell.

    :raises ValidationError: with a message for the field.
    """
    born = date_from_parts(parts, what="the date of birth", label="Date of birth")
    if born.year < EARLIEST_BIRTH_YEAR:
        raise ValidationError(f"Date of birth must be after {EARLIEST_BIRTH_YEAR}")
    if born > datetime.now(UTC).date():
        raise ValidationError("Date of birth must be in the past")
    return born


class CreateSubjectSchema(MarkingInputSchema):
    upper_case = frozenset({"pnc_id", "ndelius_crn", "visor_ref"})
    multiline = frozenset({"aliases"})

    family_name = _text("Enter the family name", FAMILY_NAME_MAX, "family name")
    given_names = _text("Enter the given names", GIVEN_NAMES_MAX, "given names")
    aliases = _text(None, ALIASES_TEXT_MAX, "aliases")
    date_of_birth = fields.List(
        fields.String(validate=validate.Length(max=4)),
        load_default=None,
        error_messages={"invalid": "Enter the date of birth as a day, month and year"},
        validate=date_of_birth,
    )
    pnc_id = fields.String(
        load_default=None,
        validate=[
            validate.Length(max=PNC_ID_MAX, error="PNC ID must be 20 characters or fewer"),
            _pattern(_PNC_ID, "Enter a PNC ID in the correct format, like 12/345678A"),
        ],
    )
    ndelius_crn = fields.String(
        load_default=None,
        validate=[
            validate.Length(max=CRN_MAX, error="nDelius CRN must be 20 characters or fewer"),
            _pattern(_CRN, "Enter an nDelius CRN in the correct format, like X123456"),
        ],
    )
    visor_ref = fields.String(
        load_default=None,
        validate=[
            validate.Length(max=VISOR_MAX, error="ViSOR reference must be 30 characters or fewer"),
            _pattern(_VISOR, "ViSOR reference must only include letters, numbers, / and -"),
        ],
    )
    subject_type = fields.String(
        required=True,
        error_messages={"required": "Select the subject type"},
        validate=validate.OneOf(list(SUBJECT_TYPES), error="Select the subject type from the list"),
    )
    mappa_category = fields.Integer(
        required=True,
        error_messages={
            "required": "Select the MAPPA category",
            "invalid": "Select the MAPPA category from the list",
        },
        validate=validate.OneOf(
            list(MAPPA_CATEGORY_LABELS), error="Select the MAPPA category from the list"
        ),
    )
    mappa_level = fields.Integer(
        required=True,
        error_messages={
            "required": "Select the MAPPA level",
            "invalid": "Select the MAPPA level from the list",
        },
        validate=validate.OneOf(
            list(MAPPA_LEVEL_LABELS), error="Select the MAPPA level from the list"
        ),
    )
    lead_agency_id = fields.UUID(
        required=True,
        error_messages={
            "required": "Select the lead agency",
            "invalid_uuid": "Select the lead agency from the list",
            "invalid": "Select the lead agency from the list",
        },
    )

    @post_load
    def to_command(self, data: dict[str, Any], **_: Any) -> SubjectCommand:
        marking = self.build_marking(data)
        parts = data["date_of_birth"]
        return SubjectCommand(
            family_name=data["family_name"],
            given_names=data["given_names"],
            aliases=_aliases(data["aliases"]),
            date_of_birth=None if parts is None else date_of_birth(parts),
            pnc_id=data["pnc_id"],
            ndelius_crn=data["ndelius_crn"],
            visor_ref=data["visor_ref"],
            subject_type=data["subject_type"],
            mappa_category=data["mappa_category"],
            mappa_level=data["mappa_level"],
            lead_agency_id=data["lead_agency_id"],
            marking=marking,
            version=data.get("version"),
        )


class EditSubjectSchema(CreateSubjectSchema):
    """The same answers as creation, and the version of the subject the page showed; the
    owning agency never changes."""

    version = fields.String(load_default=None, validate=validate.Length(max=VERSION_MAX))


def _aliases(text: str | None) -> tuple[str, ...]:
    if text is None:
        return ()
    names: list[str] = []
    for line in text.splitlines():
        name = " ".join(line.split())
        if not name or name in names:
            continue
        if len(name) > ALIAS_MAX:
            raise ValidationError(
                f"Each alias must be {ALIAS_MAX} characters or fewer", field_name="aliases"
            )
        names.append(name)
    if len(names) > ALIASES_MAX:
        raise ValidationError(f"Enter {ALIASES_MAX} aliases or fewer", field_name="aliases")
    return tuple(names)


# --- Output: what each view profile may show ----------------------------------------------

_SUMMARY_FIELDS: Final = frozenset(
    {
        "id",
        "display_name",
        "family_name",
        "given_names",
        "aliases",
        "date_of_birth",
        "subject_type",
        "mappa_category",
        "mappa_level",
        "lead_agency",
        "owning_agency",
    }
)
#: The subject fields each view profile shows, keyed by ``ViewProfile`` value (a StrEnum, so
#: its members look these up; schemas never import models). Identifiers used by the police and
#: probation (PNC ID, nDelius CRN, ViSOR reference) are in the full view only; name, date of
#: birth and MAPPA status are what a partner needs to recognise the person. Actions (meetings
#: issue) will extend SUMMARY_AND_ACTIONS.
SUBJECT_FIELDS: Final[Mapping[str, frozenset[str]]] = {
    "SUMMARY": _SUMMARY_FIELDS,
    "SUMMARY_AND_ACTIONS": _SUMMARY_FIELDS,
    "FULL": _SUMMARY_FIELDS | {"pnc_id", "ndelius_crn", "visor_ref"},
}


#: Labels of the subject fields, in the order a page lists them.
SUBJECT_FIELD_LABELS: Final = {
    "family_name": "Family name",
    "given_names": "Given names",
    "aliases": "Aliases",
    "date_of_birth": "Date of birth",
    "pnc_id": "PNC ID",
    "ndelius_crn": "nDelius CRN",
    "visor_ref": "ViSOR reference",
    "subject_type": "Subject type",
    "mappa_category": "MAPPA category",
    "mappa_level": "MAPPA level",
    "lead_agency": "Lead agency",
    "owning_agency": "Owning agency",
}


class SubjectFullSchema(Schema):
    """Every subject field a page can show, display-ready; dump it with
    ``only=SUBJECT_FIELDS[profile]`` (see :func:`subject_output`)."""

    id = fields.UUID()
    display_name = fields.String()
    family_name = fields.String()
    given_names = fields.String()
    aliases = fields.List(fields.String())
    date_of_birth = fields.Raw(allow_none=True)
    pnc_id = fields.String(allow_none=True)
    ndelius_crn = fields.String(allow_none=True)
    visor_ref = fields.String(allow_none=True)
    subject_type = fields.String()
    mappa_category = fields.String()
    mappa_level = fields.String()
    lead_agency = fields.String()
    owning_agency = fields.String()


def subject_output(source: Mapping[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    """``source`` reduced to exactly the ``allowed`` fields (none when ``allowed`` is empty)."""
    dumped: dict[str, Any] = _subject_schema(allowed).dump(source)
    return dumped


@functools.cache
def _subject_schema(allowed: frozenset[str]) -> SubjectFullSchema:
    """One schema per field set (a handful): building one deep-copies every declared field,
    which on each page view was a measurable share of the audited view (``make bench``)."""
    return SubjectFullSchema(only=tuple(sorted(allowed)))
