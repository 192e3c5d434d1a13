"""Who distributed minutes reach: the list offers attendees' agencies, agencies holding an
agency-wide grant (never one named user's agency) and agencies owning an unfinished action in
the minutes; the chair answers for each listed agency (never leaving an action's owner off, and
saying why any agency is left off, which is recorded), and grants, recipients and the
DISCLOSURE event cover only the agencies actually sent to. The page is one consultation when
shown, and none when the minutes go out."""

from __future__ import annotations

import json
import uuid
from html import unescape
from typing import Any

from sqlalchemy import select

from portal.access.models import AccessGrant
from portal.core.identity import Role
from portal.extensions import db
from portal.meetings.models import MinutesRecipient, MinutesWithheld
from tests.integration.meetings.conftest import MeetingWorld, acknowledge, post, token

#: What the browser sends for "Do not send to this agency".
NOT_SENT = "NOT_SENT"
NO_HOUSING_ATTENDEE = {f"attendee_3_{k}": None for k in ("agency", "name", "role", "attendance")}
#: The chair's reason for leaving agencies off.
REASON = "Housing has no role in this review's plan"


def _html(response: Any) -> str:
    return str(response.get_data(as_text=True))


def _field(mw: MeetingWorld, partner: str) -> str:
    return f"dp_{mw.partners[partner].id.hex}"


def _grantees(mw: MeetingWorld) -> set[uuid.UUID]:
    with mw.app.app_context():
        return set(db.session.execute(select(AccessGrant.grantee_agency_id)).scalars())


def _recipients(mw: MeetingWorld) -> set[uuid.UUID]:
    with mw.app.app_context():
        return set(db.session.execute(select(MinutesRecipient.agency_id)).scalars())


def _disclosures(mw: MeetingWorld) -> list[list[str]]:
    return [
        json.loads(e.body)["with"]["recipients"]
        for e in mw.events()
        if e.event_type == "DISCLOSURE"
    ]


def _approved(mw: MeetingWorld, make_client: Any, **changes: Any) -> tuple[Any, Any, Any]:
    """``(chair, subject, meeting_id)``: a meeting whose minutes the chair has approved."""
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(chair, subject, **changes)
    assert mw.approve(chair, meeting_id).status_code == 302
    return chair, subject, meeting_id


def _withheld(mw: MeetingWorld) -> list[tuple[uuid.UUID, uuid.UUID, str]]:
    """``(version id, agency id, reason)`` of every agency left off a distribution."""
    with mw.app.app_context():
        rows = db.session.execute(
            select(MinutesWithheld.version_id, MinutesWithheld.agency_id, MinutesWithheld.reason)
        ).all()
        return [(v, a, r) for v, a, r in rows]


def _nothing_sent(mw: MeetingWorld, meeting_id: uuid.UUID, since: int) -> None:
    assert _recipients(mw) == set()
    assert _withheld(mw) == []
    assert [v.status for v in mw.versions(meeting_id)] == ["CHAIR_APPROVED"]
    assert not {"DISCLOSURE", "GRANT_CHANGED"} & set(mw.event_types(since))


