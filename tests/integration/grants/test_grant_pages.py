"""The grants feature through its pages: give, request, approve, refuse, revoke, suspend,
resume, renew, LAO lists; bad input refused with a field error and nothing written."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.access import gate
from portal.access.gate import AccessDenied, Decision, Purpose, Target
from portal.access.models import AccessGrant, GrantStatus, LaoKind, LaoList
from portal.access.permissions import Permission
from portal.agencies.models import AgencyType
from portal.audit.models import AuditEventRow
from portal.core.clock import db_now
from portal.core.identity import Role
from portal.db.transaction import transaction
from portal.extensions import db
from portal.grants import service
from portal.grants.schemas import ApproveCommand
from tests.helpers import csrf_token, sign_in, summary_link
from tests.integration.access.world import (
    OFFICIAL,
    OFFICIAL_SENSITIVE,
    Sharing,
    events_after,
    head_seq,
)


@pytest.fixture
def world(app: Flask, factories: Any) -> Sharing:
    return Sharing(app, factories)


def browser(world: Sharing, user: Any, make_client: Any) -> FlaskClient:
    client: FlaskClient = make_client()
    assert sign_in(world.app, client, user).status_code == 302
    return client


def today(app: Flask) -> date:
    with app.app_context():
        return db_now().date()


def parts(day: date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


def grant_answers(world: Sharing, **changes: Any) -> dict[str, Any]:
    end = today(world.app) + timedelta(days=30)
    answers: dict[str, Any] = {
        "grantee_agency_id": str(world.partners["csc"].id),
        "grantee_user_email": "",
        "scope": "SUBJECT",
        "view_profile": "SUMMARY_AND_ACTIONS",
        "record_id": "",
        "legal_gateway": "GW-CJA03-S325",
        "dp_condition": "DP3-SCH8-4",
        "justification": "Child protection plan for the household",
        "isa_reference": "ISA-MAPPA-2025",
        "starts_on": ["", "", ""],
        "expires_on": parts(end),
    }
    answers.update(changes)
    return {key: value for key, value in answers.items() if value is not None}


def post(client: FlaskClient, path: str, data: dict[str, Any], form_path: str | None = None) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, form_path or path)})


def grants_of(app: Flask, subject_id: uuid.UUID) -> list[AccessGrant]:
    with app.app_context():
        rows = list(
            db.session.execute(
                select(AccessGrant)
                .where(AccessGrant.subject_id == subject_id)
                .order_by(AccessGrant.created_at)
            ).scalars()
        )
        db.session.expunge_all()
        return rows


def count_events(app: Flask) -> int:
    with app.app_context():
        return int(db.session.execute(select(func.count()).select_from(AuditEventRow)).scalar_one())


def test_officer_gives_access_and_one_grant_changed_is_logged(
    world: Sharing, make_client: Any
) -> None:
    subject_id = world.subject()
    officer = browser(world, world.officer, make_client)
    path = f"/subjects/{subject_id}/grants/new"
    start = head_seq(world.app)
    response = post(officer, path, grant_answers(world))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    [grant] = grants_of(world.app, subject_id)
    assert grant.status == "ACTIVE"
    assert grant.view_profile == "SUMMARY_AND_ACTIONS"
    assert grant.expires_at.date() == today(world.app) + timedelta(days=31)
    changes = [e for e in events_after(world.app, start) if e.event_type == "GRANT_CHANGED"]
    assert [e.grant_id for e in changes] == [grant.id]
    page = officer.get(f"/subjects/{subject_id}/grants")
    assert page.status_code == 200
    assert "GW-CJA03-S325" in page.get_data(as_text=True)


BAD_INPUT = {
    "no gateway": ({"legal_gateway": ""}, "Select the legal gateway"),
    "no dp condition": ({"dp_condition": ""}, "Select the data protection condition"),
    "no justification": ({"justification": "  "}, "Enter why this access is needed"),
    "no expiry": ({"expires_on": ["", "", ""]}, "Enter the date access ends"),
    "unknown gateway": ({"legal_gateway": "GW-MADE-UP"}, "legal gateway from the list"),
    "condition as gateway": ({"legal_gateway": "DP3-SCH8-4"}, "legal gateway from the list"),
    "emergency as gateway": ({"legal_gateway": "EMERGENCY"}, "legal gateway from the list"),
    "unknown condition": ({"dp_condition": "DP9-NOPE"}, "condition from the list"),
    "gateway as condition": ({"dp_condition": "GW-CA89-S47"}, "condition from the list"),
    "justification too long": ({"justification": "x" * 2001}, "2000 characters or fewer"),
    "no agreement": ({"isa_reference": ""}, "information sharing agreement reference"),
    "not a date": ({"expires_on": ["31", "2", "2030"]}, "must be a real date"),
    "unknown field": ({"status": "ACTIVE"}, "information this page does not accept"),
    "record scope without record": ({"scope": "RECORD"}, "Select the record to share"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_grant_with_bad_input_is_refused_with_a_field_error_and_nothing_written(
    world: Sharing, make_client: Any, case: str
) -> None:
    changes, message = BAD_INPUT[case]
    subject_id = world.subject()
    officer = browser(world, world.officer, make_client)
    path = f"/subjects/{subject_id}/grants/new"
    token = csrf_token(officer, path)
    events = count_events(world.app)
    response = officer.post(path, data={**grant_answers(world, **changes), "csrf_token": token})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "govuk-error-summary" in body
    assert message in body, body[body.find("govuk-error-summary") :][:1500]
    assert grants_of(world.app, subject_id) == []
    # The form page itself is one CONSULTATION; nothing about a grant was written.
    assert count_events(world.app) == events + 1


@pytest.mark.parametrize(
    ("starts", "ends", "field", "message"),
    [
        (None, -1, "expires_on", "today or in the future"),
        (5, 2, "expires_on", "same as or after the start date"),
        (-1, 5, "starts_on", "start date must be today or in the future"),
        (None, 400, "expires_on", "up to a year"),
    ],
)
def test_grant_window_in_the_past_or_inverted_is_refused(
    world: Sharing, make_client: Any, starts: int | None, ends: int, field: str, message: str
) -> None:
    subject_id = world.subject()
    officer = browser(world, world.officer, make_client)
    now = today(world.app)
    answers = grant_answers(
        world,
        expires_on=parts(now + timedelta(days=ends)),
        starts_on=parts(now + timedelta(days=starts)) if starts is not None else ["", "", ""],
    )
    path = f"/subjects/{subject_id}/grants/new"
    token = csrf_token(officer, path)
    events = count_events(world.app)
    response = officer.post(path, data={**answers, "csrf_token": token})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in body
    assert f'href="#{field}' in body
    assert grants_of(world.app, subject_id) == []
    assert count_events(world.app) == events + 1


def test_partner_cannot_give_access(world: Sharing, make_client: Any, factories: Any) -> None:
    subject_id = world.subject()
    worker = browser(world, world.people["csc"], make_client)
    response = worker.post(f"/subjects/{subject_id}/grants/new", data=grant_answers(world))
    assert response.status_code in (400, 403)  # no grant:manage (and no CSRF token to get)
    # Another force's MOSOVO officer holds grant:manage, but not for this subject.
    other_force = factories.agency(type=AgencyType.POLICE.value)
    stranger = factories.user(agency=other_force, roles=(Role.MOSOVO_OFFICER,))
    client = browser(world, stranger, make_client)
    token = csrf_token(client, "/grants/requests")
    response = client.post(
        f"/subjects/{subject_id}/grants/new",
        data={**grant_answers(world, expires_on=["1", "1", "2000"]), "csrf_token": token},
    )
    assert response.status_code == 404  # refused before the input is even looked at
    assert grants_of(world.app, subject_id) == []
    [event] = [e for e in events_after(world.app, 0) if e.event_type == "AUTHZ_FAIL"]
    assert event.actor_id == stranger.id


def test_partner_request_then_approval_opens_the_subject(world: Sharing, make_client: Any) -> None:
    subject_id = world.subject(pnc_id="12/345678A")
    worker = browser(world, world.people["csc"], make_client)
    answers = {
        key: value
        for key, value in grant_answers(world).items()
        if key not in ("grantee_agency_id", "grantee_user_email", "scope", "record_id")
    }
    answers.update(identifier_kind="pnc_id", identifier="12/345678a", view_profile="SUMMARY")
    response = post(worker, "/grants/request", answers)
    assert response.status_code == 302
    [request] = grants_of(world.app, subject_id)
    assert (request.status, request.requested_by_id) == ("REQUESTED", world.people["csc"].id)

    # An identifier nobody holds gets the very same answer, and nothing is written.
    events = count_events(world.app)
    unknown = post(worker, "/grants/request", {**answers, "identifier": "99/999999Z"})
    assert unknown.status_code == 302
    assert unknown.headers["Location"] == response.headers["Location"]
    assert count_events(world.app) == events

    coordinator = browser(world, world.coordinator, make_client)
    queue = coordinator.get("/grants/requests").get_data(as_text=True)
    assert f"/grants/{request.id}/approve" in queue
    end = today(world.app) + timedelta(days=10)
    approved = post(coordinator, f"/grants/{request.id}/approve", {"expires_on": parts(end)})
    assert approved.status_code == 302
    [grant] = grants_of(world.app, subject_id)
    assert (grant.status, grant.approved_by_id) == ("ACTIVE", world.coordinator.id)

    actor = world.actor(world.people["csc"])
    target = Target(subject_id, world.police.id, OFFICIAL_SENSITIVE)
    with world.app.app_context(), transaction():
        gate.acknowledge(actor, grant_id=grant.id)
    with world.app.app_context(), transaction():
        decision = gate.authorize(actor, Permission.SUBJECT_READ, target, purpose=Purpose.VIEW)
    assert isinstance(decision, Decision)
    assert decision.grant_id == grant.id


def banners(html: str) -> list[str]:
    found = re.findall(r'class="app-marking__text">(.*?)<', html, re.S)
    return [" ".join(m.split()) for m in found]


def test_pages_listing_record_titles_carry_the_records_marking(
    world: Sharing, make_client: Any
) -> None:
    """An OFFICIAL subject with an OFFICIAL-SENSITIVE record: a grant page showing the record's
    title is marked OFFICIAL-SENSITIVE, and so is its CONSULTATION event."""
    subject_id = world.subject(marking=OFFICIAL)
    record_id = world.record(subject_id)
    grant_id = world.grant(subject_id, "csc", record_id=record_id)
    officer = browser(world, world.officer, make_client)
    start = head_seq(world.app)
    for path in (
        f"/subjects/{subject_id}/grants",
        f"/subjects/{subject_id}/grants/new",
        f"/grants/{grant_id}/revoke",
    ):
        html = officer.get(path).get_data(as_text=True)
        assert "Risk summary" in html, path
        assert all(b.startswith("OFFICIAL-SENSITIVE") for b in banners(html)), (path, banners(html))
    views = [e for e in events_after(world.app, start) if e.event_type == "CONSULTATION"]
    assert len(views) == 3
    assert all(e.marking and e.marking.startswith("OFFICIAL-SENSITIVE") for e in views)
    # A subject-wide grant names no record: its own page stays at the subject's marking.
    whole = world.grant(subject_id, "housing")
    html = officer.get(f"/grants/{whole}/revoke").get_data(as_text=True)
    assert banners(html) == ["OFFICIAL", "OFFICIAL"]


def test_requests_queue_carries_the_marking_of_the_subjects_it_names(
    world: Sharing, make_client: Any
) -> None:
    plain = world.subject(marking=OFFICIAL)
    world.grant(plain, "csc", status=GrantStatus.REQUESTED)
    coordinator = browser(world, world.coordinator, make_client)
    assert banners(coordinator.get("/grants/requests").get_data(as_text=True)) == [
        "OFFICIAL",
        "OFFICIAL",
    ]
    sensitive = world.subject()
    world.grant(sensitive, "housing", status=GrantStatus.REQUESTED)
    html = coordinator.get("/grants/requests").get_data(as_text=True)
    assert "subject2" in html.lower()
    assert all(b.startswith("OFFICIAL-SENSITIVE") for b in banners(html)), banners(html)


def test_nobody_approves_their_own_request(world: Sharing, make_client: Any) -> None:
    subject_id = world.subject()
    # A request the officer made (say, before moving to the owning force).
    grant_id = world.grant(subject_id, "csc", status=GrantStatus.REQUESTED)
    with world.app.app_context(), transaction():
        grant = db.session.get(AccessGrant, grant_id)
        assert grant is not None
        grant.requested_by_id = world.officer.id
    officer = world.actor(world.officer)
    start = head_seq(world.app)
    command = ApproveCommand(expires_on=today(world.app) + timedelta(days=5))
    with world.app.app_context(), pytest.raises(AccessDenied) as refused, transaction():
        service.approve_request(officer, grant_id=grant_id, command=command)
    assert refused.value.reason == "own_request"
    [event] = events_after(world.app, start)
    assert event.event_type == "AUTHZ_FAIL"
    assert grants_of(world.app, subject_id)[0].status == "REQUESTED"
    # The queue offers no approval of it; a colleague may approve it.
    page = browser(world, world.officer, make_client).get("/grants/requests")
    assert f"/grants/{grant_id}/approve" not in page.get_data(as_text=True)
    with world.app.app_context(), transaction():
        service.approve_request(world.actor(world.coordinator), grant_id=grant_id, command=command)
    assert grants_of(world.app, subject_id)[0].status == "ACTIVE"


def test_revoke_suspend_resume_are_csrf_protected_posts(world: Sharing, make_client: Any) -> None:
    subject_id = world.subject()
    grant_id = world.grant(subject_id, "csc")
    officer = browser(world, world.officer, make_client)
    assert officer.post(f"/grants/{grant_id}/resume").status_code == 400  # no CSRF token
    assert officer.get(f"/grants/{grant_id}/resume").status_code == 405
    listing = f"/subjects/{subject_id}/grants"

    def status() -> str:
        return grants_of(world.app, subject_id)[0].status

    assert post(officer, f"/grants/{grant_id}/suspend", {"reason": "Review"}).status_code == 302
    assert status() == "SUSPENDED"
    assert post(officer, f"/grants/{grant_id}/resume", {}, listing).status_code == 302
    assert status() == "ACTIVE"
    missing_reason = post(officer, f"/grants/{grant_id}/revoke", {"reason": ""})
    assert missing_reason.status_code == 400
    assert "Enter the reason" in missing_reason.get_data(as_text=True)
    assert status() == "ACTIVE"
    assert post(officer, f"/grants/{grant_id}/revoke", {"reason": "Case closed"}).status_code == 302
    assert status() == "REVOKED"
    again = post(officer, f"/grants/{grant_id}/resume", {}, listing)
    assert again.status_code == 302
    shown = officer.get(listing).get_data(as_text=True)
    # The refusal links to the grant's row, whose status says why.
    assert summary_link(shown, "Only a suspended grant can be resumed") == f"grant-{grant_id}"
    assert status() == "REVOKED"


def test_renewal_needs_a_fresh_justification(world: Sharing, make_client: Any) -> None:
    subject_id = world.subject()
    grant_id = world.grant(subject_id, "csc")
    officer = browser(world, world.officer, make_client)
    old = grants_of(world.app, subject_id)[0]
    end = parts(today(world.app) + timedelta(days=60))
    answers = {
        "legal_gateway": old.legal_gateway,
        "dp_condition": old.dp_condition,
        "justification": old.justification,
        "isa_reference": "ISA-2",
        "starts_on": ["", "", ""],
        "expires_on": end,
    }
    same = post(officer, f"/grants/{grant_id}/renew", answers)
    assert "Enter a fresh justification" in same.get_data(as_text=True)
    assert len(grants_of(world.app, subject_id)) == 1
    fresh = post(
        officer, f"/grants/{grant_id}/renew", {**answers, "justification": "Level 2 review"}
    )
    assert fresh.status_code == 302
    renewed = [g for g in grants_of(world.app, subject_id) if g.renews_id == grant_id]
    assert len(renewed) == 1
    twice = post(officer, f"/grants/{grant_id}/renew", {**answers, "justification": "Again"})
    assert twice.status_code == 302
    assert len(grants_of(world.app, subject_id)) == 2


def renew_through_the_page(
    world: Sharing, officer: FlaskClient, grant_id: uuid.UUID, *, starts_in: int = 0
) -> uuid.UUID:
    first = today(world.app) + timedelta(days=starts_in)
    answers = {
        "legal_gateway": "GW-CJA03-S325",
        "dp_condition": "DP3-SCH8-4",
        "justification": "Level 2 review: the risk continues",
        "isa_reference": "ISA-2",
        "starts_on": parts(first) if starts_in else ["", "", ""],
        "expires_on": parts(first + timedelta(days=60)),
    }
    assert post(officer, f"/grants/{grant_id}/renew", answers).status_code == 302
    [renewal] = [g for g in grants_of(world.app, world_subject(world, grant_id)) if g.renews_id]
    return renewal.id


def world_subject(world: Sharing, grant_id: uuid.UUID) -> uuid.UUID:
    with world.app.app_context():
        grant = db.session.get(AccessGrant, grant_id)
        assert grant is not None
        return grant.subject_id


def statuses(world: Sharing, subject_id: uuid.UUID) -> dict[uuid.UUID, str]:
    return {g.id: g.status for g in grants_of(world.app, subject_id)}


@pytest.mark.parametrize("starts_in", [0, 5], ids=["renewal started", "renewal to start"])
def test_revoking_a_renewed_grant_ends_its_renewal_too(
    world: Sharing, make_client: Any, starts_in: int
) -> None:
    """A renewal continues the grant: revoking the grant the officer is looking at ends the
    partner's access, whether the renewal has started or is still to start."""
    subject_id = world.subject()
    grant_id = world.grant(subject_id, "csc")
    officer = browser(world, world.officer, make_client)
    renewal_id = renew_through_the_page(world, officer, grant_id, starts_in=starts_in)
    page = officer.get(f"/grants/{grant_id}/revoke").get_data(as_text=True)
    assert "also revokes every other grant of the renewal" in page
    start = head_seq(world.app)
    assert post(officer, f"/grants/{grant_id}/revoke", {"reason": "Case closed"}).status_code == 302
    assert statuses(world, subject_id) == {grant_id: "REVOKED", renewal_id: "REVOKED"}
    changes = [e for e in events_after(world.app, start) if e.event_type == "GRANT_CHANGED"]
    assert [e.grant_id for e in changes] == [grant_id, renewal_id]
    assert f'"follows":"{grant_id}"' in changes[1].body.replace(" ", "")
    assert '"follows"' not in changes[0].body
    partner = browser(world, world.people["csc"], make_client)
    assert partner.get(f"/subjects/{subject_id}").status_code == 404


