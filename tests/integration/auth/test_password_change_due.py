"""A password an administrator chose (a new account, or one they set) is for one sign-in: after a
password sign-in the user reaches only the page that changes it, and sign-out, until they do."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.audit.models import AuditEventRow
from portal.core.identity import Role
from portal.extensions import db
from portal.users.models import User
from tests.helpers import csrf_token, sign_in, summary_link
from tests.leaks import remember_secret

CHOSEN = "willow-ember-quartz-62"
remember_secret(CHOSEN)
#: Pages of other features (whether or not an administrator holds their permission).
PROTECTED_PAGES = ("/", "/subjects/", "/shared", "/governance/log", "/users/", "/users/new")
#: Those an administrator may open.
ADMINISTRATOR_PAGES = ("/", "/users/", "/users/new")


@pytest.fixture
def admin_set(factories: Any) -> Any:
    """An administrator whose password another administrator chose, and a colleague of theirs."""
    agency = factories.agency()
    return factories.user(agency=agency, roles=(Role.AGENCY_ADMIN,), password_change_required=True)


def _required(app: Flask, user_id: Any) -> bool:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        return user.password_change_required


def _change(client: FlaskClient, current: str, new: str = CHOSEN) -> Any:
    return client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(client, "/account/password"),
            "current_password": current,
            "new_password": new,
            "confirm_password": new,
        },
    )


def test_every_other_page_sends_the_user_to_change_their_password(
    app: Flask, client: FlaskClient, admin_set: Any
) -> None:
    assert sign_in(app, client, admin_set).status_code == 302

    for path in PROTECTED_PAGES:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/account/password", path
    page = client.get("/account/password")
    assert page.status_code == 200
    assert "data-password-change-due" in page.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200  # public pages stay public


def test_a_post_elsewhere_is_sent_to_the_page_and_does_not_run(
    app: Flask, client: FlaskClient, admin_set: Any
) -> None:
    sign_in(app, client, admin_set)
    token = csrf_token(client, "/account/password")
    with app.app_context():
        users_before = db.session.query(User).count()

    response = client.post(
        "/users/new",
        data={
            "csrf_token": token,
            "full_name": "Robin Officer",
            "email": "robin.officer@agency.test",
            "password": "lantern-orchard-gravel-91",
            "confirm_password": "lantern-orchard-gravel-91",
            "roles": [Role.PROBATION_OFFICER.value],
            "clearance": "SC",
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/account/password"
    with app.app_context():
        assert db.session.query(User).count() == users_before


def test_sign_out_still_works_and_the_change_is_due_again_at_the_next_sign_in(
    app: Flask, client: FlaskClient, admin_set: Any, clock: Any, make_client: Any
) -> None:
    from datetime import timedelta

    sign_in(app, client, admin_set)
    response = client.post(
        "/sign-out", data={"csrf_token": csrf_token(client, "/account/password")}
    )
    assert response.headers["Location"] == "/signed-out"

    clock.advance(timedelta(seconds=31))  # a fresh security code
    again = make_client()
    sign_in(app, again, admin_set)
    assert again.get("/").headers["Location"] == "/account/password"
    assert _required(app, admin_set.id)


def test_changing_the_password_clears_it_for_good(
    app: Flask, client: FlaskClient, admin_set: Any
) -> None:
    sign_in(app, client, admin_set)

    response = _change(client, admin_set.password)

    assert response.status_code == 200
    assert "Password changed" in response.get_data(as_text=True)
    assert not _required(app, admin_set.id)
    for path in ADMINISTRATOR_PAGES:
        assert client.get(path).status_code == 200, path
    page = client.get("/account/password").get_data(as_text=True)
    assert "data-password-change-due" not in page


def test_a_refused_change_leaves_it_due(app: Flask, client: FlaskClient, admin_set: Any) -> None:
    sign_in(app, client, admin_set)

    response = _change(client, "not-the-current-password-1")

    assert response.status_code == 400
    assert "Your current password is not right" in response.get_data(as_text=True)
    assert _required(app, admin_set.id)
    assert client.get("/").headers["Location"] == "/account/password"


SAME_PASSWORD = "Your new password must be different from your current password"


def test_the_password_the_administrator_chose_cannot_be_kept(
    app: Flask, client: FlaskClient, admin_set: Any
) -> None:
    """The administrator who set it still knows it: entering it again as the new password is
    refused, on the new-password field, and the change stays due."""
    sign_in(app, client, admin_set)
    with app.app_context():
        before = db.session.get(User, admin_set.id)
        assert before is not None
        hash_before, changed_before = before.password_hash, before.password_changed_at
        events_before = db.session.query(AuditEventRow).count()

    response = _change(client, admin_set.password, admin_set.password)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert summary_link(page, SAME_PASSWORD) == "new_password"
    assert "Password changed" not in page
    assert _required(app, admin_set.id)
    assert client.get("/").headers["Location"] == "/account/password"
    with app.app_context():
        after = db.session.get(User, admin_set.id)
        assert after is not None
        assert (after.password_hash, after.password_changed_at) == (hash_before, changed_before)
        assert db.session.query(AuditEventRow).count() == events_before
    # A different password is then accepted.
    assert _change(client, admin_set.password).status_code == 200
    assert not _required(app, admin_set.id)
