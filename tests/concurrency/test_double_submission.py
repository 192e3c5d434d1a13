"""The same form sent twice (a double click) or by two people at once: a clean success or a
clear refusal, never a server error, never a second row where one is meant, never a change that
silently overwrites another, and an audit event for exactly the changes that were kept.

Each concurrent test holds both requests after they have read the state they decide on (see
:mod:`tests.concurrency.races`), which only changes anything on PostgreSQL: SQLite's write lock
already runs whole units of work one after another. The tests of changes made one after the
other run on both databases.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from portal.access.models import BreakGlassWindow, LaoList, LaoMember
from portal.core.clock import ShiftedClock
from portal.core.identity import Role
from portal.csods import repository as csods_repository
from portal.csods.models import CsodsApplication
from portal.extensions import db
from portal.governance import breakglass
from portal.governance.models import Alert
from portal.grants import repository as grants_repository
from portal.meetings import repository as meetings_repository
from portal.meetings.models import Meeting
from portal.records.models import SharedRecord
from portal.subjects import repository as subjects_repository
from portal.subjects.models import Subject
from tests.concurrency.races import hidden_fields, opened_form, run_together, wait_after
from tests.helpers import csrf_token
from tests.integration.access.world import Sharing, events_after
from tests.integration.csods.support import BASE, CsodsWorld, application_answers, error_messages
from tests.integration.grants.test_grant_pages import browser as world_browser
from tests.integration.grants.test_grant_pages import grant_answers, grants_of
from tests.integration.meetings.conftest import MeetingWorld
from tests.integration.records.test_create_record import answers as record_answers
from tests.integration.subjects.sharing import OFFICIAL, World
from tests.integration.subjects.test_create_subject import answers as subject_answers
from tests.security.conftest import NEXT_STEP

CHANGED_MEANWHILE = "changed by someone else"
REASON = "Child reported missing tonight; address history needed now"


def _count(app: Any, statement: Any) -> int:
    with app.app_context():
        found = int(db.session.execute(statement).scalar_one())
        db.session.remove()
        return found


def _events(world: World | Sharing, kind: str) -> list[Any]:
    return [e for e in events_after(world.app, 0) if e.event_type == kind]


def _post(client: Any, path: str, data: dict[str, Any]) -> Any:
    return lambda: client.post(path, data=data)


def _twice(world: World, user: Any, make_client: Any, clock: ShiftedClock) -> list[Any]:
    """The same user signed in in two browsers (the security code of the next time step)."""
    browsers = []
    for _ in range(2):
        clock.advance(NEXT_STEP)
        browsers.append(world.browser(user, make_client))
    return browsers


# --- Creating: the second of two identical forms ---------------------------------------------


def test_same_application_recorded_twice_at_once_is_one_application_and_a_refusal(
    app: Any, factories: Any, make_client: Any, clock: ShiftedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two officers (or one double click) record the application with the same URN at once:
    one is recorded, the other is told the URN is in use (it was a 500)."""
    world = CsodsWorld(app, factories)
    browsers = _twice(world, world.csods, make_client, clock)
    path = f"{BASE}/new"
    forms = [{**application_answers(), "csrf_token": csrf_token(b, path)} for b in browsers]
    wait_after(monkeypatch, csods_repository, "urn_taken")

    responses = run_together([_post(b, path, f) for b, f in zip(browsers, forms, strict=True)])

    assert sorted(r.status_code for r in responses) == [302, 400]
    [refused] = [r for r in responses if r.status_code == 400]
    assert "An application with this URN already exists" in error_messages(
        refused.get_data(as_text=True)
    )
    assert _count(app, select(func.count()).select_from(CsodsApplication)) == 1
    assert len(world.events_of("COLLECTION")) == 1


