"""An administrator sets a new password for a user who has forgotten theirs.

Every session the user had ends, their failed sign-ins are cleared, their authenticator app is
kept, the access log records who did it (never the password), and anything the rules refuse is
shown on the form with nothing changed.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from flask import Flask
from sqlalchemy import select

from portal.audit.models import AuditEventRow
from portal.auth import throttle
from portal.core.clock import db_now
from portal.core.identity import Role
from portal.db.transaction import transaction
from portal.extensions import db
from portal.users import service
from portal.users.models import User
from tests.helpers import sign_in, submit_password
from tests.integration.users.support import (
    NEXT_STEP,
    copy_browser,
    is_sign_in_redirect,
    page_structure,
    post,
    text_of,
    user_state,
)
from tests.leaks import remember_secret

NEW_PASSWORD = "copper-meadow-lantern-47"
remember_secret(NEW_PASSWORD)


@pytest.fixture
def member(factories, police):
    """An ordinary user of the administrator's agency, signed in somewhere."""
    return factories.user(agency=police, roles=(Role.MOSOVO_OFFICER,), full_name="Mo Member")


def _password_hash(app: Flask, user_id) -> str | None:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        return user.password_hash


def _user_changed_events(app: Flask) -> list[AuditEventRow]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEventRow).where(AuditEventRow.event_type == "USER_CHANGED")
        )
        events = list(rows.scalars())
        db.session.expunge_all()
    return events


def _set(client, user_id, password=NEW_PASSWORD, confirm=None):
    data = {"password": password, "confirm_password": password if confirm is None else confirm}
    return post(client, f"/users/{user_id}/password", data)


def test_new_password_ends_every_session_clears_failures_and_signs_in_with_the_app(
    app, admin_client, police_admin, member, signed_in, make_client, clock
):
    browser = signed_in(member)
    stolen = copy_browser(app, browser)
    with app.app_context(), transaction():
        for _ in range(2):
            throttle.record_failure(throttle.key_for(member.email), db_now())
    before = user_state(app, member.id)
    assert before.failed_sign_ins == 2
    assert before.live_sessions == 1

    response = _set(admin_client, member.id)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/users/{member.id}"
    assert is_sign_in_redirect(browser.get("/"))
    assert is_sign_in_redirect(stolen.get("/"))
    after = user_state(app, member.id)
    assert after.live_sessions == 0
    assert after.failed_sign_ins == 0
    assert after == replace(before, live_sessions=0, failed_sign_ins=0)  # the app is kept
    assert "Password set" in text_of(admin_client.get(response.headers["Location"]))
    # The old password no longer passes the first step; the new one does, then needs the app.
    assert submit_password(make_client(), member.email, member.password).status_code == 400
    clock.advance(NEXT_STEP)  # a fresh code: the last one was used by the sign-in above
    member_browser = make_client()
    assert sign_in(app, member_browser, replace(member, password=NEW_PASSWORD)).status_code == 302
    # The password the administrator chose is for that sign-in only.
    assert member_browser.get("/").headers["Location"] == "/account/password"

    (event,) = _user_changed_events(app)
    extra = json.loads(event.body)["with"]
    assert event.actor_id == police_admin.id
    assert event.target_user_id == member.id
    assert extra["reason"] == "password_set"
    assert extra["detail"] == {"ended_count": "1"}
    assert NEW_PASSWORD not in event.body


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("", "", "Enter a password for the user"),
        ("short-pw", "short-pw", "Password must be 12 characters or more"),
        (NEW_PASSWORD, "copper-meadow-lantern-48", "Passwords must match"),
        (NEW_PASSWORD, "", "Enter the password again"),
        ("password1234", "password1234", "Password is too common"),
    ],
)
def test_a_password_the_rules_refuse_is_shown_on_the_form_and_nothing_changes(
    app, admin_client, member, signed_in, password, confirm, message
):
    signed_in(member)
    before, hash_before = user_state(app, member.id), _password_hash(app, member.id)

    response = _set(admin_client, member.id, password, confirm)

    assert response.status_code == 400
    page = text_of(response)
    assert "There is a problem" in page
    assert message in page
    assert "<title>Error: Set a new password" in page
    assert user_state(app, member.id) == before
    assert _password_hash(app, member.id) == hash_before
    assert _user_changed_events(app) == []


def test_a_password_containing_the_users_email_address_is_refused(
    app, admin_client, factories, police
):
    user = factories.user(agency=police, email="jordan.smith@northshire-police.test")
    hash_before = _password_hash(app, user.id)

    response = _set(admin_client, user.id, "Jordan.Smith-2026-lantern")

    assert response.status_code == 400
    assert "Password must not contain your email address" in text_of(response)
    assert _password_hash(app, user.id) == hash_before


def test_administrators_cannot_set_their_own_password_here(app, admin_client, police_admin):
    assert "Set a new password" not in text_of(admin_client.get(f"/users/{police_admin.id}"))
    hash_before = _password_hash(app, police_admin.id)

    response = _set(admin_client, police_admin.id)

    assert response.status_code == 400
    assert service.OWN_ACCOUNT_RESET in text_of(response)
    assert _password_hash(app, police_admin.id) == hash_before
    assert user_state(app, police_admin.id).live_sessions == 1


def test_an_account_that_signs_in_through_its_agency_gets_no_password(
    app, admin_client, factories, police
):
    federated = factories.user(agency=police, password_hash=None)
    assert "Set a new password" not in text_of(admin_client.get(f"/users/{federated.id}"))

    response = _set(admin_client, federated.id)

    assert response.status_code == 400
    assert service.FEDERATED_ACCOUNT in text_of(response)
    assert _password_hash(app, federated.id) is None


def test_a_user_of_another_agency_is_not_found(app, admin_client, factories, probation):
    outsider = factories.user(agency=probation)
    hash_before = _password_hash(app, outsider.id)

    assert admin_client.get(f"/users/{outsider.id}/password").status_code == 404
    assert _set(admin_client, outsider.id).status_code == 404

    assert _password_hash(app, outsider.id) == hash_before
    assert _user_changed_events(app) == []


def test_only_administrators_may_set_a_password(app, member, signed_in, factories, police):
    colleague = factories.user(agency=police)
    browser = signed_in(member)
    hash_before = _password_hash(app, colleague.id)

    assert browser.get(f"/users/{colleague.id}/password").status_code == 403
    assert _set(browser, colleague.id).status_code == 403

    assert _password_hash(app, colleague.id) == hash_before


def test_without_the_csrf_token_nothing_changes(app, admin_client, member, signed_in):
    signed_in(member)
    before, hash_before = user_state(app, member.id), _password_hash(app, member.id)

    response = admin_client.post(
        f"/users/{member.id}/password",
        data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )

    assert response.status_code == 400
    assert user_state(app, member.id) == before
    assert _password_hash(app, member.id) == hash_before


def test_the_page_labels_both_fields_and_is_linked_from_the_users_page(app, admin_client, member):
    assert f"/users/{member.id}/password" in text_of(admin_client.get(f"/users/{member.id}"))

    response = admin_client.get(f"/users/{member.id}/password")

    assert response.status_code == 200
    structure = page_structure(response)
    assert structure.inputs == ["password", "confirm_password"]
    assert set(structure.inputs) <= structure.label_for
    assert len(structure.ids) == len(set(structure.ids))
    assert 'autocomplete="new-password"' in response.get_data(as_text=True)
