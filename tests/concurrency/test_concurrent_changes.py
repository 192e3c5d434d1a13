"""Life-cycle changes sent twice at once, or two different ones racing: each ends in one
change and one clear refusal, with exactly one audit event for the change that was kept.

Grant changes, CSODS stage moves and account changes lock the row they change (``FOR UPDATE``,
freshly read) before deciding, so the second request waits for the first and then finds the
change made. These tests hold both requests after the locked read (see
:mod:`tests.concurrency.races`); with the lock the barrier times out once and they run one after
the other.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.access.models import AccessGrant, GrantStatus
from portal.agencies.models import AgencyType
from portal.audit.models import AuditEventRow
from portal.core.clock import ShiftedClock, db_now
from portal.core.identity import Role, UserStatus
from portal.csods import repository as csods_repository
from portal.csods.models import CsodsDecision
from portal.db.transaction import transaction
from portal.extensions import db
from portal.governance import alerts as governance_alerts
from portal.governance.models import Alert, AlertDisposition
from portal.grants import repository as grants_repository
from portal.grants import service
from portal.grants.schemas import ApproveCommand, GrantTerms, ReasonCommand, RenewCommand
from portal.meetings.models import ActionUpdate, Meeting
from portal.users import repository as users_repository
from portal.users.models import User
from tests.concurrency.races import hidden_fields, opened_form, run_together, wait_after
from tests.helpers import csrf_token, sign_in
from tests.integration.access.world import Sharing, head_seq
from tests.integration.csods.support import BASE, DISCLOSE, CsodsWorld, record, walk_to_forum
from tests.integration.meetings.conftest import MeetingWorld, acknowledge, distributed_meeting
from tests.integration.subjects.sharing import World
from tests.security.conftest import NEXT_STEP


def _grant_events(app: Flask, since: int) -> list[str]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEventRow).where(
                AuditEventRow.seq > since, AuditEventRow.event_type == "GRANT_CHANGED"
            )
        ).scalars()
        reasons = [json.loads(row.body)["with"]["reason"] for row in rows]
        db.session.remove()
    return reasons


def _use_case(app: Flask, call: Callable[[], object]) -> Callable[[], str]:
    """One request's unit of work in its own thread: "done", "refused" or the error's name."""

    def job() -> str:
        with app.app_context():
            try:
                with transaction():
                    call()
            except service.NotPossible:
                return "refused"
            except Exception as exc:  # reported by the assertion
                return type(exc).__name__
            finally:
                db.session.remove()
            return "done"

    return job


def _status(app: Flask, grant_id: uuid.UUID) -> str:
    with app.app_context():
        status = db.session.get(AccessGrant, grant_id).status  # type: ignore[union-attr]
        db.session.remove()
        return str(status)


@pytest.fixture
def world(app: Flask, factories: Any) -> Sharing:
    return Sharing(app, factories)


def _ends(app: Flask) -> date:
    with app.app_context():
        return db_now().date() + timedelta(days=30)


@pytest.mark.parametrize(
    ("use_case", "starting", "ending", "event"),
    [
        ("approve_request", GrantStatus.REQUESTED, GrantStatus.ACTIVE, "approved"),
        ("revoke_grant", GrantStatus.ACTIVE, GrantStatus.REVOKED, "revoked"),
    ],
)
def test_the_same_grant_decision_made_twice_at_once_is_made_once(
    world: Sharing,
    monkeypatch: pytest.MonkeyPatch,
    use_case: str,
    starting: GrantStatus,
    ending: GrantStatus,
    event: str,
) -> None:
    """Approving a request (or revoking a grant) in two requests at once: one does it, the
    other is told it is already done; one event."""
    grant_id = world.grant(world.subject(), "csc", status=starting)
    officer = world.actor(world.officer)
    command: object = (
        ApproveCommand(expires_on=_ends(world.app))
        if use_case == "approve_request"
        else ReasonCommand(reason="The case has closed")
    )
    since = head_seq(world.app)
    wait_after(monkeypatch, grants_repository, "lock_grant")

    def decide() -> object:
        return getattr(service, use_case)(officer, grant_id=grant_id, command=command)

    results = run_together([_use_case(world.app, decide) for _ in range(2)])

    assert sorted(results) == ["done", "refused"]
    assert _status(world.app, grant_id) == ending.value
    assert _grant_events(world.app, since) == [event]


def test_request_approved_and_refused_at_once_ends_one_way_only(
    world: Sharing, monkeypatch: pytest.MonkeyPatch
) -> None:
    grant_id = world.grant(world.subject(), "csc", status=GrantStatus.REQUESTED)
    officer = world.actor(world.officer)
    since = head_seq(world.app)
    wait_after(monkeypatch, grants_repository, "lock_grant")
    approve = ApproveCommand(expires_on=_ends(world.app))
    refuse = ReasonCommand(reason="No lawful basis for this request")

    results = run_together(
        [
            _use_case(
                world.app,
                lambda: service.approve_request(officer, grant_id=grant_id, command=approve),
            ),
            _use_case(
                world.app,
                lambda: service.refuse_request(officer, grant_id=grant_id, command=refuse),
            ),
        ]
    )

    assert sorted(results) == ["done", "refused"]
    won = "approved" if results[0] == "done" else "refused"
    assert _grant_events(world.app, since) == [won]
    status = {"approved": GrantStatus.ACTIVE, "refused": GrantStatus.REFUSED}[won]
    assert _status(world.app, grant_id) == status.value


def test_grant_renewed_twice_at_once_is_renewed_once(
    world: Sharing, monkeypatch: pytest.MonkeyPatch
) -> None:
    grant_id = world.grant(world.subject(), "csc")
    officer = world.actor(world.officer)
    with world.app.app_context():
        old = db.session.get(AccessGrant, grant_id)
        assert old is not None
        terms = GrantTerms(
            legal_gateway=old.legal_gateway,
            dp_condition=old.dp_condition,
            justification="Still needed: the review is in March",
            isa_reference=old.isa_reference,
            expires_on=db_now().date() + timedelta(days=60),
        )
        db.session.remove()
    since = head_seq(world.app)
    wait_after(monkeypatch, grants_repository, "lock_grant")

    def renew() -> object:
        return service.renew_grant(officer, grant_id=grant_id, command=RenewCommand(terms))

    results = run_together([_use_case(world.app, renew) for _ in range(2)])

    assert sorted(results) == ["done", "refused"]
    with world.app.app_context():
        renewals = db.session.execute(
            select(func.count()).where(AccessGrant.renews_id == grant_id)
        ).scalar_one()
        db.session.remove()
    assert renewals == 1
    assert _grant_events(world.app, since) == ["renewed"]


def test_csods_decision_recorded_twice_at_once_is_recorded_once(
    app: Flask, factories: Any, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two officers record the forum's decision at once: one decision, one refusal on the page."""
    world = CsodsWorld(app, factories)
    officer = world.browser(world.csods, make_client)
    application_id = record(officer)
    walk_to_forum(officer, application_id)
    colleague = world.browser(world.supervisor, make_client)
    path = f"{BASE}/{application_id}/decision"
    forms = [{**DISCLOSE, "csrf_token": csrf_token(c, path)} for c in (officer, colleague)]
    wait_after(monkeypatch, csods_repository, "get_application")

    responses = run_together(
        [
            lambda c=c, f=f: c.post(path, data=f)
            for c, f in zip((officer, colleague), forms, strict=True)
        ]
    )

    assert sorted(r.status_code for r in responses) == [302, 400]
    with app.app_context():
        decisions = db.session.execute(select(func.count()).select_from(CsodsDecision))
        assert decisions.scalar_one() == 1
        db.session.remove()


