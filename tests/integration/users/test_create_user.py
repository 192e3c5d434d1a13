"""Adding a user: own agency only, TOTP at first sign-in, clear errors, no partial writes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.auth.models import UserSession
from portal.core.identity import Clearance, Role, UserStatus
from portal.core.once import SAVED_ONCE
from portal.extensions import db
from portal.users import repository, service
from portal.users.models import User
from tests.concurrency.races import opened_form
from tests.helpers import csrf_token, current_code, submit_code, submit_password
from tests.integration.users.support import (
    VALID_NEW_USER,
    find_user_id,
    page_structure,
    post,
    text_of,
    user_count,
    user_state,
)
from tests.leaks import remember_secret

NEW_EMAIL = VALID_NEW_USER["email"].lower()


def test_create_user_in_own_agency_then_user_is_sent_to_totp_enrolment(
    app, admin_client, police, make_client
):
    response = post(admin_client, "/users/new", VALID_NEW_USER)

    assert response.status_code == 302
    user_id = find_user_id(app, NEW_EMAIL)
    assert user_id is not None
    assert response.headers["Location"] == f"/users/{user_id}"
    state = user_state(app, user_id)
    assert state.agency_id == police.id
    assert state.roles == {Role.MOSOVO_OFFICER, Role.CSODS_OFFICER}
    assert state.clearance == Clearance.SC
    assert state.status == UserStatus.ACTIVE
    assert state.totp_secret is None
    assert not state.totp_enrolled
    page = text_of(admin_client.get(response.headers["Location"]))
    assert "User added" in page
    assert "Robin Officer" in page

    browser = make_client()
    step = submit_password(browser, VALID_NEW_USER["email"], VALID_NEW_USER["password"])
    assert step.status_code == 302
    assert step.headers["Location"] == "/sign-in/set-up-authenticator"
    setup = browser.get("/sign-in/set-up-authenticator").get_data(as_text=True)
    match = re.search(r'class="app-secret">([A-Z2-7]+)<', setup)
    assert match
    remember_secret(match.group(1))
    done = submit_code(browser, current_code(app, match.group(1)), "/sign-in/set-up-authenticator")
    assert done.status_code == 302
    assert user_state(app, user_id).totp_enrolled
    # The administrator's password was for this sign-in only: the user chooses their own first.
    assert browser.get("/").headers["Location"] == "/account/password"
    chosen = "willow-ember-quartz-62"
    remember_secret(chosen)
    changed = browser.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(browser, "/account/password"),
            "current_password": VALID_NEW_USER["password"],
            "new_password": chosen,
            "confirm_password": chosen,
        },
    )
    assert changed.status_code == 200
    assert browser.get("/").status_code == 200


def test_create_user_with_agency_id_in_body_is_refused_and_writes_nothing(
    app, admin_client, probation
):
    before = user_count(app)

    response = post(admin_client, "/users/new", {**VALID_NEW_USER, "agency_id": str(probation.id)})

    assert response.status_code == 400
    assert "There is a problem" in text_of(response)
    assert "information this page does not accept" in text_of(response)
    assert user_count(app) == before
    assert find_user_id(app, NEW_EMAIL) is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"password": "short-pw", "confirm_password": "short-pw"}, "password", "12 characters"),
        (
            {"password": "password123456", "confirm_password": "password123456"},
            "password",
            "Password is too common",
        ),
        (
            {"password": "robin.officer-likes-tea", "confirm_password": "robin.officer-likes-tea"},
            "password",
            "must not contain your email address",
        ),
        ({"confirm_password": "lantern-orchard-gravel-92"}, "confirm_password", "must match"),
        ({"email": "not-an-email"}, "email", "correct format"),
        ({"email": "a" * 250 + "@x.test"}, "email", "254 characters or fewer"),
        ({"email": ""}, "email", "Enter the user's email address"),
        ({"full_name": "   "}, "full_name", "Enter the user's full name"),
        ({"full_name": "x" * 201}, "full_name", "200 characters or fewer"),
        ({"roles": ["wizard"]}, "roles", "Select roles from the list"),
        ({"roles": []}, "roles", "Select at least one role"),
        ({"clearance": "SECRET"}, "clearance", "Select a security clearance from the list"),
        ({"clearance": ""}, "clearance", "Select the user's security clearance"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_create_user_with_bad_input_shows_error_summary_and_writes_nothing(
    app, admin_client, changes, field, message
):
    before = user_count(app)

    response = post(admin_client, "/users/new", {**VALID_NEW_USER, **changes})

    assert response.status_code == 400
    page = text_of(response)
    assert "There is a problem" in page
    assert f'href="#{field}"' in page
    assert message in page
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>Error: Add a user" in page
    assert user_count(app) == before


def test_create_user_with_email_in_use_elsewhere_shows_field_error_before_inserting(
    app, admin_client, factories, probation, monkeypatch
):
    factories.user(agency=probation, email=NEW_EMAIL)
    before = user_count(app)

    def no_insert(user):
        raise AssertionError("the address is checked before any insert")

    monkeypatch.setattr(repository, "add_user", no_insert)

    response = post(admin_client, "/users/new", {**VALID_NEW_USER, "email": NEW_EMAIL.upper()})

    assert response.status_code == 400
    assert 'href="#email"' in text_of(response)
    assert service.EMAIL_IN_USE in text_of(response)
    assert user_count(app) == before


def test_create_user_when_unique_constraint_fires_shows_same_field_error(
    app, admin_client, factories, probation, monkeypatch
):
    """The check-then-insert race: the database's unique constraint gives the same message."""
    factories.user(agency=probation, email=NEW_EMAIL)
    monkeypatch.setattr(repository, "find_user_by_email", lambda email: None)
    before = user_count(app)

    response = post(admin_client, "/users/new", VALID_NEW_USER)

    assert response.status_code == 400
    assert 'href="#email"' in text_of(response)
    assert service.EMAIL_IN_USE in text_of(response)
    assert user_count(app) == before