def test_first_meeting_recorded_twice_at_once_is_one_meeting_and_a_refusal(
    app: Any, factories: Any, make_client: Any, clock: ShiftedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A double click on "record the meeting" for a subject's first meeting: one meeting, and
    the second told the subject has had one (it was a 500: both took sequence 1)."""
    mw = MeetingWorld(app, factories)
    subject_id = mw.subject()
    chairs = _twice(mw, mw.coordinator, make_client, clock)
    path = f"/subjects/{subject_id}/meetings/new"
    forms = [{**mw.meeting_form(), "csrf_token": csrf_token(c, path)} for c in chairs]
    wait_after(monkeypatch, meetings_repository, "next_sequence")

    responses = run_together([_post(c, path, f) for c, f in zip(chairs, forms, strict=True)])

    assert sorted(r.status_code for r in responses) == [302, 400]
    [refused] = [r for r in responses if r.status_code == 400]
    assert "This subject has had a meeting already" in refused.get_data(as_text=True)
    assert _count(app, select(func.count()).select_from(Meeting)) == 1
    assert len(_events(mw, "COLLECTION")) == 1


def test_access_list_saved_by_two_people_at_once_is_saved_once_and_refused_once(
    app: Any, factories: Any, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two officers save the subject's exclusion list at once from the same page: one list is
    saved and the other refused with a clear message (the second was a 500: both inserted the
    list)."""
    world = World(app, factories)
    subject_id = world.subject()
    colleague = factories.user(agency=world.police, roles=(Role.MOSOVO_OFFICER,))
    officers = [world.browser(user, make_client) for user in (world.officer, colleague)]
    path = f"/subjects/{subject_id}/access-lists"
    excluded = [world.people["csc"].email, world.people["housing"].email]
    forms = [
        {"members": email, "message": "Ask DS Patel", **_lao_form(o, path)}
        for o, email in zip(officers, excluded, strict=True)
    ]
    wait_after(monkeypatch, grants_repository, "find_subject")
    before = len(_events(world, "ALTERATION"))

    responses = run_together([_post(o, path, f) for o, f in zip(officers, forms, strict=True)])

    assert sorted(r.status_code for r in responses) == [302, 400]
    [refused] = [r for r in responses if r.status_code == 400]
    assert CHANGED_MEANWHILE in refused.get_data(as_text=True)
    assert _count(app, select(func.count()).select_from(LaoList)) == 1
    assert _count(app, select(func.count()).select_from(LaoMember)) == 1
    assert len(_events(world, "ALTERATION")) == before + 1


def test_exclusion_saved_from_a_page_opened_before_another_save_is_refused(
    app: Any, factories: Any, make_client: Any
) -> None:
    """Two officers open the access lists; the first excludes one partner, the second (from the
    page opened before) another. The second is refused, so the first exclusion stands (it was
    silently taken off the list, giving that person their access back)."""
    world = World(app, factories)
    subject_id = world.subject()
    colleague = factories.user(agency=world.police, roles=(Role.MOSOVO_OFFICER,))
    first, second = (world.browser(u, make_client) for u in (world.officer, colleague))
    path = f"/subjects/{subject_id}/access-lists"
    first_form, second_form = _lao_form(first, path), _lao_form(second, path)
    csc, housing = world.people["csc"], world.people["housing"]

    saved = first.post(path, data={"members": csc.email, "message": "x", **first_form})
    late = second.post(path, data={"members": housing.email, "message": "x", **second_form})

    assert saved.status_code == 302
    assert late.status_code == 400
    assert CHANGED_MEANWHILE in late.get_data(as_text=True)
    with app.app_context():
        members = db.session.execute(select(LaoMember.user_id)).scalars().all()
        db.session.remove()
    assert members == [csc.id]


def _lao_form(client: Any, path: str) -> dict[str, str]:
    """The exclusion list's form on the access-lists page, as the page sends it back."""
    page = client.get(path).get_data(as_text=True)
    [form] = [f for f in page.split("<form")[1:] if 'name="kind" value="EXCLUSION"' in f]
    return hidden_fields(form.split("</form>", 1)[0])


def _request_answers(world: Sharing) -> dict[str, Any]:
    answers = {
        key: value
        for key, value in grant_answers(world).items()
        if key not in ("grantee_agency_id", "grantee_user_email", "scope", "record_id")
    }
    return {**answers, "identifier_kind": "pnc_id", "identifier": "12/345678A"}


def test_access_request_sent_twice_is_one_request(
    app: Any, factories: Any, make_client: Any
) -> None:
    """A double click on "Request access": one pending request for the owner to decide, one
    GRANT_CHANGED event, and the same answer to both clicks (it made two requests)."""
    world = Sharing(app, factories)
    subject_id = world.subject(pnc_id="12/345678A")
    worker = world_browser(world, world.people["csc"], make_client)
    form = {**_request_answers(world), "csrf_token": csrf_token(worker, "/grants/request")}

    first, second = (
        worker.post("/grants/request", data=form),
        worker.post("/grants/request", data=form),
    )

    assert (first.status_code, second.status_code) == (302, 302)
    assert first.headers["Location"] == second.headers["Location"]
    assert [g.status for g in grants_of(app, subject_id)] == ["REQUESTED"]
    assert len(_events(world, "GRANT_CHANGED")) == 1


def test_access_request_sent_twice_at_once_is_one_request(
    app: Any,
    factories: Any,
    make_client: Any,
    clock: ShiftedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = Sharing(app, factories)
    subject_id = world.subject(pnc_id="12/345678A")
    workers = []
    for _ in range(2):
        clock.advance(NEXT_STEP)
        workers.append(world_browser(world, world.people["csc"], make_client))
    forms = [
        {**_request_answers(world), "csrf_token": csrf_token(w, "/grants/request")} for w in workers
    ]
    wait_after(monkeypatch, grants_repository, "find_subject_by_identifier")

    responses = run_together(
        [_post(w, "/grants/request", f) for w, f in zip(workers, forms, strict=True)]
    )

    assert [r.status_code for r in responses] == [302, 302]
    assert [g.status for g in grants_of(app, subject_id)] == ["REQUESTED"]
    assert len(_events(world, "GRANT_CHANGED")) == 1


def test_break_glass_sent_twice_opens_one_window(
    app: Any, factories: Any, make_client: Any
) -> None:
    """A double click on "break the glass": one emergency window, one BREAK_GLASS event and
    one alert for review; the second request goes to the subject (it opened a second window,
    with its own event and alert)."""
    world = World(app, factories)
    subject_id = world.subject()
    browser = world.browser(world.people["csc"], make_client)
    path = f"/governance/break-glass/{subject_id}"
    form = {"reason": REASON, "csrf_token": csrf_token(browser, path)}

    first, second = browser.post(path, data=form), browser.post(path, data=form)

    assert (first.status_code, second.status_code) == (302, 302)
    assert second.headers["Location"].endswith(f"/subjects/{subject_id}")
    assert _count(app, select(func.count()).select_from(BreakGlassWindow)) == 1
    assert len(_events(world, "BREAK_GLASS")) == 1
    assert _count(app, select(func.count()).select_from(Alert)) == 1


def test_break_glass_sent_twice_at_once_opens_one_window(
    app: Any, factories: Any, make_client: Any, clock: ShiftedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(app, factories)
    subject_id = world.subject()
    browsers = _twice(world, world.people["csc"], make_client, clock)
    path = f"/governance/break-glass/{subject_id}"
    forms = [{"reason": REASON, "csrf_token": csrf_token(b, path)} for b in browsers]
    wait_after(monkeypatch, breakglass, "check_may_break_glass")

    responses = run_together([_post(b, path, f) for b, f in zip(browsers, forms, strict=True)])

    assert [r.status_code for r in responses] == [302, 302]
    assert _count(app, select(func.count()).select_from(BreakGlassWindow)) == 1
    assert len(_events(world, "BREAK_GLASS")) == 1
    assert _count(app, select(func.count()).select_from(Alert)) == 1


# --- Editing: a change made since the form was opened is never overwritten --------------------


def test_subject_edit_over_a_change_made_meanwhile_is_refused_and_keeps_that_change(
    app: Any, factories: Any, make_client: Any
) -> None:
    """Two officers open the subject's edit page; the first saves a new family name, then the
    second saves a new CRN from the page opened before. The second is told the subject changed
    and nothing of theirs is saved (the second save silently put the old name back)."""
    world = World(app, factories)
    subject_id = world.subject()
    colleague = factories.user(agency=world.police, roles=(Role.MOSOVO_OFFICER,))
    first, second = (world.browser(u, make_client) for u in (world.officer, colleague))
    path = f"/subjects/{subject_id}/edit"
    first_form, second_form = opened_form(first, path), opened_form(second, path)
    before = len(_events(world, "ALTERATION"))

    saved = first.post(
        path, data={**subject_answers(world, family_name="Renamed", pnc_id=None), **first_form}
    )
    late = second.post(
        path, data={**subject_answers(world, ndelius_crn="X999999", pnc_id=None), **second_form}
    )

    assert saved.status_code == 302
    assert late.status_code == 400
    assert CHANGED_MEANWHILE in late.get_data(as_text=True)
    subject = world.row(Subject, subject_id)
    assert (subject.family_name, subject.ndelius_crn) == ("Renamed", "X123456")
    assert len(_events(world, "ALTERATION")) == before + 1
    # Sent again from the page that said so, the change is saved.
    again = second.post(
        path,
        data={
            **subject_answers(world, family_name="Renamed", ndelius_crn="X999999", pnc_id=None),
            **opened_form(second, path),
        },
    )
    assert again.status_code == 302
    assert world.row(Subject, subject_id).ndelius_crn == "X999999"


def test_subject_edits_sent_at_once_save_one_and_refuse_the_other(
    app: Any, factories: Any, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(app, factories)
    subject_id = world.subject()
    colleague = factories.user(agency=world.police, roles=(Role.MOSOVO_OFFICER,))
    officers = [world.browser(u, make_client) for u in (world.officer, colleague)]
    path = f"/subjects/{subject_id}/edit"
    forms = [
        {**subject_answers(world, family_name=name, pnc_id=None), **opened_form(o, path)}
        for o, name in zip(officers, ("First", "Second"), strict=True)
    ]
    before = len(_events(world, "ALTERATION"))
    wait_after(monkeypatch, subjects_repository, "lock_subject")

    responses = run_together([_post(o, path, f) for o, f in zip(officers, forms, strict=True)])

    assert sorted(r.status_code for r in responses) == [302, 400]
    [refused] = [r for r in responses if r.status_code == 400]
    assert CHANGED_MEANWHILE in refused.get_data(as_text=True)
    kept = world.row(Subject, subject_id).family_name
    winner = responses.index(next(r for r in responses if r.status_code == 302))
    assert kept == ("First", "Second")[winner]
    assert len(_events(world, "ALTERATION")) == before + 1


def test_record_edit_over_a_change_made_meanwhile_is_refused_and_keeps_that_change(
    app: Any, factories: Any, make_client: Any
) -> None:
    world = World(app, factories)
    subject_id = world.subject()
    record_id = world.record(subject_id, marking=OFFICIAL)
    colleague = factories.user(agency=world.police, roles=(Role.MOSOVO_OFFICER,))
    first, second = (world.browser(u, make_client) for u in (world.officer, colleague))
    path = f"/records/{record_id}/edit"
    first_form, second_form = opened_form(first, path), opened_form(second, path)
    before = len(_events(world, "ALTERATION"))

    saved = first.post(path, data={**record_answers(title="First title"), **first_form})
    late = second.post(path, data={**record_answers(title="Second title"), **second_form})

    assert saved.status_code == 302
    assert late.status_code == 400
    assert CHANGED_MEANWHILE in late.get_data(as_text=True)
    assert "Second title" in late.get_data(as_text=True)  # their answers are still on the page
    assert world.row(SharedRecord, record_id).title == "First title"
    assert len(_events(world, "ALTERATION")) == before + 1