def test_suspend_and_resume_apply_to_the_whole_renewal(world: Sharing, make_client: Any) -> None:
    subject_id = world.subject()
    grant_id = world.grant(subject_id, "csc")
    officer = browser(world, world.officer, make_client)
    renewal_id = renew_through_the_page(world, officer, grant_id)
    partner = browser(world, world.people["csc"], make_client)
    assert partner.get(f"/subjects/{subject_id}").status_code != 404
    assert post(officer, f"/grants/{renewal_id}/suspend", {"reason": "Review"}).status_code == 302
    assert statuses(world, subject_id) == {grant_id: "SUSPENDED", renewal_id: "SUSPENDED"}
    assert partner.get(f"/subjects/{subject_id}").status_code == 404
    listing = f"/subjects/{subject_id}/grants"
    assert post(officer, f"/grants/{grant_id}/resume", {}, listing).status_code == 302
    assert statuses(world, subject_id) == {grant_id: "ACTIVE", renewal_id: "ACTIVE"}
    assert partner.get(f"/subjects/{subject_id}").status_code != 404


def test_an_ended_grant_stays_as_it_ended_when_its_renewal_is_revoked(
    world: Sharing, make_client: Any
) -> None:
    """Only grants that have not ended follow: an expired grant's history is left alone."""
    subject_id = world.subject()
    with world.app.app_context():
        now = db_now()
    grant_id = world.grant(
        subject_id, "csc", valid_from=now - timedelta(days=40), expires_at=now - timedelta(days=1)
    )
    officer = browser(world, world.officer, make_client)
    renewal_id = renew_through_the_page(world, officer, grant_id)
    assert post(officer, f"/grants/{renewal_id}/revoke", {"reason": "Closed"}).status_code == 302
    assert statuses(world, subject_id) == {grant_id: "ACTIVE", renewal_id: "REVOKED"}


