"""``flask sessions purge`` deletes the rows no request can accept again, and only those."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from portal.auth.models import UserSession
from portal.core.clock import ShiftedClock
from portal.db.submissions import FormSubmission
from portal.extensions import db
from tests.concurrency.races import opened_form
from tests.helpers import csrf_token, sign_in
from tests.integration.subjects.sharing import World
from tests.integration.subjects.test_create_subject import answers as subject_answers


def _rows(app: Flask) -> int:
    with app.app_context():
        count = db.session.execute(select(func.count()).select_from(UserSession)).scalar_one()
        db.session.remove()
        return int(count)


def _purge(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["sessions", "purge"])
    assert result.exit_code == 0, result.output
    return str(result.output)


def test_purge_deletes_ended_sessions_and_keeps_live_ones(
    app: Flask, make_client: Any, factories: Any, clock: ShiftedClock
) -> None:
    settings = app.extensions["portal.settings"]
    idle = timedelta(seconds=settings.session_idle_seconds)
    user = factories.user()
    signed_out = make_client()
    sign_in(app, signed_out, user)
    signed_out.post("/sign-out", data={"csrf_token": csrf_token(signed_out, "/")})
    idle_visitor = make_client()
    csrf_token(idle_visitor, "/sign-in")  # a cookieless visit stores a row for its CSRF token
    clock.advance(idle + timedelta(minutes=1))
    live = make_client()
    sign_in(app, live, factories.user())
    fresh_visitor = make_client()
    csrf_token(fresh_visitor, "/sign-in")
    assert _rows(app) >= 4

    output = _purge(app)

    # The signed-out row, the idle visitor's row and the rows sign-in rotated away from go;
    # the live session and the fresh visitor's row stay, and both still work.
    assert _rows(app) == 2
    assert "Session rows deleted:" in output
    assert live.get("/").status_code == 200
    # Its token is still good: the empty form is answered with its field errors, not the
    # refusal of a stale token.
    answer = fresh_visitor.post(
        "/sign-in", data={"csrf_token": csrf_token(fresh_visitor, "/sign-in")}
    )
    assert answer.status_code == 400
    assert "Enter your email address" in answer.get_data(as_text=True)


def test_purge_keeps_a_session_just_inside_the_idle_limit(
    app: Flask, client: Any, factories: Any, clock: ShiftedClock
) -> None:
    settings = app.extensions["portal.settings"]
    sign_in(app, client, factories.user())  # the row sign-in rotated away from is revoked
    clock.advance(timedelta(seconds=settings.session_idle_seconds - 5))

    _purge(app)

    assert _rows(app) == 1
    assert client.get("/").status_code == 200


def test_purge_deletes_a_session_past_the_absolute_limit_even_if_busy(
    app: Flask, client: Any, factories: Any, clock: ShiftedClock
) -> None:
    settings = app.extensions["portal.settings"]
    sign_in(app, client, factories.user())
    step = timedelta(seconds=settings.session_idle_seconds) / 2
    elapsed = timedelta(0)
    while elapsed <= timedelta(seconds=settings.session_absolute_seconds):
        clock.advance(step)
        elapsed += step
        client.get("/")

    _purge(app)

    assert _rows(app) == 0


def _keys(app: Flask) -> int:
    with app.app_context():
        count = db.session.execute(select(func.count()).select_from(FormSubmission)).scalar_one()
        db.session.remove()
        return int(count)


def test_purge_deletes_form_keys_older_than_the_longest_session(
    app: Flask, make_client: Any, factories: Any, clock: ShiftedClock
) -> None:
    """A creation form's key is only needed while its page could be sent again, which is no
    longer than a session lives (the page's CSRF token ends with it)."""
    settings = app.extensions["portal.settings"]
    world = World(app, factories)
    for when in ("old", "new"):
        browser = world.browser(world.officer, make_client)
        fields = opened_form(browser, "/subjects/new")
        answers = {**subject_answers(world, pnc_id="", ndelius_crn="", visor_ref=""), **fields}
        assert browser.post("/subjects/new", data=answers).status_code == 302, when
        if when == "old":
            clock.advance(timedelta(seconds=settings.session_absolute_seconds, minutes=1))
    assert _keys(app) == 2

    output = _purge(app)

    assert _keys(app) == 1
    assert "Form keys deleted: 1" in output