def _user_changes(app: Flask, user_id: uuid.UUID) -> list[str]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEventRow)
            .where(
                AuditEventRow.event_type == "USER_CHANGED",
                AuditEventRow.target_user_id == user_id,
            )
            .order_by(AuditEventRow.seq)
        ).scalars()
        reasons = [json.loads(row.body)["with"]["reason"] for row in rows]
        db.session.remove()
    return reasons


def test_account_disabled_and_given_new_roles_at_once_keeps_both_changes(
    app: Flask,
    factories: Any,
    make_client: Any,
    clock: ShiftedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two administrators at once: one disables the account, the other changes its roles. Both
    changes are made, one after the other, each with its own USER_CHANGED event."""
    police = factories.agency(name="Northshire Police", type=AgencyType.POLICE.value)
    admins = [factories.user(agency=police, roles=(Role.AGENCY_ADMIN,)) for _ in range(2)]
    member = factories.user(agency=police, roles=(Role.MOSOVO_OFFICER,))
    browsers = []
    for admin in admins:
        client = make_client()
        clock.advance(NEXT_STEP)
        assert sign_in(app, client, admin).status_code == 302
        browsers.append(client)
    disable = (
        f"/users/{member.id}/disable",
        {"csrf_token": csrf_token(browsers[0], f"/users/{member.id}")},
    )
    roles_path = f"/users/{member.id}/roles"
    roles = (
        roles_path,
        {
            "roles": [Role.IG_OFFICER.value],
            "clearance": "SC",
            "csrf_token": csrf_token(browsers[1], roles_path),
        },
    )
    wait_after(monkeypatch, users_repository, "lock_users")

    responses = run_together(
        [
            lambda b=b, r=r: b.post(r[0], data=r[1])
            for b, r in zip(browsers, (disable, roles), strict=True)
        ]
    )

    assert [r.status_code for r in responses] == [302, 302]
    with app.app_context():
        user = db.session.get(User, member.id)
        assert user is not None
        assert (user.status, user.roles) == (
            UserStatus.DISABLED.value,
            frozenset({Role.IG_OFFICER}),
        )
        db.session.remove()
    assert sorted(_user_changes(app, member.id)) == ["disabled", "roles_changed"]


def _admins(app: Flask, factories: Any, make_client: Any, clock: ShiftedClock) -> tuple[Any, ...]:
    """Two administrators of one agency, each signed in, and a member of their agency."""
    police = factories.agency(name="Northshire Police", type=AgencyType.POLICE.value)
    browsers = []
    for _ in range(2):
        client = make_client()
        clock.advance(NEXT_STEP)
        admin = factories.user(agency=police, roles=(Role.AGENCY_ADMIN,))
        assert sign_in(app, client, admin).status_code == 302
        browsers.append(client)
    member = factories.user(agency=police, roles=(Role.MOSOVO_OFFICER,))
    return browsers[0], browsers[1], member


def test_account_disabled_twice_is_disabled_once_and_says_so(
    app: Flask, factories: Any, make_client: Any, clock: ShiftedClock
) -> None:
    """A double click on "Disable account" (or two administrators): one change, one
    USER_CHANGED event; the second is told the account is already disabled (it wrote a second
    "disabled" event for a change that did not happen)."""
    admin, _, member = _admins(app, factories, make_client, clock)
    path = f"/users/{member.id}/disable"
    form = {"csrf_token": csrf_token(admin, f"/users/{member.id}")}

    first, second = admin.post(path, data=form), admin.post(path, data=form)

    assert (first.status_code, second.status_code) == (302, 302)
    assert "already disabled" in admin.get(second.headers["Location"]).get_data(as_text=True)
    assert _user_changes(app, member.id) == ["disabled"]


def test_roles_saved_from_a_page_opened_before_another_change_are_refused(
    app: Flask, factories: Any, make_client: Any, clock: ShiftedClock
) -> None:
    """Two administrators open the member's roles page; the first gives them the IG role, the
    second (from the page opened before) raises their clearance. The second is told the account
    changed, and the IG role stays (the second save silently took it away again)."""
    first, second, member = _admins(app, factories, make_client, clock)
    path = f"/users/{member.id}/roles"
    first_form, second_form = opened_form(first, path), opened_form(second, path)
    officer = Role.MOSOVO_OFFICER.value

    saved = first.post(
        path, data={"roles": [officer, Role.IG_OFFICER.value], "clearance": "SC", **first_form}
    )
    late = second.post(path, data={"roles": [officer], "clearance": "DV", **second_form})

    assert saved.status_code == 302
    assert late.status_code == 400
    assert "changed by someone else" in late.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, member.id)
        assert user is not None
        assert user.roles == frozenset({Role.MOSOVO_OFFICER, Role.IG_OFFICER})
        db.session.remove()
    assert _user_changes(app, member.id) == ["roles_changed"]


def _alert_with_reviewers(
    app: Flask, factories: Any, make_client: Any, clock: ShiftedClock
) -> tuple[uuid.UUID, list[Any]]:
    """A break-glass alert waiting for review, and two IG officers signed in."""
    world = World(app, factories)
    subject_id = world.subject()
    partner = world.browser(world.people["csc"], make_client)
    path = f"/governance/break-glass/{subject_id}"
    reason = {"reason": "Child reported missing tonight; address needed now"}
    assert (
        partner.post(path, data={**reason, "csrf_token": csrf_token(partner, path)}).status_code
        == 302
    )
    with app.app_context():
        alert_id = db.session.execute(select(Alert.id)).scalar_one()
        db.session.remove()
    reviewers = []
    for _ in range(2):
        clock.advance(NEXT_STEP)
        officer = factories.user(agency=world.police, roles=(Role.IG_OFFICER,))
        reviewers.append(world.browser(officer, make_client))
    return alert_id, reviewers


def _decisions(app: Flask) -> list[str]:
    with app.app_context():
        outcomes = db.session.execute(select(AlertDisposition.outcome)).scalars().all()
        db.session.remove()
    return list(outcomes)


def test_alert_decision_sent_twice_is_recorded_once(
    app: Flask, factories: Any, make_client: Any, clock: ShiftedClock
) -> None:
    """A double click on "Record decision": one decision, one LOG_READ; the second is told the
    alert was decided after the page was opened (it recorded the decision twice, both "latest",
    so which one the queue showed was a matter of chance)."""
    alert_id, (reviewer, _) = _alert_with_reviewers(app, factories, make_client, clock)
    path = f"/governance/alerts/{alert_id}"
    form = {
        "outcome": "JUSTIFIED",
        "notes": "Duty rota confirms the call-out",
        **opened_form(reviewer, path),
    }

    first, second = reviewer.post(path, data=form), reviewer.post(path, data=form)

    assert (first.status_code, second.status_code) == (302, 400)
    assert "decided by someone else" in second.get_data(as_text=True)
    assert _decisions(app) == ["JUSTIFIED"]


def test_alert_decided_by_two_reviewers_at_once_keeps_one_decision(
    app: Flask,
    factories: Any,
    make_client: Any,
    clock: ShiftedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two IG officers decide the same alert at once, differently: one decision is recorded, the
    other officer is told and shown it (both were recorded as the latest decision)."""
    alert_id, reviewers = _alert_with_reviewers(app, factories, make_client, clock)
    path = f"/governance/alerts/{alert_id}"
    forms = [
        {"outcome": outcome, "notes": "Checked against the duty rota", **opened_form(r, path)}
        for r, outcome in zip(reviewers, ("JUSTIFIED", "BREACH"), strict=True)
    ]
    wait_after(monkeypatch, governance_alerts, "alert_for_review")

    responses = run_together(
        [lambda r=r, f=f: r.post(path, data=f) for r, f in zip(reviewers, forms, strict=True)]
    )

    assert sorted(r.status_code for r in responses) == [302, 400]
    assert len(_decisions(app)) == 1


def test_action_progress_sent_twice_is_recorded_once(
    app: Flask, factories: Any, make_client: Any, clock: ShiftedClock
) -> None:
    mw = MeetingWorld(app, factories)
    subject_id = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    _, owned = distributed_meeting(mw, chair, subject_id)
    officer = mw.browser(mw.people["probation"], make_client)
    acknowledge(officer, subject_id)
    path = f"/actions/{owned['probation']}"
    form = {"status": "IN_PROGRESS", "note": "Home visit booked for Tuesday"}
    page = opened_form(officer, path)  # both clicks send what this page holds

    first = officer.post(path, data={**page, **form})
    second = officer.post(path, data={**page, **form})

    assert first.status_code == 302
    assert second.status_code == 400
    assert "Progress on this action was recorded after you opened this page" in (
        second.get_data(as_text=True)
    )
    with app.app_context():
        updates = db.session.execute(
            select(func.count()).where(ActionUpdate.action_id == owned["probation"])
        ).scalar_one()
        db.session.remove()
    assert updates == 1


def test_action_progress_from_two_people_at_once_records_one_and_tells_the_other(
    app: Flask, factories: Any, make_client: Any, clock: ShiftedClock
) -> None:
    """Two probation officers, each on the action page opened before either sent, record
    different progress: the first is recorded, the second is refused with a message saying
    why (it was "select a status this action can move to", or recorded over the first)."""
    mw = MeetingWorld(app, factories)
    subject_id = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    _, owned = distributed_meeting(mw, chair, subject_id)
    colleague = factories.user(
        agency=mw.partners["probation"], roles=(Role.PROBATION_OFFICER,), full_name="Pat Other"
    )
    officers = [mw.browser(u, make_client) for u in (mw.people["probation"], colleague)]
    for officer in officers:
        acknowledge(officer, subject_id)
    path = f"/actions/{owned['probation']}"
    pages = [opened_form(o, path) for o in officers]

    done = officers[0].post(path, data={**pages[0], "status": "COMPLETED", "note": "Done"})
    late = officers[1].post(path, data={**pages[1], "status": "IN_PROGRESS", "note": "Booked"})

    assert done.status_code == 302
    assert late.status_code == 400
    assert "recorded after you opened this page" in late.get_data(as_text=True)
    with app.app_context():
        statuses = db.session.execute(
            select(ActionUpdate.status_to).where(ActionUpdate.action_id == owned["probation"])
        ).scalars()
        assert list(statuses) == ["COMPLETED"]
        db.session.remove()


def test_meeting_record_saved_from_a_page_opened_before_another_save_is_refused(
    app: Flask, factories: Any, make_client: Any, clock: ShiftedClock
) -> None:
    """Two co-ordinators open the draft minutes' edit page; the first saves a new location, the
    second's save (another location) is refused instead of undoing the first's, and sent again
    from the page it is shown it is saved."""
    mw = MeetingWorld(app, factories)
    subject_id = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(chair, subject_id)
    colleague = factories.user(agency=mw.police, roles=(Role.MAPPA_COORDINATOR,))
    other = mw.browser(colleague, make_client)
    path = f"/meetings/{meeting_id}/edit"
    pages = [opened_form(c, path) for c in (chair, other)]
    before = mw.last_seq()

    first = chair.post(path, data={**mw.meeting_form(location="Room 1"), **pages[0]})
    clock.advance(timedelta(seconds=1))
    late = other.post(path, data={**mw.meeting_form(location="Room 2"), **pages[1]})

    assert first.status_code == 302
    assert late.status_code == 400
    html = late.get_data(as_text=True)
    assert "This meeting record was changed by someone else" in html
    assert 'value="Room 2"' in html  # the answers are kept
    assert mw.event_types(before).count("ALTERATION") == 1
    again = other.post(path, data={**mw.meeting_form(location="Room 2"), **hidden_fields(html)})
    assert again.status_code == 302
    with app.app_context():
        location = db.session.execute(
            select(Meeting.location).where(Meeting.id == meeting_id)
        ).scalar_one()
        db.session.remove()
    assert location == "Room 2"
