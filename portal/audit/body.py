"""The canonical body of an access-log event: the one way an event becomes hashed bytes.

Layout (canonical JSON sorts the keys): the search fields come first, every one always present
(``null`` when not set), then ``"v"`` (the layout version) and ``"with"`` (everything that is not
a search column). Ids are 32 lowercase hex digits (``uuid.hex``, the form SQLite stores them in);
times are UTC with six fractional digits and ``Z``. The search columns of ``audit_event`` are read
back from the same dict (:func:`search_columns`), and the verifier relies on the layout to check,
in SQL and cheaply, that they still say what the hashed body says. Event values only contain
characters that JSON writes as they are (see the patterns in :mod:`portal.audit.events`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from portal.audit.events import AuditEvent

BODY_VERSION = 1

#: Format of the body's ``at`` (always six fractional digits, always ``Z``).
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

#: The search fields, in body order; each is also a column of ``audit_event``.
SEARCH_FIELDS = (
    "actor_agency_id",
    "actor_id",
    "at",
    "dp_condition",
    "grant_id",
    "legal_gateway",
    "marking",
    "outcome",
    "record_id",
    "request_id",
    "subject_id",
    "target_user_id",
    "type",
)
UUID_FIELDS = frozenset(
    {"actor_agency_id", "actor_id", "grant_id", "record_id", "subject_id", "target_user_id"}
)
#: Top-level body keys; a detail key may not reuse one.
BODY_KEYS = frozenset((*SEARCH_FIELDS, "v", "with"))


def format_time(moment: datetime) -> str:
    """The body's text for a time: UTC, microseconds, ``Z``. Naive times are refused."""
    if moment.tzinfo is None:
        raise ValueError("event times are timezone-aware")
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def event_body(event: AuditEvent, at: datetime) -> dict[str, Any]:
    """The canonical body of ``event`` recorded at ``at``: a dict of JSON values only.

    Every search field is present (``None`` when unset); the other fields sit under ``"with"``
    and only when set.
    """
    body: dict[str, Any] = {
        "actor_agency_id": _uuid_text(event.actor_agency_id),
        "actor_id": _uuid_text(event.actor_id),
        "at": format_time(at),
        "dp_condition": event.dp_condition,
        "grant_id": _uuid_text(event.grant_id),
        "legal_gateway": event.legal_gateway,
        "marking": event.marking,
        "outcome": event.outcome.value,
        "record_id": _uuid_text(event.record_id),
        "request_id": event.request_id,
        "subject_id": _uuid_text(event.subject_id),
        "target_user_id": _uuid_text(event.target_user_id),
        "type": event.type.value,
        "v": BODY_VERSION,
    }
    extra: dict[str, Any] = {}
    if event.justification is not None:
        extra["justification"] = event.justification
    if event.recipients:
        extra["recipients"] = list(event.recipients)
    if event.method is not None:
        extra["method"] = event.method
    if event.reason is not None:
        extra["reason"] = event.reason
    if event.detail:
        extra["detail"] = dict(event.detail)
    if extra:
        body["with"] = extra
    return body


def _uuid_text(value: uuid.UUID | None) -> str | None:
    return None if value is None else value.hex


def canonical_json(body: Mapping[str, Any]) -> str:
    """The one serialisation that is hashed: sorted keys, no spaces, UTF-8 text, no NaN.

    Encode the result with UTF-8 to get the bytes that are hashed.
    """
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def search_columns(body: Mapping[str, Any]) -> dict[str, Any]:
    """The ``audit_event`` search columns, read from the body dict that is hashed.

    Keys are column names (``type`` becomes ``event_type``); ids become UUIDs and ``at`` becomes
    ``recorded_at``, a UTC datetime.
    """
    columns: dict[str, Any] = {}
    for name in SEARCH_FIELDS:
        value = body[name]
        if name in UUID_FIELDS:
            columns[name] = None if value is None else uuid.UUID(value)
        elif name == "at":
            columns["recorded_at"] = datetime.strptime(value, TIME_FORMAT).replace(tzinfo=UTC)
        elif name == "type":
            columns["event_type"] = value
        else:
            columns[name] = value
    return columns