def test_grant_ending_within_seven_days_is_flagged(world: Sharing, make_client: Any) -> None:
    subject_id = world.subject()
    with world.app.app_context():
        now = db_now()
    world.grant(subject_id, "csc", expires_at=now + timedelta(days=3))
    world.grant(subject_id, "housing", expires_at=now + timedelta(days=30))
    page = browser(world, world.officer, make_client).get(f"/subjects/{subject_id}/grants")
    assert page.get_data(as_text=True).count("Ends within 7 days") == 1


def test_lao_lists_set_on_the_page_refuse_with_their_message(
    world: Sharing, make_client: Any
) -> None:
    subject_id = world.subject()
    grant_id = world.grant(subject_id, "csc")
    worker = world.actor(world.people["csc"])
    with world.app.app_context(), transaction():
        gate.acknowledge(worker, grant_id=grant_id)
    officer = browser(world, world.officer, make_client)
    path = f"/subjects/{subject_id}/access-lists"
    response = post(
        officer,
        path,
        {
            "kind": "EXCLUSION",
            "members": world.people["csc"].email,
            "message": "Contact DS Patel on 0100",
        },
    )
    assert response.status_code == 302
    page = officer.get(path).get_data(as_text=True)
    assert world.people["csc"].email in page
    self_exclusion = post(
        officer, path, {"kind": "EXCLUSION", "members": world.officer.email, "message": "x"}
    )
    assert "You cannot exclude yourself" in self_exclusion.get_data(as_text=True)

    social_worker = browser(world, world.people["csc"], make_client)
    refused = social_worker.get(f"/subjects/{subject_id}")
    assert refused.status_code == 404
    assert "Contact DS Patel on 0100" in refused.get_data(as_text=True)
    # A refusal that is not an LAO refusal is the generic page, the same as a missing subject
    # (whose id, like the one typed, appears only in the emergency-access link).
    other, unknown = world.subject(), uuid.uuid4()
    forbidden = social_worker.get(f"/subjects/{other}").get_data(as_text=True)
    missing = social_worker.get(f"/subjects/{unknown}").get_data(as_text=True)
    assert normalise(forbidden).replace(str(other), "{id}") == normalise(missing).replace(
        str(unknown), "{id}"
    )
    assert "Contact DS Patel" not in forbidden


