"""Opening a subject: one CONSULTATION per view, the scope's fields only, the page marked with
the combination of what it shows; the confidentiality acknowledgement before the first opening
under a grant; print as a DISCLOSURE; revocation and expiry apply to the very next request."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

import portal.subjects.views as views
from portal.access.models import ConfidentialityAcknowledgement
from portal.core.markings import Marking
from portal.db import transaction as unit_of_work
from portal.extensions import db
from tests.conftest import backend
from tests.helpers import csrf_token, other_sqlite_connection
from tests.integration.subjects.sharing import OFFICIAL, SUBJECT_VALUES, World
from tests.leaks import CONTENT_MARKER


def consultations(world: World, subject_id) -> list:
    return [
        e for e in world.events() if e.event_type == "CONSULTATION" and e.subject_id == subject_id
    ]


def test_owner_sees_the_full_subject_and_every_record_with_one_consultation(world, make_client):
    subject_id = world.subject(marking=OFFICIAL)
    world.record(subject_id, title="Plan", kind="RISK_MANAGEMENT_PLAN", marking=OFFICIAL)
    world.record(subject_id, title="Medical", kind="NOTE", health=True)
    officer = world.browser(world.officer, make_client)

    response = officer.get(f"/subjects/{subject_id}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for value in SUBJECT_VALUES.values():
        assert value in html
    assert "Plan" in html
    assert "Medical" in html
    assert html.count(CONTENT_MARKER) == 1 + 6 + 1  # the plan's body and six sections, the note
    # OFFICIAL subject and plan + an OFFICIAL-SENSITIVE note: the page takes the combination.
    assert html.count("OFFICIAL-SENSITIVE - PERSONAL DATA</p>") == 2
    [event] = consultations(world, subject_id)
    assert event.actor_id == world.officer.id
    assert event.outcome == "success"


def test_summary_grant_shows_summary_fields_and_risk_summaries_without_health(world, make_client):
    subject_id = world.subject(marking=OFFICIAL)
    world.record(subject_id, title="Shared summary", body="summary words", marking=OFFICIAL)
    world.record(subject_id, title="Health summary", body="health words", health=True)
    world.record(subject_id, title="The plan", kind="RISK_MANAGEMENT_PLAN")
    world.record(subject_id, title="A note", kind="NOTE")
    world.grant(subject_id, "housing", profile="SUMMARY", acknowledged=True)
    housing = world.browser(world.people["housing"], make_client)

    response = housing.get(f"/subjects/{subject_id}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "FAIRWEATHER, Quentin Lowell" in html
    assert "summary words" in html
    for hidden in ("health words", "Health summary", "The plan", "A note", "supervision section"):
        assert hidden not in html
    for identifier in ("pnc_id", "ndelius_crn", "visor_ref"):
        assert SUBJECT_VALUES[identifier] not in html
    # Only OFFICIAL things are shown, so the page is OFFICIAL (not the hidden records' marking).
    assert "OFFICIAL-SENSITIVE" not in html
    assert len(consultations(world, subject_id)) == 1


def test_first_opening_under_a_grant_asks_for_acknowledgement_then_opens(world, make_client):
    subject_id = world.subject()
    world.record(subject_id, body="shared words")
    grant_id = world.grant(subject_id, "csc", profile="SUMMARY_AND_ACTIONS")
    social = world.browser(world.people["csc"], make_client)

    first = social.get(f"/subjects/{subject_id}")

    assert first.status_code == 302
    assert first.headers["Location"] == f"/subjects/{subject_id}/acknowledge"
    statement = social.get(first.headers["Location"])
    assert statement.status_code == 200
    text = statement.get_data(as_text=True)
    assert "Confidentiality statement" in text
    assert "shared words" not in text
    assert CONTENT_MARKER not in text
    assert "FAIRWEATHER" not in text
    assert not consultations(world, subject_id)
    assert world.count(ConfidentialityAcknowledgement) == 0

    path = f"/subjects/{subject_id}/acknowledge"
    agreed = social.post(path, data={"csrf_token": csrf_token(social, path)})

    assert agreed.status_code == 302
    assert agreed.headers["Location"] == f"/subjects/{subject_id}"
    with world.app.app_context():
        [ack] = db.session.query(ConfidentialityAcknowledgement).all()
        assert (ack.grant_id, ack.user_id) == (grant_id, world.people["csc"].id)
    opened = social.get(f"/subjects/{subject_id}")
    assert opened.status_code == 200
    assert "shared words" in opened.get_data(as_text=True)
    assert len(consultations(world, subject_id)) == 1
    # Asked again once acknowledged, the acknowledgement page just opens the subject.
    again = social.get(path)
    assert again.status_code == 302
    assert again.headers["Location"] == f"/subjects/{subject_id}"
    assert world.count(ConfidentialityAcknowledgement) == 1


def test_acknowledgement_without_a_grant_is_not_found_and_stores_nothing(world, make_client):
    subject_id = world.subject()
    social = world.browser(world.people["csc"], make_client)
    path = f"/subjects/{subject_id}/acknowledge"

    assert social.get(path).status_code == 404
    response = social.post(path, data={"csrf_token": csrf_token(social, "/shared")})

    assert response.status_code == 404
    assert world.count(ConfidentialityAcknowledgement) == 0


def test_revocation_applies_to_the_very_next_request(world, make_client):
    subject_id = world.subject()
    world.record(subject_id, body="shared words")
    grant_id = world.grant(subject_id, "csc", profile="SUMMARY", acknowledged=True)
    social = world.browser(world.people["csc"], make_client)
    assert social.get(f"/subjects/{subject_id}").status_code == 200

    world.revoke(grant_id)
    refused = social.get(f"/subjects/{subject_id}")

    assert refused.status_code == 404
    body = refused.get_data(as_text=True)
    assert "shared words" not in body
    assert CONTENT_MARKER not in body
    assert "FAIRWEATHER" not in body
    assert len(consultations(world, subject_id)) == 1


@pytest.mark.skipif(backend() != "sqlite", reason="SQLite reads before it locks")
def test_a_grant_revoked_while_the_page_renders_refuses_the_view(
    world: World, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    subject_id = world.subject()
    world.record(subject_id, body="shared words")
    grant_id = world.grant(subject_id, "csc", profile="SUMMARY", acknowledged=True)
    social = world.browser(world.people["csc"], make_client)
    before = len(world.events())

    rendered = views.render_template
    renders: list[str] = []

    def render_then_revoke(*args: Any, **kwargs: Any) -> str:
        page = rendered(*args, **kwargs)
        renders.append(page)
        if len(renders) == 1:  # the grant is revoked while this page renders
            # Another process: it would give up at once if the page held the write lock.
            other = other_sqlite_connection(world.app)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute(
                    "UPDATE access_grant SET status = 'REVOKED' WHERE id = ?", (grant_id.hex,)
                )
                other.execute("COMMIT")
            finally:
                other.close()
        return page

    monkeypatch.setattr(views, "render_template", render_then_revoke)
    response = social.get(f"/subjects/{subject_id}")

    # Read and rendered under the live grant, once; the second run found it gone.
    assert ["shared words" in page for page in renders] == [True, False]
    assert response.status_code == 404  # the grant had gone before the view could be logged
    assert "shared words" not in response.get_data(as_text=True)
    new = world.events()[before:]
    assert [(e.event_type, e.outcome) for e in new] == [("AUTHZ_FAIL", "denied")]


@pytest.mark.skipif(backend() != "sqlite", reason="SQLite reads before it locks")
def test_views_racing_other_writers_log_exactly_one_consultation_each(
    world: World, make_client: Any, monkeypatch: pytest.MonkeyPatch, clock: Any
) -> None:
    subject_id = world.subject()
    world.record(subject_id, body="shared words")
    world.grant(subject_id, "csc", profile="SUMMARY", acknowledged=True)
    browsers = []
    for _ in range(3):  # three sessions of one user: each sign-in needs a fresh TOTP step
        clock.advance(timedelta(seconds=31))
        browsers.append(world.browser(world.people["csc"], make_client))
    stale: list[int] = []

    class CountedStaleRead(unit_of_work.StaleRead):
        def __init__(self, *args: Any) -> None:
            stale.append(1)
            super().__init__(*args)

    monkeypatch.setattr(unit_of_work, "StaleRead", CountedStaleRead)
    stop = threading.Event()
    statuses: list[int] = []

    def keep_renaming_the_police() -> None:  # another user editing while the pages are read
        other = other_sqlite_connection(world.app, timeout=10)
        try:
            while not stop.is_set():
                other.execute("BEGIN IMMEDIATE")
                other.execute("UPDATE agency SET name = name WHERE id = ?", (world.police.id.hex,))
                other.execute("COMMIT")
                time.sleep(0.002)
        finally:
            other.close()

    def view(browser: Any) -> None:
        for _ in range(12):
            response = browser.get(f"/subjects/{subject_id}")
            statuses.append(response.status_code)

    churn = threading.Thread(target=keep_renaming_the_police)
    viewers = [threading.Thread(target=view, args=(browser,)) for browser in browsers]
    churn.start()
    for thread in viewers:
        thread.start()
    for thread in viewers:
        thread.join()
    stop.set()
    churn.join()

    assert statuses == [200] * 36
    assert stale, "no page was read while something changed: the race was not exercised"
    assert len(consultations(world, subject_id)) == 36  # one per page shown, none for a stale run


def test_expiry_is_judged_at_the_moment_of_access(world, make_client, clock):
    subject_id = world.subject()
    ten_minutes = 10 / (24 * 60)
    world.grant(subject_id, "csc", profile="SUMMARY", days=ten_minutes, acknowledged=True)
    social = world.browser(world.people["csc"], make_client)
    clock.advance(timedelta(minutes=9, seconds=58))
    assert social.get(f"/subjects/{subject_id}").status_code == 200

    clock.advance(timedelta(seconds=3))  # within the session's idle timeout

    assert social.get(f"/subjects/{subject_id}").status_code == 404
    assert len(consultations(world, subject_id)) == 1


def test_print_is_a_disclosure_with_the_marking_top_and_bottom(world, make_client):
    subject_id = world.subject()
    world.record(subject_id, body="shared words")
    world.grant(subject_id, "csc", profile="SUMMARY", acknowledged=True)
    social = world.browser(world.people["csc"], make_client)
    token = csrf_token(social, f"/subjects/{subject_id}")

    response = social.post(f"/subjects/{subject_id}/print", data={"csrf_token": token})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "shared words" in html
    banner = "OFFICIAL-SENSITIVE - PERSONAL DATA"
    first, last = html.index(banner), html.rindex(banner)
    assert first < html.index("shared words") < last
    assert html.count(banner) >= 4  # banner top and bottom, and on every printed page
    assert 'class="govuk-service-navigation' not in html
    [disclosure] = [e for e in world.events() if e.event_type == "DISCLOSURE"]
    assert disclosure.subject_id == subject_id
    assert disclosure.actor_id == world.people["csc"].id
    assert "printed by" in disclosure.body
    # Printing is a POST: a link or a cross-site GET can never record a disclosure.
    assert social.get(f"/subjects/{subject_id}/print").status_code in (404, 405)
    assert len([e for e in world.events() if e.event_type == "DISCLOSURE"]) == 1


def test_print_without_csrf_token_is_refused_and_logs_nothing(world, make_client):
    subject_id = world.subject()
    officer = world.browser(world.officer, make_client)

    response = officer.post(f"/subjects/{subject_id}/print")

    assert response.status_code == 400
    assert not [e for e in world.events() if e.event_type == "DISCLOSURE"]


def test_owner_list_shows_own_subjects_only_and_writes_no_event(world, make_client, factories):
    mine = world.subject(family_name="Mine")
    other_police = factories.agency(name="Southshire Police")
    other_officer = factories.user(
        agency=other_police,
        roles=(__import__("portal.core.identity", fromlist=["Role"]).Role.MOSOVO_OFFICER,),
    )
    officer = world.browser(world.officer, make_client)
    events_before = len(world.events())

    html = officer.get("/subjects/").get_data(as_text=True)

    assert "MINE, Quentin Lowell" in html
    assert f"/subjects/{mine}" in html
    assert len(world.events()) == events_before
    theirs = world.browser(other_officer, make_client).get("/subjects/").get_data(as_text=True)
    assert "MINE" not in theirs


def test_marking_lowered_by_owner_is_allowed(world, make_client):
    subject_id = world.subject()
    officer = world.browser(world.officer, make_client)
    path = f"/subjects/{subject_id}/edit"
    from tests.integration.subjects.test_create_subject import answers, post

    response = post(
        officer, path, answers(world, classification="OFFICIAL", descriptors=[], pnc_id=None)
    )

    assert response.status_code == 302
    from portal.subjects.models import Subject

    assert Marking.from_json(world.row(Subject, subject_id).marking).banner == "OFFICIAL"


def test_exclusion_list_beats_a_grant_and_shows_the_owners_message(world, make_client):
    subject_id = world.subject()
    world.record(subject_id, body="shared words")
    world.grant(subject_id, "csc", profile="FULL", acknowledged=True)
    world.exclude(subject_id, world.people["csc"], message="Conflict of interest: ask DS Patel")
    social = world.browser(world.people["csc"], make_client)

    response = social.get(f"/subjects/{subject_id}")

    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Conflict of interest: ask DS Patel" in html
    assert "shared words" not in html
    assert "FAIRWEATHER" not in html
    [refusal] = [e for e in world.events() if e.event_type == "AUTHZ_FAIL"]
    assert '"excluded"' in refusal.body
    assert refusal.subject_id == subject_id


def test_exclusion_list_applies_to_the_owners_staff_too(world, make_client):
    subject_id = world.subject(family_name="Barred")
    world.subject(family_name="Other")
    world.exclude(subject_id, world.officer)
    officer = world.browser(world.officer, make_client)

    assert officer.get(f"/subjects/{subject_id}").status_code == 404
    listing = officer.get("/subjects/").get_data(as_text=True)
    assert "BARRED" not in listing
    assert "OTHER, Quentin Lowell" in listing


def test_each_refusal_records_one_authz_fail(world, make_client):
    subject_id = world.subject()
    world.grant(subject_id, "csc", state="revoked")
    social = world.browser(world.people["csc"], make_client)

    assert social.get(f"/subjects/{subject_id}").status_code == 404
    assert social.get(f"/subjects/{__import__('uuid').uuid4()}").status_code == 404

    refusals = [e for e in world.events() if e.event_type == "AUTHZ_FAIL"]
    assert len(refusals) == 2
    assert '"grant_revoked"' in refusals[0].body
    assert '"not_found"' in refusals[1].body
    assert all(e.actor_id == world.people["csc"].id for e in refusals)
    assert not consultations(world, subject_id)


def test_consultation_names_the_grant_and_its_lawful_basis(world, make_client):
    subject_id = world.subject()
    grant_id = world.grant(subject_id, "csc", profile="SUMMARY", acknowledged=True)
    social = world.browser(world.people["csc"], make_client)

    social.get(f"/subjects/{subject_id}")

    [event] = consultations(world, subject_id)
    assert event.grant_id == grant_id
    assert (event.legal_gateway, event.dp_condition) == ("GW-CJA03-S325", "DP3-SCH8-4")
    assert event.marking == "OFFICIAL-SENSITIVE - PERSONAL DATA"


def test_the_gates_reads_after_the_grants_take_one_round_trip(world, make_client):
    # The LAO lists and members, the account's status and the acknowledgements come in one
    # statement (a round trip each would cost every audited view on a networked database).
    subject_id = world.subject()
    world.grant(subject_id, "csc", profile="FULL", acknowledged=True)
    social = world.browser(world.people["csc"], make_client)
    seen: list[str] = []

    def remember(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    with world.app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        assert social.get(f"/subjects/{subject_id}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", remember)

    tables = ("FROM lao_list", "FROM lao_member", "FROM confidentiality_acknowledgement")
    reads = [s for s in seen if any(table in s for table in tables)]
    assert len(reads) == 1, reads
    assert all(table in reads[0] for table in tables)
    assert "FROM user_account WHERE user_account.id" in reads[0]
    assert len(consultations(world, subject_id)) == 1
