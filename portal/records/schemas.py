"""Input contracts for shared records, and what each view profile may show of them.

Input: the record's rich text (body, the risk management plan's pillars, contingency and
licence conditions) is sanitised **here, on input**, by
:func:`portal.core.sanitise.clean_rich_text`, so a command only ever carries clean HTML. Text
typed without any markup is kept as paragraphs (each blank-line-separated block a ``<p>``,
single line breaks ``<br>``), escaped first.

Output: :data:`RECORD_FIELDS` lists the record fields each view profile shows, and
:func:`records_visible_under` which records a profile shows at all: a summary shows risk
summaries only, and never a record flagged as holding health details (domain §8.3).
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from portal.core.inputs import no_control_characters
from portal.core.markings import Marking
from portal.core.sanitise import MAX_RICH_TEXT_LENGTH, RichTextRejected, clean_rich_text
from portal.subjects.schemas import VERSION_MAX, MarkingInputSchema

TITLE_MAX = 200

#: Kinds a user can create here, with their labels (as ``portal.records.models.RecordKind``; a
#: test keeps them equal). Attachments arrive with file uploads (a later issue).
CREATABLE_KINDS: Final = {
    "RISK_SUMMARY": "Risk summary",
    "RISK_MANAGEMENT_PLAN": "Risk management plan",
    "NOTE": "Note",
}
RMP_KIND: Final = "RISK_MANAGEMENT_PLAN"
#: The risk management plan's sections (domain §1.7): the four pillars, the contingency plan
#: and the licence conditions. Each is required in a plan and refused on any other kind.
RMP_SECTIONS: Final = {
    "supervision": "Supervision",
    "monitoring_control": "Monitoring and control",
    "interventions_treatment": "Interventions and treatment",
    "victim_safety": "Victim safety",
    "contingency": "Contingency plan",
    "licence_conditions": "Licence conditions",
}
_MARKUP = re.compile(r"<[A-Za-z!/]")


@dataclass(frozen=True)
class RecordCommand:
    """A record as entered; every ``*_html`` value is :func:`clean_rich_text` output."""

    kind: str
    title: str
    body_html: str
    contains_health_details: bool
    supervision_html: str | None
    monitoring_control_html: str | None
    interventions_treatment_html: str | None
    victim_safety_html: str | None
    contingency_html: str | None
    licence_conditions_html: str | None
    marking: Marking
    #: On the edit page: which saved state of the record the page showed (see the service).
    version: str | None = None


def rich_text_to_html(text: str) -> str:
    """What the user typed, as clean HTML: markup is sanitised, plain text becomes paragraphs.

    :raises RichTextRejected: when the sanitiser refuses it (too long, too much formatting).
    """
    if not _MARKUP.search(text):
        blocks = [block.strip() for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n"))]
        text = "".join(
            "<p>" + "<br>".join(html.escape(line.strip()) for line in block.splitlines()) + "</p>"
            for block in blocks
            if block
        )
    return clean_rich_text(text)


def _rich_text(required: str | None, what: str) -> fields.String:
    kwargs: dict[str, Any] = {} if required else {"load_default": None}
    return fields.String(
        required=required is not None,
        error_messages={"required": required or "", "invalid": f"Enter {what} as text"},
        validate=validate.Length(
            max=MAX_RICH_TEXT_LENGTH,
            error=f"{what.capitalize()} must be {MAX_RICH_TEXT_LENGTH:,} characters or fewer",
        ),
        **kwargs,
    )


class CreateRecordSchema(MarkingInputSchema):
    multiline = frozenset({"body", *RMP_SECTIONS})

    kind = fields.String(
        required=True,
        error_messages={"required": "Select the kind of record"},
        validate=validate.OneOf(
            list(CREATABLE_KINDS), error="Select the kind of record from the list"
        ),
    )
    title = fields.String(
        required=True,
        error_messages={"required": "Enter a title", "invalid": "Enter the title as text"},
        validate=[
            validate.Length(max=TITLE_MAX, error=f"Title must be {TITLE_MAX} characters or fewer"),
            no_control_characters,
        ],
    )
    body = _rich_text(None, "the record")
    contains_health_details = fields.Boolean(
        load_default=False, error_messages={"invalid": "Select whether it has health details"}
    )
    supervision = _rich_text(None, "supervision")
    monitoring_control = _rich_text(None, "monitoring and control")
    interventions_treatment = _rich_text(None, "interventions and treatment")
    victim_safety = _rich_text(None, "victim safety")
    contingency = _rich_text(None, "the contingency plan")
    licence_conditions = _rich_text(None, "the licence conditions")

    @validates_schema
    def plan_sections(self, data: Mapping[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        is_plan = data.get("kind") == RMP_KIND
        for name, label in RMP_SECTIONS.items():
            given = data.get(name) is not None
            if is_plan and not given:
                errors[name] = [f"Enter {label.lower()}, or ‘Not applicable’ and why"]
            elif given and not is_plan and data.get("kind") is not None:
                errors[name] = [f"Only a risk management plan has {label.lower()}"]
        if not is_plan and data.get("kind") is not None and data.get("body") is None:
            errors["body"] = ["Enter the record"]
        if errors:
            raise ValidationError(errors)

    @post_load
    def to_command(self, data: dict[str, Any], **_: Any) -> RecordCommand:
        marking = self.build_marking(data)
        cleaned = {name: _clean(name, data.get(name)) for name in ("body", *RMP_SECTIONS)}
        return RecordCommand(
            kind=data["kind"],
            title=data["title"],
            body_html=cleaned["body"] or "",
            contains_health_details=data["contains_health_details"],
            supervision_html=cleaned["supervision"],
            monitoring_control_html=cleaned["monitoring_control"],
            interventions_treatment_html=cleaned["interventions_treatment"],
            victim_safety_html=cleaned["victim_safety"],
            contingency_html=cleaned["contingency"],
            licence_conditions_html=cleaned["licence_conditions"],
            marking=marking,
            version=data.get("version"),
        )


class EditRecordSchema(CreateRecordSchema):
    """The same answers as creation, and the version of the record the page showed; the owner
    agency never changes."""

    version = fields.String(load_default=None, validate=validate.Length(max=VERSION_MAX))


def _clean(field: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return rich_text_to_html(value)
    except RichTextRejected as rejected:
        raise ValidationError(str(rejected), field_name=field) from rejected


# --- Output: what each view profile may show ----------------------------------------------

_SUMMARY_RECORD_FIELDS: Final = frozenset(
    {"id", "kind", "title", "body_html", "marking", "owner_agency", "updated_at"}
)
#: The record fields each view profile shows, keyed by ``ViewProfile`` value (a StrEnum, so
#: its members look these up; schemas never import models).
RECORD_FIELDS: Final[Mapping[str, frozenset[str]]] = {
    "SUMMARY": _SUMMARY_RECORD_FIELDS,
    "SUMMARY_AND_ACTIONS": _SUMMARY_RECORD_FIELDS,
    "FULL": _SUMMARY_RECORD_FIELDS
    | {f"{name}_html" for name in RMP_SECTIONS}
    | {"contains_health_details"},
}
#: The kinds of record each view profile shows.
RECORD_KINDS: Final[Mapping[str, frozenset[str]]] = {
    "SUMMARY": frozenset({"RISK_SUMMARY"}),
    "SUMMARY_AND_ACTIONS": frozenset({"RISK_SUMMARY"}),
    "FULL": frozenset({"RISK_SUMMARY", "RISK_MANAGEMENT_PLAN", "NOTE", "ATTACHMENT"}),
}
#: Whether a profile shows records flagged as holding health details. Never in a summary.
SHOWS_HEALTH_DETAILS: Final[Mapping[str, bool]] = {
    "SUMMARY": False,
    "SUMMARY_AND_ACTIONS": False,
    "FULL": True,
}

#: Labels of the record fields a page lists under the body, in order.
RECORD_SECTION_LABELS: Final = {f"{name}_html": label for name, label in RMP_SECTIONS.items()}


def record_sections(record: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(field, label, clean HTML) of the plan sections present in a record output, in order."""
    return [
        (name, label, record[name])
        for name, label in RECORD_SECTION_LABELS.items()
        if record.get(name)
    ]


