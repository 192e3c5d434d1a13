"""What an access-log event says: the event types, the event value and its typed constructors.

An :class:`AuditEvent` is a frozen value naming who did what to which subject or record, under
which grant and lawful basis, at which marking, and with what outcome (DPA 2018 s.62). Its fields
are ids, codes and short strings only: there is no field for record content, passwords, TOTP
secrets or codes, tokens or session ids, and every string is checked against a pattern and a
length cap when the event is built, so a careless caller cannot smuggle content into the log.

:func:`event_body` turns an event and its database time into the canonical body,
:func:`canonical_json` turns that into the text that is hashed, and :func:`search_columns` reads
the table's search columns back from the same body; they live in :mod:`portal.audit.body` and are
re-exported here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Protocol, TypedDict

from flask import g, has_app_context
from typing_extensions import Unpack

from portal.audit.body import (
    BODY_KEYS,
    SEARCH_FIELDS,
    UUID_FIELDS,
    canonical_json,
    event_body,
    format_time,
    search_columns,
)

__all__ = [
    "SEARCH_FIELDS",
    "UUID_FIELDS",
    "AuditEvent",
    "EventType",
    "InvalidEvent",
    "Outcome",
    "canonical_json",
    "event_body",
    "format_time",
    "search_columns",
]


class EventType(StrEnum):
    """Event types: the six kinds of processing in DPA 2018 s.62, then everything else."""

    COLLECTION = "COLLECTION"
    ALTERATION = "ALTERATION"
    CONSULTATION = "CONSULTATION"
    DISCLOSURE = "DISCLOSURE"
    COMBINATION = "COMBINATION"
    ERASURE = "ERASURE"
    AUTHZ_FAIL = "AUTHZ_FAIL"
    LOGIN = "LOGIN"
    LOGIN_FAILED = "LOGIN_FAILED"
    LOGOUT = "LOGOUT"
    MFA_RESET = "MFA_RESET"
    SESSION_ENDED = "SESSION_ENDED"
    USER_CHANGED = "USER_CHANGED"
    GRANT_CHANGED = "GRANT_CHANGED"
    BREAK_GLASS = "BREAK_GLASS"
    LOG_READ = "LOG_READ"
    LOG_EXPORTED = "LOG_EXPORTED"
    CHECKPOINT = "CHECKPOINT"


#: The s.62 processing types: each needs a subject or a record.
PROCESSING_TYPES = frozenset(
    {
        EventType.COLLECTION,
        EventType.ALTERATION,
        EventType.CONSULTATION,
        EventType.DISCLOSURE,
        EventType.COMBINATION,
        EventType.ERASURE,
    }
)


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


class InvalidEvent(ValueError):
    """An event was built with a value the access log does not accept."""


# Every pattern below admits only printable ASCII without '"' or '\\': such a value is written
# into JSON exactly as it is, which the verifier's SQL reconstruction of the search fields needs.
_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,47}")
_MARKING = re.compile(r"[A-Z0-9][A-Z0-9 ,:;()/&'.+-]{0,199}")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{0,64}")
_METHOD = re.compile(r"[a-z0-9][a-z0-9+._-]{0,31}")
_REASON = re.compile(r"[a-z][a-z0-9_]{0,47}")
_DETAIL_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}")

MAX_JUSTIFICATION = 2000
MAX_RECIPIENT = 200
MAX_RECIPIENTS = 100
MAX_DETAIL_ITEMS = 20
MAX_DETAIL_VALUE = 200

#: Detail keys may not name anything secret or any content, even by accident.
FORBIDDEN_DETAIL_WORDS = (
    "password",
    "passwd",
    "secret",
    "token",
    "otp",
    "session",
    "cookie",
    "credential",
    "content",
    "body",
    "narrative",
    "text",
)


@dataclass(frozen=True)
class AuditEvent:
    """One access-log event, before it has a time, a sequence number or a hash.

    Build it with the helpers below (:func:`consultation`, :func:`login`...) rather than by
    hand. Construction refuses any value outside its pattern or length cap.
    """

    type: EventType
    outcome: Outcome
    actor_id: uuid.UUID | None
    actor_agency_id: uuid.UUID | None
    request_id: str
    subject_id: uuid.UUID | None = None
    record_id: uuid.UUID | None = None
    grant_id: uuid.UUID | None = None
    target_user_id: uuid.UUID | None = None
    legal_gateway: str | None = None
    dp_condition: str | None = None
    justification: str | None = None
    marking: str | None = None
    recipients: tuple[str, ...] = ()
    method: str | None = None
    reason: str | None = None
    detail: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", _member(EventType, self.type, "type"))
        object.__setattr__(self, "outcome", _member(Outcome, self.outcome, "outcome"))
        for name in sorted(UUID_FIELDS):
            value = getattr(self, name)
            if value is not None and not isinstance(value, uuid.UUID):
                raise InvalidEvent(f"{name} must be a UUID")
        _match(_REQUEST_ID, self.request_id, "request_id", optional=False)
        _match(_CODE, self.legal_gateway, "legal_gateway")
        _match(_CODE, self.dp_condition, "dp_condition")
        _match(_MARKING, self.marking, "marking")
        _match(_METHOD, self.method, "method")
        _match(_REASON, self.reason, "reason")
        if self.justification is not None:
            if not isinstance(self.justification, str) or not self.justification.strip():
                raise InvalidEvent("justification must be non-empty text")
            if len(self.justification) > MAX_JUSTIFICATION:
                raise InvalidEvent(f"justification is longer than {MAX_JUSTIFICATION}")
        object.__setattr__(self, "recipients", _recipients(self.recipients))
        object.__setattr__(self, "detail", _detail(self.detail))
        if self.type in PROCESSING_TYPES and self.subject_id is None and self.record_id is None:
            raise InvalidEvent(f"a {self.type} event names a subject or a record")
        disclosed = self.type is EventType.DISCLOSURE and self.outcome is Outcome.SUCCESS
        if disclosed and not self.recipients:
            raise InvalidEvent("a disclosure names its recipients")


def _member(enum: type[StrEnum], value: object, name: str) -> Any:
    try:
        return enum(value) if isinstance(value, str) else enum(repr(value))
    except ValueError:
        raise InvalidEvent(f"{name} {value!r} is not one of {', '.join(enum)}") from None


def _match(pattern: re.Pattern[str], value: object, name: str, *, optional: bool = True) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InvalidEvent(f"{name} does not match {pattern.pattern}")


def _recipients(values: object) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, (tuple, list)):
        raise InvalidEvent("recipients must be a tuple of strings")
    if len(values) > MAX_RECIPIENTS:
        raise InvalidEvent(f"more than {MAX_RECIPIENTS} recipients")
    for value in values:
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_RECIPIENT:
            raise InvalidEvent(f"each recipient is non-empty text of at most {MAX_RECIPIENT}")
    return tuple(values)


def _detail(values: object) -> Mapping[str, str]:
    if not isinstance(values, Mapping):
        raise InvalidEvent("detail must be a mapping of short strings")
    if len(values) > MAX_DETAIL_ITEMS:
        raise InvalidEvent(f"more than {MAX_DETAIL_ITEMS} detail items")
    for key, value in values.items():
        if not isinstance(key, str) or not _DETAIL_KEY.fullmatch(key) or key in BODY_KEYS:
            raise InvalidEvent(f"detail key {key!r} is not allowed")
        if any(word in key for word in FORBIDDEN_DETAIL_WORDS):
            raise InvalidEvent(f"detail key {key!r} names something the log never holds")
        if not isinstance(value, str) or len(value) > MAX_DETAIL_VALUE:
            raise InvalidEvent(f"detail values are strings of at most {MAX_DETAIL_VALUE}")
    return MappingProxyType(dict(values))


def current_request_id() -> str:
    """The id of the request being served (``g.request_id``), or ``""`` outside a request."""
    if has_app_context():
        value = g.get("request_id")
        if isinstance(value, str):
            return value
    return ""


# --- Typed constructors -------------------------------------------------------------------


class ActorLike(Protocol):
    """Anything that names a person and their agency (``portal.core.actor.Actor`` does)."""

    @property
    def user_id(self) -> uuid.UUID: ...

    @property
    def agency_id(self) -> uuid.UUID: ...


def _rid(request_id: str | None) -> str:
    return current_request_id() if request_id is None else request_id


class ProcessingFields(TypedDict, total=False):
    """Keywords of the processing helpers (:func:`consultation` and the others)."""

    subject_id: uuid.UUID | None
    record_id: uuid.UUID | None
    grant_id: uuid.UUID | None
    legal_gateway: str | None
    dp_condition: str | None
    justification: str | None
    marking: str | None
    outcome: Outcome
    detail: Mapping[str, str] | None
    request_id: str | None


def processing(
    event_type: EventType,
    actor: ActorLike,
    *,
    subject_id: uuid.UUID | None = None,
    record_id: uuid.UUID | None = None,
    grant_id: uuid.UUID | None = None,
    legal_gateway: str | None = None,
    dp_condition: str | None = None,
    justification: str | None = None,
    marking: str | None = None,
    recipients: tuple[str, ...] = (),
    outcome: Outcome = Outcome.SUCCESS,
    detail: Mapping[str, str] | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """An s.62 processing event (collection, alteration, consultation, disclosure, combination,
    erasure) by ``actor``, about a subject or a record (at least one). The specific helpers
    below call this one."""
    if event_type not in PROCESSING_TYPES:
        raise InvalidEvent(f"{event_type} is not an s.62 processing type")
    return AuditEvent(
        type=event_type,
        outcome=outcome,
        actor_id=actor.user_id,
        actor_agency_id=actor.agency_id,
        request_id=_rid(request_id),
        subject_id=subject_id,
        record_id=record_id,
        grant_id=grant_id,
        legal_gateway=legal_gateway,
        dp_condition=dp_condition,
        justification=justification,
        marking=marking,
        recipients=recipients,
        detail=detail or {},
    )


def consultation(actor: ActorLike, **fields: Unpack[ProcessingFields]) -> AuditEvent:
    """A view of a subject or record (keywords as :func:`processing`)."""
    return processing(EventType.CONSULTATION, actor, **fields)


def disclosure(
    actor: ActorLike, *, recipients: tuple[str, ...], **fields: Unpack[ProcessingFields]
) -> AuditEvent:
    """A share, export, print or download; names its recipients (s.62(3)(b)(ii))."""
    return processing(EventType.DISCLOSURE, actor, recipients=recipients, **fields)


def collection(actor: ActorLike, **fields: Unpack[ProcessingFields]) -> AuditEvent:
    """A new subject or record entered."""
    return processing(EventType.COLLECTION, actor, **fields)


def alteration(actor: ActorLike, **fields: Unpack[ProcessingFields]) -> AuditEvent:
    """A change to a subject or record (a marking change included)."""
    return processing(EventType.ALTERATION, actor, **fields)


def combination(actor: ActorLike, **fields: Unpack[ProcessingFields]) -> AuditEvent:
    """Records combined into one view or export."""
    return processing(EventType.COMBINATION, actor, **fields)


def erasure(actor: ActorLike, **fields: Unpack[ProcessingFields]) -> AuditEvent:
    """A record disposed of under its retention rule."""
    return processing(EventType.ERASURE, actor, **fields)


def authz_fail(
    actor: ActorLike | None,
    *,
    reason: str,
    subject_id: uuid.UUID | None = None,
    record_id: uuid.UUID | None = None,
    grant_id: uuid.UUID | None = None,
    detail: Mapping[str, str] | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """A refused attempt; ``reason`` is a short code such as ``grant_expired``."""
    return AuditEvent(
        type=EventType.AUTHZ_FAIL,
        outcome=Outcome.DENIED,
        actor_id=actor.user_id if actor else None,
        actor_agency_id=actor.agency_id if actor else None,
        request_id=_rid(request_id),
        subject_id=subject_id,
        record_id=record_id,
        grant_id=grant_id,
        reason=reason,
        detail=detail or {},
    )


def break_glass(
    actor: ActorLike,
    *,
    subject_id: uuid.UUID,
    justification: str,
    legal_gateway: str = "EMERGENCY",
    dp_condition: str | None = None,
    record_id: uuid.UUID | None = None,
    marking: str | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """An emergency access, with its mandatory reason."""
    return AuditEvent(
        type=EventType.BREAK_GLASS,
        outcome=Outcome.SUCCESS,
        actor_id=actor.user_id,
        actor_agency_id=actor.agency_id,
        request_id=_rid(request_id),
        subject_id=subject_id,
        record_id=record_id,
        legal_gateway=legal_gateway,
        dp_condition=dp_condition,
        justification=justification,
        marking=marking,
    )


def grant_changed(
    actor: ActorLike,
    *,
    grant_id: uuid.UUID,
    reason: str,
    subject_id: uuid.UUID | None = None,
    record_id: uuid.UUID | None = None,
    legal_gateway: str | None = None,
    dp_condition: str | None = None,
    justification: str | None = None,
    detail: Mapping[str, str] | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """A grant requested, approved, refused, revoked, suspended or renewed (``reason``)."""
    return AuditEvent(
        type=EventType.GRANT_CHANGED,
        outcome=Outcome.SUCCESS,
        actor_id=actor.user_id,
        actor_agency_id=actor.agency_id,
        request_id=_rid(request_id),
        grant_id=grant_id,
        subject_id=subject_id,
        record_id=record_id,
        legal_gateway=legal_gateway,
        dp_condition=dp_condition,
        justification=justification,
        reason=reason,
        detail=detail or {},
    )


def login(
    *, user_id: uuid.UUID, agency_id: uuid.UUID, method: str, request_id: str | None = None
) -> AuditEvent:
    """A completed sign-in (both factors, or the identity provider)."""
    return AuditEvent(
        type=EventType.LOGIN,
        outcome=Outcome.SUCCESS,
        actor_id=user_id,
        actor_agency_id=agency_id,
        request_id=_rid(request_id),
        method=method,
    )


def login_failed(
    *,
    reason: str,
    method: str,
    user_id: uuid.UUID | None = None,
    agency_id: uuid.UUID | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """A refused sign-in step. The account is named only by id when it exists; the name typed
    is never recorded (people type passwords into the name field)."""
    return AuditEvent(
        type=EventType.LOGIN_FAILED,
        outcome=Outcome.FAILURE,
        actor_id=None,
        actor_agency_id=agency_id,
        request_id=_rid(request_id),
        target_user_id=user_id,
        method=method,
        reason=reason,
    )


def logout(
    *, user_id: uuid.UUID, agency_id: uuid.UUID, request_id: str | None = None
) -> AuditEvent:
    """The user signed out."""
    return AuditEvent(
        type=EventType.LOGOUT,
        outcome=Outcome.SUCCESS,
        actor_id=user_id,
        actor_agency_id=agency_id,
        request_id=_rid(request_id),
        reason="signed_out",
    )


def session_ended(
    *,
    user_id: uuid.UUID,
    reason: str,
    actor: ActorLike | None = None,
    detail: Mapping[str, str] | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """Sessions of ``user_id`` ended for ``reason`` (timeout, password change, by an admin...);
    ``actor`` is who ended them, or None when the system did."""
    return AuditEvent(
        type=EventType.SESSION_ENDED,
        outcome=Outcome.SUCCESS,
        actor_id=actor.user_id if actor else None,
        actor_agency_id=actor.agency_id if actor else None,
        request_id=_rid(request_id),
        target_user_id=user_id,
        reason=reason,
        detail=detail or {},
    )


def mfa_reset(actor: ActorLike, *, user_id: uuid.UUID, request_id: str | None = None) -> AuditEvent:
    """An administrator reset ``user_id``'s second factor."""
    return AuditEvent(
        type=EventType.MFA_RESET,
        outcome=Outcome.SUCCESS,
        actor_id=actor.user_id,
        actor_agency_id=actor.agency_id,
        request_id=_rid(request_id),
        target_user_id=user_id,
    )


