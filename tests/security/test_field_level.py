"""Field-level: for each view profile, the fields a page shows are a subset of the profile's
allowed fields; an empty profile shows none. Health details are never in a summary.

Pages mark every shown field (``data-field`` for the subject, ``data-record-field`` for
records); the tests read those marks and also look for the planted values of fields a profile
may not show, so a field rendered without its mark is caught too.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from portal.access.models import ViewProfile
from portal.records import schemas as record_schemas
from portal.subjects import schemas as subject_schemas
from tests.helpers import csrf_token
from tests.integration.subjects.sharing import SUBJECT_VALUES, World
from tests.leaks import CONTENT_MARKER

PARTNER = {
    ViewProfile.SUMMARY: "housing",
    ViewProfile.SUMMARY_AND_ACTIONS: "csc",
    ViewProfile.FULL: "probation",
}
#: Record bodies planted per kind, to see which records a page shows.
BODIES = {
    "summary": "summary-words",
    "health": "health-words",
    "plan": "plan-words",
    "note": "note-words",
}


@pytest.fixture
def world(app: Any, factories: Any) -> World:
    return World(app, factories)


def _setup(world: World, profile: ViewProfile) -> tuple[Any, Any]:
    subject_id = world.subject()
    world.record(subject_id, body=BODIES["summary"])
    world.record(subject_id, body=BODIES["health"], health=True)
    world.record(subject_id, kind="RISK_MANAGEMENT_PLAN", body=BODIES["plan"])
    world.record(subject_id, kind="NOTE", body=BODIES["note"])
    partner = PARTNER[profile]
    world.grant(subject_id, partner, profile=profile.value, acknowledged=True)
    return subject_id, partner


def _pages(world: World, make_client: Any, subject_id: Any, partner: str) -> dict[str, str]:
    client = world.browser(world.people[partner], make_client)
    path = f"/subjects/{subject_id}"
    shown = client.get(path)
    assert shown.status_code == 200
    printed = client.post(f"{path}/print", data={"csrf_token": csrf_token(client, path)})
    assert printed.status_code == 200
    return {"page": shown.get_data(as_text=True), "print": printed.get_data(as_text=True)}


def _marked(html: str, attribute: str) -> set[str]:
    return set(re.findall(rf'{attribute}="([a-z_]+)"', html))


@pytest.mark.parametrize("profile", list(ViewProfile))
def test_subject_page_shows_only_the_profiles_fields(world, make_client, profile):
    subject_id, partner = _setup(world, profile)
    allowed_subject = subject_schemas.SUBJECT_FIELDS[profile]
    allowed_record = record_schemas.RECORD_FIELDS[profile]

    for name, html in _pages(world, make_client, subject_id, partner).items():
        if name == "page":
            assert _marked(html, "data-field") <= allowed_subject, name
            assert _marked(html, "data-field") >= {"family_name", "date_of_birth"}
        assert _marked(html, "data-record-field") <= allowed_record, name
        for field, value in SUBJECT_VALUES.items():
            assert (value in html) == (field in allowed_subject), (name, field)
        shows_plans = "RISK_MANAGEMENT_PLAN" in record_schemas.RECORD_KINDS[profile]
        assert (BODIES["plan"] in html) == shows_plans, name
        assert ("supervision section" in html) == ("supervision_html" in allowed_record), name
        assert (BODIES["note"] in html) == ("NOTE" in record_schemas.RECORD_KINDS[profile])
        health_allowed = record_schemas.SHOWS_HEALTH_DETAILS[profile]
        assert (BODIES["health"] in html) == health_allowed, name
        assert BODIES["summary"] in html, name


def test_health_details_are_never_part_of_a_summary():
    for profile in (ViewProfile.SUMMARY, ViewProfile.SUMMARY_AND_ACTIONS):
        assert not record_schemas.SHOWS_HEALTH_DETAILS[profile]
        assert "contains_health_details" not in record_schemas.RECORD_FIELDS[profile]
        assert not record_schemas.record_visible(
            profile, kind="RISK_SUMMARY", contains_health_details=True
        )
    assert record_schemas.record_visible(
        ViewProfile.FULL, kind="RISK_SUMMARY", contains_health_details=True
    )


def test_profiles_only_widen_from_summary_to_full():
    summary, actions, full = (
        subject_schemas.SUBJECT_FIELDS[p]
        for p in (ViewProfile.SUMMARY, ViewProfile.SUMMARY_AND_ACTIONS, ViewProfile.FULL)
    )
    assert summary <= actions <= full
    records = [record_schemas.RECORD_FIELDS[p] for p in ViewProfile]
    assert records[0] <= records[1] <= records[2]
    assert not {"pnc_id", "ndelius_crn", "visor_ref"} & summary


def test_an_empty_profile_shows_no_field(world, make_client, monkeypatch):
    subject_id, partner = _setup(world, ViewProfile.FULL)
    monkeypatch.setitem(subject_schemas.SUBJECT_FIELDS, ViewProfile.FULL, frozenset())
    monkeypatch.setitem(record_schemas.RECORD_FIELDS, ViewProfile.FULL, frozenset())

    for name, html in _pages(world, make_client, subject_id, partner).items():
        assert _marked(html, "data-field") == set(), name
        assert _marked(html, "data-record-field") == set(), name
        for value in (*SUBJECT_VALUES.values(), *BODIES.values(), CONTENT_MARKER):
            assert value not in html, (name, value)
        assert "FAIRWEATHER" not in html


def test_output_schemas_keep_exactly_the_allowed_fields():
    source = {name: f"value-{name}" for name in subject_schemas.SubjectFullSchema().fields}
    source["aliases"] = ["a"]
    for profile in ViewProfile:
        allowed = subject_schemas.SUBJECT_FIELDS[profile]
        assert set(subject_schemas.subject_output(source, allowed)) == allowed
    assert subject_schemas.subject_output(source, frozenset()) == {}
    record = {name: "x" for name in record_schemas.RecordFullSchema().fields}
    record["contains_health_details"] = True
    for profile in ViewProfile:
        allowed = record_schemas.RECORD_FIELDS[profile]
        assert set(record_schemas.record_output(record, allowed)) == allowed
    assert record_schemas.record_output(record, frozenset()) == {}


def test_every_profile_has_a_field_list_and_labels_match_the_models():
    from portal.records.models import RecordKind
    from portal.subjects.models import SubjectType

    profiles = {profile.value for profile in ViewProfile}
    for table in (
        subject_schemas.SUBJECT_FIELDS,
        record_schemas.RECORD_FIELDS,
        record_schemas.RECORD_KINDS,
        record_schemas.SHOWS_HEALTH_DETAILS,
    ):
        assert set(table) == profiles
    assert {t.value: t.label for t in SubjectType} == subject_schemas.SUBJECT_TYPES
    kinds = {k.value: k.label for k in RecordKind}
    assert record_schemas.CREATABLE_KINDS.items() <= kinds.items()