@pytest.mark.parametrize("kind", [None, "BOGUS", "exclusion"])
def test_access_lists_refuse_a_list_the_page_does_not_offer(
    world: Sharing, make_client: Any, kind: str | None
) -> None:
    subject_id = world.subject()
    officer = browser(world, world.officer, make_client)
    path = f"/subjects/{subject_id}/access-lists"
    answers = {"members": world.officer.email, "message": "Ask DS Jones", "version": "0"}
    if kind is not None:
        answers["kind"] = kind
    token = csrf_token(officer, path)
    events = count_events(world.app)
    response = officer.post(path, data={**answers, "csrf_token": token})
    assert response.status_code == 400
    assert count_events(world.app) == events
    with world.app.app_context():
        assert db.session.execute(select(func.count()).select_from(LaoList)).scalar_one() == 0


def test_access_lists_page_has_one_element_per_id(world: Sharing, make_client: Any) -> None:
    subject_id = world.subject()
    html = browser(world, world.officer, make_client).get(f"/subjects/{subject_id}/access-lists")
    ids = re.findall(r'\sid="([^"]+)"', html.get_data(as_text=True))
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_each_resume_button_names_whose_access_it_resumes(world: Sharing, make_client: Any) -> None:
    subject_id = world.subject()
    for partner in ("csc", "housing"):
        world.grant(subject_id, partner, status=GrantStatus.SUSPENDED)
    html = browser(world, world.officer, make_client).get(f"/subjects/{subject_id}/grants")
    buttons = re.findall(r"<button[^>]*>(.*?)</button>", html.get_data(as_text=True), re.S)
    resumes = [" ".join(re.sub("<[^>]+>", " ", b).split()) for b in buttons if "Resume" in b]
    assert len(resumes) == 2
    assert len(set(resumes)) == 2, resumes


def normalise(body: str) -> str:
    return re.sub(r'nonce="[^"]*"', "", body)


def test_restriction_list_must_include_its_author(world: Sharing, make_client: Any) -> None:
    subject_id = world.subject()
    officer = browser(world, world.officer, make_client)
    path = f"/subjects/{subject_id}/access-lists"
    without_me = post(
        officer, path, {"kind": "RESTRICTION", "members": world.coordinator.email, "message": "m"}
    )
    assert "Include yourself" in without_me.get_data(as_text=True)
    with_me = post(
        officer,
        path,
        {
            "kind": "RESTRICTION",
            "members": f"{world.officer.email}\n{world.coordinator.email}",
            "message": "Restricted case",
        },
    )
    assert with_me.status_code == 302
    world.lao(subject_id, LaoKind.EXCLUSION, [], "")  # an empty exclusion list bars nobody
    colleague = world.factories.user(agency=world.police, roles=(Role.MOSOVO_OFFICER,))
    response = browser(world, colleague, make_client).get(f"/subjects/{subject_id}")
    assert response.status_code == 404
    assert "Restricted case" in response.get_data(as_text=True)