def user_changed(
    actor: ActorLike,
    *,
    user_id: uuid.UUID,
    reason: str,
    detail: Mapping[str, str] | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """An account created, disabled, enabled, its roles or clearance changed (``reason``);
    ``detail`` may say which roles, never a password."""
    return AuditEvent(
        type=EventType.USER_CHANGED,
        outcome=Outcome.SUCCESS,
        actor_id=actor.user_id,
        actor_agency_id=actor.agency_id,
        request_id=_rid(request_id),
        target_user_id=user_id,
        reason=reason,
        detail=detail or {},
    )


def log_read(
    actor: ActorLike,
    *,
    reason: str = "search",
    subject_id: uuid.UUID | None = None,
    detail: Mapping[str, str] | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """The access log itself was searched or read (meta-audit); ``detail`` holds the filters."""
    return AuditEvent(
        type=EventType.LOG_READ,
        outcome=Outcome.SUCCESS,
        actor_id=actor.user_id,
        actor_agency_id=actor.agency_id,
        request_id=_rid(request_id),
        subject_id=subject_id,
        reason=reason,
        detail=detail or {},
    )


def log_exported(
    actor: ActorLike,
    *,
    recipients: tuple[str, ...] = (),
    justification: str | None = None,
    detail: Mapping[str, str] | None = None,
    subject_id: uuid.UUID | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """An extract of the access log was exported (for the ICO, an inquiry...); ``subject_id``
    when the extract is of one subject's entries, so a search by that subject finds it."""
    return AuditEvent(
        type=EventType.LOG_EXPORTED,
        outcome=Outcome.SUCCESS,
        actor_id=actor.user_id,
        actor_agency_id=actor.agency_id,
        subject_id=subject_id,
        request_id=_rid(request_id),
        recipients=recipients,
        justification=justification,
        detail=detail or {},
    )


def checkpoint(*, key_id: str, request_id: str | None = None) -> AuditEvent:
    """A signed checkpoint is being taken; the checkpoint signs the chain head that includes
    this event."""
    return AuditEvent(
        type=EventType.CHECKPOINT,
        outcome=Outcome.SUCCESS,
        actor_id=None,
        actor_agency_id=None,
        request_id=_rid(request_id),
        detail={"key_id": key_id},
    )