def test_distribute_with_a_named_user_grant_leaves_the_agency_off_the_list(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    named = mw.people["housing"]
    colleague = mw.factories.user(
        agency=mw.partners["housing"], roles=(Role.HOUSING_OFFICER,), full_name="Other Housing"
    )
    named_grant = mw.grant(subject, "housing", profile="SUMMARY", to_user=named, acknowledged=True)
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(chair, subject, **NO_HOUSING_ATTENDEE)
    assert mw.approve(chair, meeting_id).status_code == 302

    page = _html(chair.get(f"/meetings/{meeting_id}/distribute"))
    assert f'name="{_field(mw, "housing")}"' not in page
    assert f'name="{_field(mw, "probation")}"' in page
    # Housing can still be added, as an agency outside the list with the chair's consent.
    assert f'<option value="{mw.partners["housing"].id}">' in page

    response = mw.distribute(chair, meeting_id, **{_field(mw, "housing"): None})
    assert response.status_code == 302, _html(response)
    assert _grantees(mw) == {mw.partners["probation"].id, mw.partners["csc"].id} | {
        mw.partners["housing"].id  # the named user's own grant, unchanged
    }
    with mw.app.app_context():
        housing_grants = (
            db.session.execute(
                select(AccessGrant).where(
                    AccessGrant.grantee_agency_id == mw.partners["housing"].id
                )
            )
            .scalars()
            .all()
        )
        assert [(g.id, g.grantee_user_id) for g in housing_grants] == [(named_grant, named.id)]
    assert mw.partners["housing"].id not in _recipients(mw)
    # One disclosure per condition: probation under Part 3, children's social care under
    # UK GDPR.
    assert sorted(_disclosures(mw)) == [["Children's Social Care"], ["Probation"]]
    # The colleague the owner never named still cannot open the subject or the minutes.
    other = mw.browser(colleague, make_client)
    assert other.get(f"/subjects/{subject}").status_code == 404
    assert other.get(f"/meetings/{meeting_id}").status_code == 404


def test_distribute_with_an_agency_left_off_grants_and_names_only_those_sent_to(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(chair, subject)
    assert mw.approve(chair, meeting_id).status_code == 302
    page = _html(chair.get(f"/meetings/{meeting_id}/distribute"))
    assert f'<option value="{NOT_SENT}">Do not send to this agency</option>' in page
    before = mw.last_seq()

    response = mw.distribute(
        chair, meeting_id, **{_field(mw, "housing"): NOT_SENT, "withheld_reason": REASON}
    )
    assert response.status_code == 302, _html(response)
    sent = {mw.partners["probation"].id, mw.partners["csc"].id}
    assert _grantees(mw) == sent
    assert _recipients(mw) == sent
    # One disclosure per condition: probation under Part 3, children's social care under
    # UK GDPR.
    assert sorted(_disclosures(mw)) == [["Children's Social Care"], ["Probation"]]
    assert mw.event_types(before).count("GRANT_CHANGED") == 2
    (version,) = mw.versions(meeting_id)
    assert version.status == "DISTRIBUTED"
    # Leaving housing off is recorded against the version, with the chair's reason.
    assert _withheld(mw) == [(version.id, mw.partners["housing"].id, REASON)]
    # Housing was on the list but not sent to: no minutes.
    worker = mw.browser(mw.people["housing"], make_client)
    assert worker.get(f"/meetings/{meeting_id}").status_code == 404
    officer = mw.browser(mw.people["probation"], make_client)
    acknowledge(officer, subject)
    assert officer.get(f"/meetings/{meeting_id}").status_code == 200


def test_distribute_without_an_answer_for_a_listed_agency_shows_the_error_and_writes_nothing(
    mw: MeetingWorld, make_client: Any
) -> None:
    chair, _, meeting_id = _approved(mw, make_client)
    before = mw.last_seq()
    response = mw.distribute(chair, meeting_id, **{_field(mw, "housing"): ""})
    html = _html(response)
    assert response.status_code == 400
    assert "govuk-error-summary" in html
    assert f'href="#{_field(mw, "housing")}"' in html
    assert "Select a data-protection condition for this agency, or do not send to it" in html
    _nothing_sent(mw, meeting_id, before)


def test_distribute_with_every_agency_left_off_is_refused_and_writes_nothing(
    mw: MeetingWorld, make_client: Any
) -> None:
    chair, _, meeting_id = _approved(mw, make_client)
    before = mw.last_seq()
    nobody = {_field(mw, key): NOT_SENT for key in ("probation", "csc", "housing")}
    nobody["withheld_reason"] = REASON
    response = mw.distribute(chair, meeting_id, **nobody)
    assert response.status_code == 400
    assert "There is nobody to distribute the minutes to" in _html(response)
    _nothing_sent(mw, meeting_id, before)


def test_distribute_after_an_agency_joined_the_list_is_refused_until_it_is_answered(
    mw: MeetingWorld, make_client: Any
) -> None:
    chair, subject, meeting_id = _approved(mw, make_client, **NO_HOUSING_ATTENDEE)
    before = mw.last_seq()
    path = f"/meetings/{meeting_id}/distribute"
    csrf = token(chair, path)  # the page, shown without housing
    mw.grant(subject, "housing", profile="SUMMARY_AND_ACTIONS")  # housing joins the list
    answers = {_field(mw, "probation"): "DP3-SCH8-4", _field(mw, "csc"): "GDPR-6-1-E"}
    response = chair.post(path, data={"csrf_token": csrf, **answers})
    html = _html(response)
    assert response.status_code == 400
    assert "The distribution list has changed: check it and send again" in html
    assert f'name="{_field(mw, "housing")}"' in html  # the page now asks about housing
    _nothing_sent(mw, meeting_id, before)

    response = mw.distribute(
        chair, meeting_id, **{_field(mw, "housing"): NOT_SENT, "withheld_reason": REASON}
    )
    assert response.status_code == 302, _html(response)
    assert _recipients(mw) == {mw.partners["probation"].id, mw.partners["csc"].id}


def _send_once(mw: MeetingWorld, make_client: Any, probation: str) -> tuple[Any, list[str]]:
    """Approved minutes distributed in one POST (``probation``'s condition, housing left off):
    the response, and the events that POST alone wrote."""
    chair, _, meeting_id = _approved(mw, make_client)
    path = f"/meetings/{meeting_id}/distribute"
    csrf = token(chair, path)
    before = mw.last_seq()
    answers = {
        _field(mw, "probation"): probation,
        _field(mw, "csc"): "GDPR-6-1-E",
        _field(mw, "housing"): NOT_SENT,
        "withheld_reason": REASON,
    }
    response = chair.post(path, data={"csrf_token": csrf, **answers})
    return response, mw.event_types(before)


def test_distribute_that_goes_out_writes_its_disclosure_and_grants_and_no_consultation(
    mw: MeetingWorld, make_client: Any
) -> None:
    response, events = _send_once(mw, make_client, "DP3-SCH8-4")
    assert response.status_code == 302, _html(response)
    # The page was not shown: nothing records a consultation of it.
    # One disclosure per condition used (Part 3 for probation, UK GDPR for social care).
    assert events == ["DISCLOSURE", "DISCLOSURE", "GRANT_CHANGED", "GRANT_CHANGED"]


def test_distribute_refused_shows_the_page_with_one_consultation(
    mw: MeetingWorld, make_client: Any
) -> None:
    response, events = _send_once(mw, make_client, "GDPR-6-1-E")
    html = _html(response)
    assert response.status_code == 400
    assert "competent authority: select a Part 3 condition" in html
    assert f'href="#{_field(mw, "probation")}"' in html
    assert f'value="{NOT_SENT}" selected' in html  # the answers are shown again
    assert events == ["CONSULTATION"]


def test_distribute_with_an_answer_for_an_agency_off_the_list_gives_it_nothing(
    mw: MeetingWorld, make_client: Any
) -> None:
    # Only the extra agency, with the chair's recorded consent, reaches past the list: a
    # question the page never asked is dropped.
    other = mw.factories.agency(name="Youth Offending Team", type="yot")
    chair, _, meeting_id = _approved(mw, make_client, **NO_HOUSING_ATTENDEE)
    forged = {f"dp_{other.id.hex}": "GDPR-6-1-E", _field(mw, "housing"): "GDPR-6-1-E"}
    response = mw.distribute(chair, meeting_id, **forged)
    assert response.status_code == 302, _html(response)
    assert _recipients(mw) == {mw.partners["probation"].id, mw.partners["csc"].id}
    # One disclosure per condition: probation under Part 3, children's social care under
    # UK GDPR.
    assert sorted(_disclosures(mw)) == [["Children's Social Care"], ["Probation"]]


def test_an_agency_owning_an_action_is_listed_and_cannot_be_left_off(
    mw: MeetingWorld, make_client: Any
) -> None:
    # Housing did not attend and holds no grant, but the chair gave it an action: it is on the
    # list, the page offers no "do not send", and a forged "do not send" is refused.
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(chair, subject, **NO_HOUSING_ATTENDEE)
    housing_action = mw.add_action(chair, meeting_id, "housing", description="housing action")
    assert mw.approve(chair, meeting_id).status_code == 302
    page = _html(chair.get(f"/meetings/{meeting_id}/distribute"))
    field = _field(mw, "housing")
    assert f'name="{field}"' in page
    assert "Owns an action in these minutes" in page
    question = page.split(f'name="{field}"', 1)[1].split("</select>", 1)[0]
    assert NOT_SENT not in question

    before = mw.last_seq()
    response = mw.distribute(chair, meeting_id, **{field: NOT_SENT, "withheld_reason": REASON})
    html = _html(response)
    assert response.status_code == 400
    housing = mw.partners["housing"].name
    refusal = f"{housing} owns an action in these minutes: select a condition to send them under"
    assert refusal in unescape(html)
    assert f'href="#{field}"' in html
    _nothing_sent(mw, meeting_id, before)

    response = mw.distribute(chair, meeting_id)
    assert response.status_code == 302, _html(response)
    assert mw.partners["housing"].id in _recipients(mw)
    worker = mw.browser(mw.people["housing"], make_client)
    acknowledge(worker, subject)
    assert worker.get(f"/actions/{housing_action}").status_code == 200
    assert "housing action" in _html(worker.get("/actions"))


def test_a_finished_action_does_not_keep_its_agency_on_the_list(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(chair, subject, **NO_HOUSING_ATTENDEE)
    action = mw.add_action(chair, meeting_id, "housing", description="housing action")
    cancelled = post(chair, f"/actions/{action}", {"status": "CANCELLED", "note": "Not needed"})
    assert cancelled.status_code == 302
    assert mw.approve(chair, meeting_id).status_code == 302
    page = _html(chair.get(f"/meetings/{meeting_id}/distribute"))
    assert f'name="{_field(mw, "housing")}"' not in page


def test_leaving_an_agency_off_needs_the_reason(mw: MeetingWorld, make_client: Any) -> None:
    chair, _, meeting_id = _approved(mw, make_client)
    before = mw.last_seq()
    response = mw.distribute(chair, meeting_id, **{_field(mw, "housing"): NOT_SENT})
    html = _html(response)
    assert response.status_code == 400
    assert "Enter why the minutes are not sent to the agencies left off" in html
    assert 'href="#withheld_reason"' in html
    assert 'id="withheld_reason"' in html
    _nothing_sent(mw, meeting_id, before)


def test_the_reason_is_not_recorded_when_nobody_is_left_off(
    mw: MeetingWorld, make_client: Any
) -> None:
    chair, _, meeting_id = _approved(mw, make_client)
    response = mw.distribute(chair, meeting_id, withheld_reason="Typed, then everyone was sent")
    assert response.status_code == 302, _html(response)
    assert _withheld(mw) == []


def test_the_owner_sees_who_was_not_sent_the_minutes_and_partners_do_not(
    mw: MeetingWorld, make_client: Any
) -> None:
    chair, subject, meeting_id = _approved(mw, make_client)
    response = mw.distribute(
        chair, meeting_id, **{_field(mw, "housing"): NOT_SENT, "withheld_reason": REASON}
    )
    assert response.status_code == 302, _html(response)
    page = unescape(_html(chair.get(f"/meetings/{meeting_id}")))
    assert "Not sent to" in page
    assert mw.partners["housing"].name in page.split("Not sent to", 1)[1]
    assert f"Reason: {REASON}" in page
    # The frozen record's dates read as GOV.UK writes them, not as ISO text.
    today = mw.today()
    assert f"{today.day} {today:%B %Y}" in page
    assert today.isoformat() not in page
    officer = mw.browser(mw.people["probation"], make_client)
    acknowledge(officer, subject)
    partner_page = unescape(_html(officer.get(f"/meetings/{meeting_id}")))
    assert "Not sent to" not in partner_page
    assert REASON not in partner_page


def test_control_characters_in_the_reason_or_consent_are_refused_on_the_page(
    mw: MeetingWorld, make_client: Any
) -> None:
    other = mw.factories.agency(name="Youth Offending Team", type="yot")
    chair, _, meeting_id = _approved(mw, make_client)
    before = mw.last_seq()
    response = mw.distribute(
        chair,
        meeting_id,
        **{
            _field(mw, "housing"): NOT_SENT,
            "withheld_reason": "Not needed\x00",
            "extra_agency_id": str(other.id),
            "extra_condition": "GDPR-6-1-E",
            "chair_consent": "Chair\x00 agreed",
        },
    )
    html = _html(response)
    assert response.status_code == 400
    assert 'href="#withheld_reason"' in html
    assert 'href="#chair_consent"' in html
    assert "Remove the special characters from this answer" in html
    _nothing_sent(mw, meeting_id, before)
