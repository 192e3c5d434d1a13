"""What ``make bench`` profiling changed in the audited view's hot path, held by tests.

- A signed-in request judges "does ``last_seen_at`` need refreshing?" against the database time
  it opened the session at: at most one clock query per request (none on SQLite), not a second
  one (and a second read transaction) after the response is built. The refresh itself still
  happens once the session has been idle for ``session_touch_seconds``, and never before.
- Every page's templates check their imports' globals with one set operation: the app renders
  through :class:`portal.core.templating.PortalEnvironment`.
- The output schemas that reduce a subject or record to a scope's fields are built once per field
  set, and still give exactly the allowed fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from portal.auth.models import UserSession
from portal.auth.sessions import token_hash
from portal.core.clock import ShiftedClock
from portal.db.transaction import transaction
from portal.extensions import db
from portal.records.schemas import RecordFullSchema, record_output
from portal.subjects.schemas import SubjectFullSchema, subject_output
from tests.conftest import backend
from tests.helpers import session_cookie, sign_in

NEXT_STEP = timedelta(seconds=31)  # one TOTP step, so each test's sign-in code is fresh


@pytest.fixture
def statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []

    def remember(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    yield seen
    event.remove(engine, "before_cursor_execute", remember)


def _is_clock(statement: str) -> bool:
    return statement in {"SELECT now()", "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')"}


def _last_seen(app: Flask, token: str) -> Any:
    with app.app_context(), transaction():
        return db.session.execute(
            select(UserSession.last_seen_at).where(UserSession.id == token_hash(token))
        ).scalar_one()


def test_a_signed_in_page_asks_the_database_clock_at_most_once(
    app, client, factories, clock, statements
):
    clock.advance(NEXT_STEP)
    user = factories.user()
    assert sign_in(app, client, user).status_code == 302
    assert client.get("/").status_code == 200  # the first page may refresh last_seen_at
    statements.clear()

    assert client.get("/").status_code == 200

    # PostgreSQL's now() once; SQLite's clock is the machine's, read without a statement.
    assert sum(_is_clock(s) for s in statements) == (1 if backend() == "postgresql" else 0), (
        statements
    )
    assert not any(s.startswith("UPDATE user_session") for s in statements), statements


def test_last_seen_is_refreshed_after_the_touch_interval_and_not_before(
    app, client, factories, clock: ShiftedClock, statements
):
    touch = app.extensions["portal.settings"].session_touch_seconds
    clock.advance(NEXT_STEP)
    user = factories.user()
    assert sign_in(app, client, user).status_code == 302
    token = session_cookie(client, app)
    assert token
    assert client.get("/").status_code == 200
    seen = _last_seen(app, token)

    clock.advance(timedelta(seconds=touch - 2))
    assert client.get("/").status_code == 200
    assert _last_seen(app, token) == seen  # inside the interval: no write

    clock.advance(timedelta(seconds=3))  # now past it, well inside the idle timeout
    statements.clear()
    assert client.get("/").status_code == 200
    refreshed = _last_seen(app, token)
    assert refreshed >= seen + timedelta(seconds=touch)
    assert sum(s.startswith("UPDATE user_session") for s in statements) == 1


SUBJECT = {
    "id": "6f0f7f3e-3b1c-4c56-9d0e-5a1f3c2b7d11",
    "display_name": "HARGREAVES, Daniel",
    "family_name": "Hargreaves",
    "given_names": "Daniel",
    "aliases": ["Danny"],
    "pnc_id": "08/123456X",
}


def test_subject_output_gives_exactly_the_allowed_fields_each_time():
    narrow = frozenset({"display_name"})
    wide = frozenset({"display_name", "family_name", "aliases", "pnc_id"})
    for _ in range(2):  # the second round is served by the cached schemas
        assert subject_output(SUBJECT, narrow) == {"display_name": "HARGREAVES, Daniel"}
        assert subject_output(SUBJECT, wide) == {
            "display_name": "HARGREAVES, Daniel",
            "family_name": "Hargreaves",
            "aliases": ["Danny"],
            "pnc_id": "08/123456X",
        }
    assert subject_output(SUBJECT, frozenset()) == {}
    assert set(SubjectFullSchema._declared_fields) >= wide


def test_record_output_gives_exactly_the_allowed_fields_each_time():
    record = {"title": "Risk summary", "kind": "RISK", "body_html": "<p>x</p>"}
    for _ in range(2):
        assert record_output(record, frozenset({"title"})) == {"title": "Risk summary"}
        assert record_output(record, frozenset({"title", "kind"})) == {
            "title": "Risk summary",
            "kind": "RISK",
        }
    assert record_output(record, frozenset()) == {}
    assert "body_html" in RecordFullSchema._declared_fields


def test_the_app_renders_through_the_portal_environment(app):
    with app.app_context():
        template = app.jinja_env.get_template("subjects/show.html")
    # A plain set: the import check's difference is computed in C, not over a ChainMap's KeysView.
    assert isinstance(template.globals.keys(), set)
    assert template.globals.keys() >= {"url_for", "csrf_token", "nav_items"}
