"""Recording a meeting, the chair's approval and distribution: field errors and no partial
writes on every refusal; distribution creates the grants it needs through the gate."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.access.models import AccessGrant
from portal.extensions import db
from portal.meetings.models import CarriedAction, Meeting, MeetingAction, MinutesRecipient
from tests.integration.meetings.conftest import (
    MeetingWorld,
    date_parts,
    distributed_meeting,
    post,
    token,
)
from tests.leaks import CONTENT_MARKER


def _html(response: Any) -> str:
    return str(response.get_data(as_text=True))


def test_create_meeting_records_it_with_draft_minutes_and_one_collection(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    before = mw.last_seq()
    meeting_id = mw.create_meeting(chair, subject, discussion=f"<p>{CONTENT_MARKER}</p>")
    meeting = mw.row(Meeting, meeting_id)
    assert (meeting.sequence, meeting.kind, meeting.level) == (1, "INITIAL", 2)
    assert [v.status for v in mw.versions(meeting_id)] == ["DRAFT"]
    # The form page is a consultation of the subject; saving is one collection.
    assert mw.event_types(before) == ["CONSULTATION", "COLLECTION"]
    page = chair.get(f"/meetings/{meeting_id}")
    assert "Remain at level 2" in _html(page)
    assert "OFFICIAL-SENSITIVE" in _html(page)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"held_on": ["31", "2", "2026"]},
            "held_on-day",  # a date's error links to its first box
            "The date of the meeting must be a real date",
        ),
        ({"rationale_1": ""}, "rationale_1", "Enter the rationale for decision 1"),
        ({"attendee_2_name": None}, "attendee_2_name", "Enter the name of attendee 2"),
        ({"level": "4"}, "level", "Select the level of the meeting from the list"),
        ({"attendee_1_agency": str(uuid.UUID(int=7))}, "attendee_1_agency", "Select the agency"),
    ],
)
def test_create_meeting_with_bad_answers_shows_field_errors_and_writes_nothing(
    mw: MeetingWorld, make_client: Any, changes: dict[str, Any], field: str, message: str
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    before = mw.last_seq()
    response = post(chair, f"/subjects/{subject}/meetings/new", mw.meeting_form(**changes))
    html = _html(response)
    assert response.status_code == 400
    assert "govuk-error-summary" in html
    assert f'href="#{field}"' in html
    assert message in html
    assert mw.count(Meeting) == 0
    assert "COLLECTION" not in mw.event_types(before)


def test_review_meeting_for_a_new_subject_is_refused_on_the_kind_field(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    response = post(chair, f"/subjects/{subject}/meetings/new", mw.meeting_form(kind="REVIEW"))
    assert response.status_code == 400
    assert "select initial meeting" in _html(response)
    assert mw.count(Meeting) == 0


def test_partner_cannot_record_a_meeting(mw: MeetingWorld, make_client: Any) -> None:
    subject = mw.subject()
    officer = mw.browser(mw.people["probation"], make_client)
    assert officer.get(f"/subjects/{subject}/meetings/new").status_code == 403
    assert mw.count(Meeting) == 0


def test_approval_needs_chair_decision_review_date_and_lead_agency(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(
        chair,
        subject,
        chair_name=None,
        chair_agency_id=None,
        decision_1=None,
        rationale_1=None,
        next_review_on=None,
        lead_agency_id=None,
    )
    before = mw.last_seq()
    response = mw.approve(chair, meeting_id)
    html = _html(response)
    assert response.status_code == 400
    for message in (
        "Enter the chair’s name and agency before approval",
        "Record at least one decision with its rationale before approval",
        "Enter the next review date before approval",
        "Select the lead agency before approval",
    ):
        assert message in html
    assert 'href="#chair_name"' in html
    assert 'href="#lead_agency_id"' in html
    assert [v.status for v in mw.versions(meeting_id)] == ["DRAFT"]
    assert mw.versions(meeting_id)[0].snapshot is None
    assert "ALTERATION" not in mw.event_types(before)


def test_approve_refused_shows_the_stored_record_with_one_consultation(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(chair, subject, decision_1=None, rationale_1=None)
    path = f"/meetings/{meeting_id}/approve"
    csrf = token(chair, f"/meetings/{meeting_id}")
    before = mw.last_seq()
    response = chair.post(path, data={"csrf_token": csrf})
    html = _html(response)
    assert response.status_code == 400
    assert "Record at least one decision with its rationale before approval" in html
    assert 'value="Northshire Police HQ"' in html  # the form holds the stored record
    # One request, one page shown: one consultation (the refused approval wrote nothing).
    assert mw.event_types(before) == ["CONSULTATION"]


def test_approval_freezes_the_record_and_stops_edits(mw: MeetingWorld, make_client: Any) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(chair, subject)
    assert mw.approve(chair, meeting_id).status_code == 302
    (version,) = mw.versions(meeting_id)
    assert version.status == "CHAIR_APPROVED"
    assert "Remain at level 2" in (version.snapshot or "")
    response = post(
        chair, f"/meetings/{meeting_id}/edit", mw.meeting_form(decision_1="Changed afterwards")
    )
    assert "amend them instead" in _html(response)
    assert "Changed afterwards" not in _html(chair.get(f"/meetings/{meeting_id}"))


def test_distribution_grants_each_agency_with_s325_and_its_condition_until_review_plus_grace(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    before = mw.last_seq()
    meeting_id, _ = distributed_meeting(mw, chair, subject)
    review = mw.row(Meeting, meeting_id).next_review_on
    with mw.app.app_context():
        grants = db.session.execute(select(AccessGrant)).scalars().all()
        recipients = db.session.execute(select(MinutesRecipient)).scalars().all()
        db.session.expunge_all()
    by_agency = {g.grantee_agency_id: g for g in grants}
    assert set(by_agency) == {mw.partners[k].id for k in ("probation", "csc", "housing")}
    # The start of the UK day after the review date plus the 14 days' grace.
    ends = datetime.combine(review + timedelta(days=15), time.min, tzinfo=ZoneInfo("Europe/London"))
    for grant in grants:
        assert grant.legal_gateway == "GW-CJA03-S325"
        assert grant.status == "ACTIVE"
        assert grant.scope_kind == "SUBJECT"
        assert grant.view_profile == "SUMMARY_AND_ACTIONS"
        assert grant.expires_at == ends
    assert by_agency[mw.partners["probation"].id].dp_condition == "DP3-SCH8-4"
    assert by_agency[mw.partners["csc"].id].dp_condition == "GDPR-6-1-E"
    assert {r.grant_id for r in recipients} == {g.id for g in grants}
    assert mw.versions(meeting_id)[0].status == "DISTRIBUTED"
    types = mw.event_types(before)
    assert types.count("GRANT_CHANGED") == 3
    # One disclosure per condition used: Part 3 (probation) and UK GDPR (the others).
    disclosure = [e for e in mw.events() if e.event_type == "DISCLOSURE"]
    assert sorted(e.dp_condition for e in disclosure) == ["DP3-SCH8-4", "GDPR-6-1-E"]


def test_distribution_with_a_gdpr_code_for_a_competent_authority_is_refused_and_writes_nothing(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(chair, subject)
    assert mw.approve(chair, meeting_id).status_code == 302
    before = mw.last_seq()
    probation = f"dp_{mw.partners['probation'].id.hex}"
    housing = f"dp_{mw.partners['housing'].id.hex}"
    response = mw.distribute(chair, meeting_id, **{probation: "GDPR-6-1-E", housing: "DP3-S35-LE"})
    html = _html(response)
    assert response.status_code == 400
    assert "competent authority: select a Part 3 condition" in html
    assert "not a competent authority: select a UK GDPR condition" in html
    assert f'href="#{probation}"' in html
    assert mw.count(AccessGrant) == 0
    assert mw.count(MinutesRecipient) == 0
    assert mw.versions(meeting_id)[0].status == "CHAIR_APPROVED"
    assert set(mw.event_types(before)) == {"CONSULTATION"}


def test_sharing_outside_the_list_needs_the_chairs_recorded_consent(
    mw: MeetingWorld, make_client: Any
) -> None:
    other = mw.factories.agency(
        name="Youth Offending Team", type="yot", is_competent_authority=False
    )
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(chair, subject)
    assert mw.approve(chair, meeting_id).status_code == 302
    response = mw.distribute(
        chair, meeting_id, extra_agency_id=str(other.id), extra_condition="GDPR-6-1-E"
    )
    assert "Record the chair’s consent" in _html(response)
    assert mw.count(AccessGrant) == 0
    response = mw.distribute(
        chair,
        meeting_id,
        extra_agency_id=str(other.id),
        extra_condition="GDPR-6-1-E",
        chair_consent="Chair agreed by phone on the day: YOT supervises the son",
    )
    assert response.status_code == 302, _html(response)
    with mw.app.app_context():
        extra = db.session.execute(
            select(MinutesRecipient).where(MinutesRecipient.agency_id == other.id)
        ).scalar_one()
        assert extra.chair_consent
        assert "YOT" in extra.chair_consent
    assert mw.count(AccessGrant) == 4


def test_review_meeting_carries_unfinished_actions_forward(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    first, owned = distributed_meeting(mw, chair, subject)
    # The chair cancels the housing action: finished actions are not carried.
    response = post(
        chair,
        f"/actions/{owned['housing']}",
        {"status": "CANCELLED", "note": "No longer needed"},
    )
    assert response.status_code == 302
    # Held the same day (a meeting cannot be recorded before the day it is held).
    review = mw.create_meeting(chair, subject, kind="REVIEW", held_on=date_parts(mw.today()))
    assert mw.row(Meeting, review).sequence == 2
    with mw.app.app_context():
        carried = set(
            db.session.execute(
                select(CarriedAction.action_id).where(CarriedAction.meeting_id == review)
            ).scalars()
        )
    assert carried == {owned["probation"], owned["csc"]}
    page = _html(chair.get(f"/meetings/{review}"))
    assert "Carried forward from earlier meetings" in page
    assert "probation action" in page
    assert "housing action" not in page.split("Carried forward")[1]
    assert mw.count(MeetingAction) == 3
    assert first != review
