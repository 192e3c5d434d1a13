"""Only an agency's administrators manage its users: another agency's user is "not found"."""

from __future__ import annotations

import uuid

import pytest

from portal.auth import throttle
from portal.core.clock import db_now
from portal.core.identity import Clearance, Role, UserStatus
from portal.db.transaction import transaction
from tests.integration.users.support import (
    VALID_NEW_USER,
    find_user_id,
    is_sign_in_redirect,
    normalised_404,
    post,
    user_count,
    user_state,
)

ROLES_CHANGE = {"roles": [Role.AGENCY_ADMIN.value], "clearance": Clearance.DV.value}

#: (method, path after /users/<id>, form data); every page and action on one user.
EVERY_USER_ENDPOINT = [
    ("GET", "", None),
    ("GET", "/roles", None),
    ("POST", "/roles", ROLES_CHANGE),
    ("POST", "/disable", {}),
    ("POST", "/enable", {}),
    ("POST", "/reset-second-factor", {}),
    ("POST", "/end-sessions", {}),
    ("POST", "/unlock-sign-in", {}),
]
ENDPOINT_IDS = [f"{method} {suffix or '/'}" for method, suffix, _ in EVERY_USER_ENDPOINT]


def _request(client, method, path, data):
    return client.get(path) if method == "GET" else post(client, path, data)


def _fail_sign_ins(app, email, times):
    with app.app_context(), transaction():
        for _ in range(times):
            throttle.record_failure(throttle.key_for(email), db_now())


@pytest.mark.parametrize(("method", "suffix", "data"), EVERY_USER_ENDPOINT, ids=ENDPOINT_IDS)
def test_manage_user_of_other_agency_answers_404_like_unknown_id_and_changes_nothing(
    app, admin_client, factories, probation, signed_in, method, suffix, data
):
    target = factories.user(agency=probation, roles=(Role.PROBATION_OFFICER,))
    target_browser = signed_in(target)
    _fail_sign_ins(app, target.email, 3)
    dormant = factories.user(agency=probation, status=UserStatus.DISABLED.value)
    before = user_state(app, target.id), user_state(app, dormant.id)

    for victim in (target, dormant):
        response = _request(admin_client, method, f"/users/{victim.id}{suffix}", data)
        unknown = _request(admin_client, method, f"/users/{uuid.uuid4()}{suffix}", data)
        assert response.status_code == 404
        assert unknown.status_code == 404
        assert normalised_404(response) == normalised_404(unknown)

    assert (user_state(app, target.id), user_state(app, dormant.id)) == before
    assert before[0].live_sessions == 1
    assert before[0].failed_sign_ins == 3
    assert target_browser.get("/").status_code == 200


def test_list_users_of_own_agency_never_shows_another_agencys_users(
    admin_client, factories, police, probation
):
    colleague = factories.user(agency=police, full_name="Colleague In Police")
    outsider = factories.user(agency=probation, full_name="Outsider In Probation")

    page = admin_client.get("/users/").get_data(as_text=True)

    assert "Colleague In Police" in page
    assert f"/users/{colleague.id}" in page
    assert "Outsider In Probation" not in page
    assert str(outsider.id) not in page


@pytest.mark.parametrize(("method", "suffix", "data"), EVERY_USER_ENDPOINT, ids=ENDPOINT_IDS)
def test_manage_user_as_non_admin_answers_403_and_changes_nothing(
    app, factories, police, signed_in, method, suffix, data
):
    officer = factories.user(agency=police, roles=(Role.MOSOVO_OFFICER, Role.IG_OFFICER))
    browser = signed_in(officer)
    colleague = factories.user(agency=police)
    colleague_browser = signed_in(colleague)
    before = user_state(app, colleague.id)

    response = _request(browser, method, f"/users/{colleague.id}{suffix}", data)

    assert response.status_code == 403
    assert user_state(app, colleague.id) == before
    assert colleague_browser.get("/").status_code == 200


@pytest.mark.parametrize("path", ["/users/", "/users/new"])
def test_open_admin_list_or_add_page_as_non_admin_answers_403(factories, police, signed_in, path):
    browser = signed_in(factories.user(agency=police, roles=(Role.PROBATION_OFFICER,)))

    assert browser.get(path).status_code == 403


def test_create_user_as_non_admin_answers_403_and_writes_nothing(app, factories, signed_in):
    browser = signed_in(factories.user(roles=(Role.SOCIAL_WORKER,)))
    before = user_count(app)

    response = post(browser, "/users/new", VALID_NEW_USER)

    assert response.status_code == 403
    assert user_count(app) == before
    assert find_user_id(app, VALID_NEW_USER["email"].lower()) is None


@pytest.mark.parametrize("path", ["/users/", "/users/new", f"/users/{uuid.uuid4()}"])
def test_open_admin_page_signed_out_redirects_to_sign_in(client, path):
    assert is_sign_in_redirect(client.get(path))
