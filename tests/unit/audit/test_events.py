"""Audit events: what they may hold, the canonical body, and the columns derived from it."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.audit import events
from portal.audit.events import (
    SEARCH_FIELDS,
    AuditEvent,
    EventType,
    InvalidEvent,
    Outcome,
    canonical_json,
    event_body,
    search_columns,
)

AT = datetime(2026, 11, 24, 9, 30, 1, 250, tzinfo=UTC)


@dataclasses.dataclass(frozen=True)
class Person:
    user_id: uuid.UUID
    agency_id: uuid.UUID


ME = Person(uuid.UUID(int=1), uuid.UUID(int=2))


def _view(**extra: object) -> AuditEvent:
    fields: dict[str, object] = {"subject_id": uuid.UUID(int=3), "request_id": "r"}
    fields.update(extra)
    return events.consultation(ME, **fields)  # type: ignore[arg-type]


def test_event_types_are_the_s62_kinds_and_the_portal_events() -> None:
    assert {t.value for t in EventType} == {
        "COLLECTION",
        "ALTERATION",
        "CONSULTATION",
        "DISCLOSURE",
        "COMBINATION",
        "ERASURE",
        "AUTHZ_FAIL",
        "LOGIN",
        "LOGIN_FAILED",
        "LOGOUT",
        "MFA_RESET",
        "SESSION_ENDED",
        "USER_CHANGED",
        "GRANT_CHANGED",
        "BREAK_GLASS",
        "LOG_READ",
        "LOG_EXPORTED",
        "CHECKPOINT",
    }


def test_an_event_has_no_field_that_could_hold_a_secret_or_content() -> None:
    names = {f.name for f in dataclasses.fields(AuditEvent)}
    assert names == {
        "type",
        "outcome",
        "actor_id",
        "actor_agency_id",
        "request_id",
        "subject_id",
        "record_id",
        "grant_id",
        "target_user_id",
        "legal_gateway",
        "dp_condition",
        "justification",
        "marking",
        "recipients",
        "method",
        "reason",
        "detail",
    }


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "new_password",
        "totp_code",
        "otp",
        "session_id",
        "token",
        "api_secret",
        "record_content",
        "body",
        "narrative_text",
        "cookie",
    ],
)
def test_detail_keys_naming_secrets_or_content_are_refused(key: str) -> None:
    with pytest.raises(InvalidEvent):
        _view(detail={key: "x"})


@pytest.mark.parametrize(
    "detail",
    [
        {"subject_id": "x"},  # would shadow a search field
        {"Bad-Key": "x"},
        {"k": "x" * 201},
        {"k": 5},
        {f"k{i}": "x" for i in range(21)},
    ],
)
def test_malformed_detail_is_refused(detail: dict[str, object]) -> None:
    with pytest.raises(InvalidEvent):
        _view(detail=detail)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("legal_gateway", "gw-lowercase"),
        ("legal_gateway", 'GW"QUOTE'),
        ("dp_condition", "DP3 SPACE"),
        ("marking", 'OFFICIAL"'),
        ("marking", "OFFICIAL\\"),
        ("marking", "official"),
        ("request_id", "has space"),
        ("request_id", "x" * 65),
        ("justification", " "),
        ("justification", "x" * 2001),
        ("subject_id", "3"),
    ],
)
def test_values_outside_their_pattern_are_refused(field: str, value: object) -> None:
    with pytest.raises(InvalidEvent):
        _view(**{field: value})


def test_processing_events_name_a_subject_or_a_record() -> None:
    with pytest.raises(InvalidEvent):
        events.consultation(ME, request_id="r")
    assert events.consultation(ME, record_id=uuid.uuid4(), request_id="r").record_id


def test_a_successful_disclosure_names_its_recipients() -> None:
    with pytest.raises(InvalidEvent):
        events.disclosure(ME, recipients=(), subject_id=uuid.uuid4(), request_id="r")
    with pytest.raises(InvalidEvent):
        events.disclosure(ME, recipients=("",), subject_id=uuid.uuid4(), request_id="r")
    sent = events.disclosure(ME, recipients=("Housing",), subject_id=uuid.uuid4(), request_id="r")
    assert sent.recipients == ("Housing",)


def test_unknown_type_or_outcome_is_refused() -> None:
    with pytest.raises(InvalidEvent):
        AuditEvent(
            type="VIEW", outcome=Outcome.SUCCESS, actor_id=None, actor_agency_id=None, request_id=""
        )  # type: ignore[arg-type]
    with pytest.raises(InvalidEvent):
        AuditEvent(
            type=EventType.LOGIN, outcome="ok", actor_id=None, actor_agency_id=None, request_id=""
        )  # type: ignore[arg-type]


def test_login_failed_records_the_account_by_id_only() -> None:
    failed = events.login_failed(
        reason="bad_credentials", method="password", user_id=ME.user_id, request_id="r"
    )
    body = event_body(failed, AT)
    assert body["actor_id"] is None
    assert body["target_user_id"] == ME.user_id.hex
    assert set(body["with"]) == {"method", "reason"}


def test_canonical_json_is_sorted_compact_and_utf8() -> None:
    text = canonical_json({"b": 1, "a": "é “x”", "c": [1, {"z": None, "y": True}]})
    assert text == '{"a":"é “x”","b":1,"c":[1,{"y":true,"z":null}]}'
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_body_puts_every_search_field_first_then_the_rest_under_with() -> None:
    body = event_body(_view(justification="why", detail={"page": "summary"}), AT)
    assert list(json.loads(canonical_json(body))) == [*SEARCH_FIELDS, "v", "with"]
    assert body["at"] == "2026-11-24T09:30:01.000250Z"
    assert body["subject_id"] == uuid.UUID(int=3).hex
    assert body["with"] == {"justification": "why", "detail": {"page": "summary"}}
    bare = AuditEvent(EventType.LOGIN, Outcome.SUCCESS, ME.user_id, ME.agency_id, request_id="r")
    assert "with" not in event_body(bare, AT)


def test_event_time_is_utc_and_naive_times_are_refused() -> None:
    local = AT.astimezone(timezone(timedelta(hours=5)))
    assert event_body(_view(), local)["at"] == event_body(_view(), AT)["at"]
    with pytest.raises(ValueError, match="timezone"):
        event_body(_view(), AT.replace(tzinfo=None))


codes = st.from_regex(r"[A-Z0-9][A-Z0-9-]{0,20}", fullmatch=True)
optional_ids = st.one_of(st.none(), st.uuids())


@given(
    subject=st.uuids(),
    record=optional_ids,
    grant=optional_ids,
    gateway=st.one_of(st.none(), codes),
    condition=st.one_of(st.none(), codes),
    marking=st.one_of(
        st.none(), st.from_regex(r"[A-Z0-9][A-Z0-9 ,:;()/&'.+-]{0,40}", fullmatch=True)
    ),
    justification=st.one_of(st.none(), st.text(min_size=1, max_size=200).filter(str.strip)),
    micros=st.integers(min_value=0, max_value=10**12),
)
def test_search_columns_round_trip_and_the_body_starts_with_them(
    subject: uuid.UUID,
    record: uuid.UUID | None,
    grant: uuid.UUID | None,
    gateway: str | None,
    condition: str | None,
    marking: str | None,
    justification: str | None,
    micros: int,
) -> None:
    at = AT + timedelta(microseconds=micros)
    event = events.consultation(
        ME,
        subject_id=subject,
        record_id=record,
        grant_id=grant,
        legal_gateway=gateway,
        dp_condition=condition,
        marking=marking,
        justification=justification,
        request_id="r-1",
    )
    text = canonical_json(event_body(event, at))
    columns = search_columns(json.loads(text))
    assert columns["subject_id"] == subject
    assert columns["record_id"] == record
    assert columns["grant_id"] == grant
    assert columns["legal_gateway"] == gateway
    assert columns["marking"] == marking
    assert columns["recorded_at"] == at
    # What the verifier's SQL rebuilds from the columns is exactly the start of the body.
    prefix = "{" + "".join(
        f'"{name}":{json.dumps(_column_text(name, columns))},' for name in SEARCH_FIELDS
    )
    assert text.startswith(prefix)


def _column_text(name: str, columns: dict[str, object]) -> object:
    value = columns["event_type" if name == "type" else "recorded_at" if name == "at" else name]
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value