def record_visible(profile: str, *, kind: str, contains_health_details: bool) -> bool:
    """Whether a record of this kind and health flag may be shown under ``profile`` at all."""
    if contains_health_details and not SHOWS_HEALTH_DETAILS[profile]:
        return False
    return kind in RECORD_KINDS[profile]


class RecordFullSchema(Schema):
    """Every record field a page can show, display-ready; dump it with
    ``only=RECORD_FIELDS[profile]`` (see :func:`record_output`)."""

    id = fields.UUID()
    kind = fields.String()
    title = fields.String()
    body_html = fields.String()
    marking = fields.String()
    owner_agency = fields.String()
    updated_at = fields.Raw()
    contains_health_details = fields.Boolean()
    supervision_html = fields.String(allow_none=True)
    monitoring_control_html = fields.String(allow_none=True)
    interventions_treatment_html = fields.String(allow_none=True)
    victim_safety_html = fields.String(allow_none=True)
    contingency_html = fields.String(allow_none=True)
    licence_conditions_html = fields.String(allow_none=True)


def record_output(source: Mapping[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    """``source`` reduced to exactly the ``allowed`` fields (none when ``allowed`` is empty)."""
    dumped: dict[str, Any] = _record_schema(allowed).dump(source)
    return dumped


@functools.cache
def _record_schema(allowed: frozenset[str]) -> RecordFullSchema:
    """One schema per field set (a handful), built once: see ``subjects.schemas``."""
    return RecordFullSchema(only=tuple(sorted(allowed)))