def test_create_user_confirmation_keeps_password_and_email_out_of_the_session_store(
    app, admin_client
):
    response = post(admin_client, "/users/new", VALID_NEW_USER)
    assert response.status_code == 302

    with app.app_context():
        stored = db.session.execute(select(UserSession.data)).scalars().all()
    joined = "\n".join(stored)
    assert "User added" in joined  # the flash is waiting in the session row
    assert VALID_NEW_USER["password"] not in joined
    assert NEW_EMAIL not in joined.lower()


def test_open_add_user_page_shows_labelled_fields_and_unique_ids(admin_client):
    for response, status in (
        (admin_client.get("/users/new"), 200),
        (post(admin_client, "/users/new", {**VALID_NEW_USER, "roles": [], "email": "x"}), 400),
    ):
        assert response.status_code == status
        page = page_structure(response)
        assert len(page.ids) == len(set(page.ids)), "duplicate ids"
        assert page.legends == 2  # roles and clearance are fieldsets with legends
        unlabelled = [i for i in page.inputs if i not in page.label_for]
        assert not unlabelled


def test_create_user_with_markup_in_name_is_escaped_on_every_page(app, admin_client):
    name = '<script>alert("x")</script> Ann'
    response = post(admin_client, "/users/new", {**VALID_NEW_USER, "full_name": name})
    assert response.status_code == 302

    for path in ("/users/", response.headers["Location"]):
        body = admin_client.get(path).get_data(as_text=True)
        assert "<script>alert" not in body
        assert "&lt;script&gt;alert" in body


def test_the_add_user_form_sent_twice_adds_the_user_once_and_shows_them(app, admin_client):
    """A double click without JavaScript: the second sending was refused as "already exists"
    on the administrator's own new user; it now goes to that user's page."""
    data = {**VALID_NEW_USER, **opened_form(admin_client, "/users/new")}

    first = admin_client.post("/users/new", data=data)
    second = admin_client.post("/users/new", data=data)

    assert (first.status_code, second.status_code) == (302, 302)
    assert second.headers["Location"] == first.headers["Location"]
    assert SAVED_ONCE in admin_client.get(second.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        matching = db.session.execute(
            select(func.count()).select_from(User).where(User.email == NEW_EMAIL)
        ).scalar_one()
        db.session.remove()
    assert matching == 1
