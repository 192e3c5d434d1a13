""" "Our actions" shows every user the actions they can open: the agency's own actions on the
agency's own meetings (a MOSOVO officer, who does not chair), and, for a co-ordinator, both
every action of the agency's meetings and the agency's actions from partners' minutes it was
sent. Each subject shown is still put to the gate and logged, naming the actions shown."""

from __future__ import annotations

import json
import uuid
from typing import Any

from portal.core.identity import Role
from portal.core.markings import Marking
from portal.db.transaction import transaction
from portal.extensions import db
from portal.subjects.models import Subject
from tests.integration.meetings.conftest import MeetingWorld, acknowledge, distributed_meeting


def _html(response: Any) -> str:
    assert response.status_code == 200
    return str(response.get_data(as_text=True))


def _probation_subject(mw: MeetingWorld) -> uuid.UUID:
    """A subject probation owns (the MAPPA office can be in probation)."""
    subject_id = mw.subject(family_name="Probationowned")
    probation = mw.partners["probation"].id
    with mw.app.app_context(), transaction():
        subject = db.session.get(Subject, subject_id)
        assert subject is not None
        subject.owning_agency_id = probation
        subject.lead_agency_id = probation
        marking = Marking.from_json(subject.marking)
        subject.marking = Marking(
            sensitive=marking.sensitive, descriptors=marking.descriptors, owner=str(probation)
        ).to_json()
    return subject_id


def _listed(mw: MeetingWorld, since: int) -> dict[str, str]:
    """``{subject hex: action ids named}`` of the list events written since ``since``."""
    out = {}
    for event in mw.events():
        if event.seq > since:
            assert event.event_type == "CONSULTATION"
            body = json.loads(event.body)
            assert body["with"]["detail"]["listing"] == "our_actions"
            out[body["subject_id"]] = json.dumps(body["with"]["detail"])
    return out


def test_mosovo_officer_sees_the_police_actions_of_police_meetings(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(chair, subject)
    police = mw.add_action(chair, meeting_id, str(mw.police.id), description="police home visit")
    mw.add_action(chair, meeting_id, "probation", description="probation action")
    assert mw.approve(chair, meeting_id).status_code == 302
    assert mw.distribute(chair, meeting_id).status_code == 302

    officer = mw.browser(mw.officer, make_client)
    assert officer.get(f"/actions/{police}").status_code == 200
    before = mw.last_seq()
    html = _html(officer.get("/actions"))
    assert "police home visit" in html
    # Not the partners' actions: the officer does not chair the meetings.
    assert "probation action" not in html
    listed = _listed(mw, before)
    assert list(listed) == [subject.hex]
    assert str(police) in listed[subject.hex]


def test_probation_coordinator_sees_probations_actions_from_police_minutes(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    _, owned = distributed_meeting(mw, chair, subject)
    coordinator = mw.factories.user(
        agency=mw.partners["probation"], roles=(Role.MAPPA_COORDINATOR,), full_name="Pat Coord"
    )
    browser = mw.browser(coordinator, make_client)
    acknowledge(browser, subject)
    assert browser.get(f"/actions/{owned['probation']}").status_code == 200
    before = mw.last_seq()
    html = _html(browser.get("/actions"))
    assert "probation action" in html
    assert "csc action" not in html
    assert "housing action" not in html
    listed = _listed(mw, before)
    assert list(listed) == [subject.hex]
    assert str(owned["probation"]) in listed[subject.hex]
    assert str(owned["csc"]) not in listed[subject.hex]


def test_probation_coordinator_sees_probation_meetings_and_received_actions_together(
    mw: MeetingWorld, make_client: Any
) -> None:
    # A subject probation owns, with a meeting its co-ordinator chairs...
    coordinator = mw.factories.user(
        agency=mw.partners["probation"], roles=(Role.MAPPA_COORDINATOR,), full_name="Pat Coord"
    )
    own_subject = _probation_subject(mw)
    own_chair = mw.browser(coordinator, make_client)
    own_meeting = mw.create_meeting(
        own_chair,
        own_subject,
        chair_agency_id=str(mw.partners["probation"].id),
        attendee_1_agency=str(mw.police.id),
    )
    housing_task = mw.add_action(own_chair, own_meeting, "housing", description="housing task")
    # ...and a police meeting whose minutes gave probation an action.
    police_subject = mw.subject()
    police_chair = mw.browser(mw.coordinator, make_client)
    _, owned = distributed_meeting(mw, police_chair, police_subject)
    acknowledge(own_chair, police_subject)
    html = _html(own_chair.get("/actions"))
    assert "housing task" in html  # every action of the agency's own meetings
    assert "probation action" in html  # its own action from police minutes
    assert "csc action" not in html
    assert own_chair.get(f"/actions/{housing_task}").status_code == 200
    assert isinstance(owned["probation"], uuid.UUID)


def test_an_action_from_minutes_not_sent_stays_off_a_partner_coordinators_list(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(chair, subject)
    action = mw.add_action(chair, meeting_id, "probation", description="draft only action")
    coordinator = mw.factories.user(
        agency=mw.partners["probation"], roles=(Role.MAPPA_COORDINATOR,), full_name="Pat Coord"
    )
    browser = mw.browser(coordinator, make_client)
    assert "draft only action" not in _html(browser.get("/actions"))
    assert browser.get(f"/actions/{action}").status_code == 404
