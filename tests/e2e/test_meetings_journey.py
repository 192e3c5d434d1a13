"""The MAPPA meetings journey in Chromium, axe-clean on every page: the co-ordinator records a
review meeting with two decisions and three actions (probation, children's social care,
housing), approves and distributes the minutes; each partner signs in, agrees to the
confidentiality statement, finds their action on "Our actions" and records progress; the
co-ordinator sees the progress. A hostile payload in the minutes and in an update stays inert.
The access log holds one event per protected page view and one per change.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest

from portal.audit.models import AuditEventRow
from portal.core.identity import Role
from portal.extensions import db
from tests.e2e.test_sharing_journey import Tab
from tests.integration.meetings.conftest import MeetingWorld

pytestmark = pytest.mark.e2e

SENSITIVE = "OFFICIAL-SENSITIVE - PERSONAL DATA"
HOSTILE = (
    "<p>The panel reviewed the plan.</p>"
    "<script>window.__pwned=1</script>"
    '<img src=x onerror="window.__pwned=1">'
    '<p><a href="javascript:window.__pwned=1">details</a></p>'
)

HOSTILE_UPDATE = (
    '<p>Arranged.</p><script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">'
)


def _fill_date(page: Any, name: str, day: Any) -> None:
    page.locator(f"#{name}-day").fill(str(day.day))
    page.locator(f"#{name}-month").fill(str(day.month))
    page.locator(f"#{name}-year").fill(str(day.year))


def _events(app: Any) -> list[dict[str, Any]]:
    with app.app_context():
        rows = db.session.query(AuditEventRow).order_by(AuditEventRow.seq).all()
        return [json.loads(row.body) for row in rows]


def test_coordinator_records_distributes_and_partners_record_progress(
    app: Any, live_server: str, chromium: Any, factories: Any, make_client: Any
) -> None:
    mw = MeetingWorld(app, factories)
    subject_id = mw.subject(family_name="Whitmore", given_names="Carl Anthony")
    # An initial meeting already held, with an unfinished probation action to carry forward.
    colleague = factories.user(agency=mw.police, roles=(Role.MAPPA_COORDINATOR,))
    client = mw.browser(colleague, make_client)  # a colleague (each code is used once)
    initial = mw.create_meeting(client, subject_id)
    mw.add_action(client, initial, "probation", description="Check the approved address")
    today = mw.today()

    chair = Tab(chromium, live_server, "co-ordinator")
    chair.sign_in(app, mw.coordinator)
    chair.goto(f"/subjects/{subject_id}/meetings")
    assert chair.heading() == "MAPPA meetings"
    chair.check("the meeting list", SENSITIVE)
    chair.click("button", "Record a meeting")
    chair.check("the new-meeting page", SENSITIVE)
    page = chair.page
    page.locator("#kind-2").check()  # review
    page.locator("#level").check()  # level 2
    _fill_date(page, "held_on", today)
    page.locator("#location").fill("Northshire Police HQ, room 4")
    page.locator("#mappa_area").fill("Northshire")
    page.locator("#chair_name").fill("Chris Chair")
    page.locator("#chair_agency_id").select_option(label="Northshire Police")
    page.locator("#chair_role").fill("Detective Inspector")
    page.locator("#confidentiality_read").check()
    page.locator("#category_level_confirmed").check()
    for i, key in enumerate(("probation", "csc", "housing"), start=1):
        page.locator(f"#attendee_{i}_agency").select_option(value=str(mw.partners[key].id))
        page.locator(f"#attendee_{i}_name").fill(f"{key.title()} Attendee")
        page.locator(f"#attendee_{i}_role").fill("Manager")
        page.locator(f"#attendee_{i}_attendance").check()
    page.locator("#rosh_children-3").check()
    page.locator("#discussion").fill(HOSTILE)
    page.locator("#decision_1").fill("Remain at level 2")
    page.locator("#rationale_1").fill("The plan manages the risk")
    page.locator("#decision_2").fill("Children's social care to lead on the household")
    page.locator("#rationale_2").fill("A child lives at the address")
    page.locator("#level_decision-2").check()
    page.locator("#lead_agency_id").select_option(value=str(mw.partners["probation"].id))
    _fill_date(page, "next_review_on", today + timedelta(days=90))
    chair.click("button", "Save meeting")
    assert chair.heading() == "Minutes of meeting 2: review meeting"
    assert "window.__pwned=1" in page.locator(".app-rich-text").first.inner_text()
    assert "Check the approved address" in page.content()  # carried forward
    chair.check("the draft minutes", SENSITIVE)
    uuid.UUID(page.url.rstrip("/").rsplit("/", 1)[-1])

    for key, text in (
        ("probation", "Weekly reporting at the probation office"),
        ("csc", "Strategy discussion about the child at the address"),
        ("housing", "Check the tenancy conditions"),
    ):
        chair.click("button", "Add an action")
        page.locator("#description").fill(text)
        page.locator("#pillar").check()
        page.locator("#owner_agency_id").select_option(value=str(mw.partners[key].id))
        page.locator("#owner_person").fill(f"{key.title()} Worker")
        _fill_date(page, "due_on", today + timedelta(days=14))
        if key == "probation":
            chair.check("the add-action page", SENSITIVE)
        chair.click("button", "Add action")
    chair.click("button", "Record the chair’s approval")
    chair.check("the approved minutes", SENSITIVE)
    chair.click("button", "Distribute the minutes")
    chair.check("the distribution page", SENSITIVE)
    page.locator(f"#dp_{mw.partners['probation'].id.hex}").select_option("DP3-SCH8-4")
    page.locator(f"#dp_{mw.partners['csc'].id.hex}").select_option("GDPR-6-1-E")
    page.locator(f"#dp_{mw.partners['housing'].id.hex}").select_option("GDPR-6-1-E")
    chair.click("button", "Distribute the minutes")
    assert "Distributed" in page.content()
    chair.check("the distributed minutes", SENSITIVE)

    before = len(_events(app))
    for key, text in (
        ("probation", "Weekly reporting at the probation office"),
        ("csc", "Strategy discussion about the child at the address"),
        ("housing", "Check the tenancy conditions"),
    ):
        partner = Tab(chromium, live_server, key)
        partner.sign_in(app, mw.people[key])
        partner.click("link", "Actions")
        partner.check(f"{key}: our actions before agreeing", "OFFICIAL")
        partner.click("link", "WHITMORE, Carl Anthony")
        assert partner.heading() == "Confidentiality statement"
        partner.click("button", "I agree – open the record")
        partner.click("link", "Actions")
        assert partner.heading() == "Our actions"
        assert text in partner.page.content()
        others = {"probation", "csc", "housing"} - {key}
        assert "Check the approved address" not in partner.page.content() or key == "probation"
        assert all(f"{o.title()} Worker" not in partner.page.content() for o in others)
        partner.check(f"{key}: our actions", SENSITIVE)
        partner.click("link", text)
        partner.check(f"{key}: the action", SENSITIVE)
        partner.page.locator("#status").check()  # in progress
        partner.page.locator("#note").fill(HOSTILE_UPDATE)
        partner.click("button", "Record progress")
        assert "Progress recorded" in partner.page.content()
        assert "window.__pwned=1" in partner.page.locator(".app-rich-text").first.inner_text()
        partner.check(f"{key}: the action after progress", SENSITIVE)
        assert not partner.errors, partner.errors

    chair.click("link", "Actions")
    assert chair.heading() == "Actions from our meetings"
    content = page.content()
    assert content.count("In progress") >= 3
    chair.check("the co-ordinator's actions", SENSITIVE)
    assert not chair.errors, chair.errors

    # One event per protected view and change: for each partner, the subject page after
    # agreeing, "Our actions", the action, the progress and the action again.
    events = _events(app)[before:]
    for key in ("probation", "csc", "housing"):
        mine = [e for e in events if e["actor_id"] == mw.people[key].id.hex]
        kinds = [e["type"] for e in mine if e["type"] not in ("LOGIN", "SESSION_ENDED")]
        assert kinds == [
            "CONSULTATION",
            "CONSULTATION",
            "CONSULTATION",
            "ALTERATION",
            "CONSULTATION",
        ], (key, kinds)
    chair_views = [e for e in events if e["actor_id"] == mw.coordinator.id.hex]
    assert [e["type"] for e in chair_views] == ["CONSULTATION"]


def test_coordinator_leaves_an_agency_off_with_a_reason(
    app: Any, live_server: str, chromium: Any, factories: Any, make_client: Any
) -> None:
    """Leaving housing off: the distribution page refuses it without a reason (error summary
    linking to the box), takes it with one, and the minutes show housing under "Not sent to";
    an agency owning an action is offered no "do not send". Axe-clean throughout."""
    mw = MeetingWorld(app, factories)
    subject_id = mw.subject(family_name="Whitmore", given_names="Carl Anthony")
    colleague = factories.user(agency=mw.police, roles=(Role.MAPPA_COORDINATOR,))
    client = mw.browser(colleague, make_client)
    meeting_id = mw.create_meeting(client, subject_id)
    mw.add_action(client, meeting_id, "csc", description="Strategy discussion")
    assert mw.approve(client, meeting_id).status_code == 302

    chair = Tab(chromium, live_server, "co-ordinator")
    chair.sign_in(app, mw.coordinator)
    chair.goto(f"/meetings/{meeting_id}/distribute")
    page = chair.page
    csc = page.locator(f"#dp_{mw.partners['csc'].id.hex} option")
    assert "Do not send to this agency" not in csc.all_inner_texts()
    page.locator(f"#dp_{mw.partners['probation'].id.hex}").select_option("DP3-SCH8-4")
    page.locator(f"#dp_{mw.partners['csc'].id.hex}").select_option("GDPR-6-1-E")
    page.locator(f"#dp_{mw.partners['housing'].id.hex}").select_option("NOT_SENT")
    chair.click("button", "Distribute the minutes")
    summary = page.locator(".govuk-error-summary")
    assert "Enter why the minutes are not sent" in summary.inner_text()
    chair.check("the distribution page with an error", SENSITIVE)
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "withheld_reason"
    page.locator("#withheld_reason").fill("Housing has no part in this plan")
    chair.click("button", "Distribute the minutes")
    assert "Distributed" in page.content()
    table = page.locator("table", has_text="Not sent to").inner_text()
    assert "Housing has no part in this plan" in table
    chair.check("the minutes with an agency not sent to", SENSITIVE)
    chair.shot("meetings-not-sent-to")
    assert not chair.errors, chair.errors
