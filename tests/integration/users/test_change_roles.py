"""Changing a user's roles and clearance, and the rule that keeps an administrator in post."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, delete, func, select

from portal.audit.models import AuditEventRow
from portal.core.identity import Clearance, Role
from portal.extensions import db
from portal.users import repository, service
from portal.users.models import User, UserRole
from tests.helpers import csrf_token, summary_link
from tests.integration.users.support import page_structure, post, text_of, user_state


def test_change_roles_and_clearance_applies_on_the_users_next_request(
    app, admin_client, factories, police, signed_in
):
    member = factories.user(agency=police, roles=(Role.MOSOVO_OFFICER,))
    browser = signed_in(member)
    assert browser.get("/users/").status_code == 403

    response = post(
        admin_client,
        f"/users/{member.id}/roles",
        {"roles": [Role.AGENCY_ADMIN.value, Role.IG_OFFICER.value], "clearance": "DV"},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"/users/{member.id}"
    state = user_state(app, member.id)
    assert state.roles == {Role.AGENCY_ADMIN, Role.IG_OFFICER}
    assert state.clearance == Clearance.DV
    assert browser.get("/users/").status_code == 200
    assert "Roles and clearance updated" in text_of(admin_client.get(response.headers["Location"]))


def test_change_roles_page_is_prefilled_with_current_roles_and_clearance(
    admin_client, factories, police
):
    member = factories.user(
        agency=police, roles=(Role.MAPPA_COORDINATOR, Role.CSODS_OFFICER), clearance="BPSS"
    )

    page = admin_client.get(f"/users/{member.id}/roles").get_data(as_text=True)

    assert 'value="mappa_coordinator" checked' in page
    assert 'value="csods_officer" checked' in page
    assert 'value="mosovo_officer" checked' not in page
    assert 'value="BPSS" checked' in page
    structure = page_structure(admin_client.get(f"/users/{member.id}/roles"))
    assert len(structure.ids) == len(set(structure.ids))
    assert structure.legends == 2


def test_remove_own_admin_role_is_refused_and_changes_nothing(app, admin_client, police_admin):
    before = user_state(app, police_admin.id)

    response = post(
        admin_client,
        f"/users/{police_admin.id}/roles",
        {"roles": [Role.MOSOVO_OFFICER.value], "clearance": "DV"},
    )

    assert response.status_code == 400
    page = text_of(response)
    assert "There is a problem" in page
    assert 'href="#roles"' in page
    assert service.OWN_ADMIN_ROLE in page
    assert user_state(app, police_admin.id) == before


@pytest.mark.parametrize(
    ("roles", "clearance"),
    [
        ([Role.AGENCY_ADMIN.value, Role.MOSOVO_OFFICER.value], "DV"),
        ([Role.AGENCY_ADMIN.value, Role.IG_OFFICER.value, Role.MOSOVO_OFFICER.value], "DV"),
        ([Role.AGENCY_ADMIN.value], "BPSS"),
        ([Role.AGENCY_ADMIN.value], "SC"),
    ],
    ids=["add-a-role", "raise-roles-and-clearance", "lower-clearance", "no-change"],
)
def test_change_own_roles_or_clearance_is_refused_and_changes_nothing(
    app, admin_client, police_admin, roles, clearance
):
    """An administrator may not change their own roles or clearance at all (not even to keep
    the admin role): another administrator must, so no one raises their own access."""
    before = user_state(app, police_admin.id)
    events_before = _event_count(app)

    response = post(
        admin_client, f"/users/{police_admin.id}/roles", {"roles": roles, "clearance": clearance}
    )

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert summary_link(page, service.OWN_ROLES) == "roles"
    assert user_state(app, police_admin.id) == before
    assert _event_count(app) == events_before


def test_own_user_page_does_not_offer_to_change_own_roles(
    admin_client, police_admin, factories, police
):
    own_roles = f"/users/{police_admin.id}/roles"
    page = text_of(admin_client.get(f"/users/{police_admin.id}"))
    assert f'href="{own_roles}"' not in page
    assert service.OWN_ROLES in page
    own = text_of(admin_client.get(own_roles))
    assert service.OWN_ROLES in own
    assert 'name="roles"' not in own
    assert 'name="clearance"' not in own
    # Another user's page still offers it.
    member = factories.user(agency=police, roles=(Role.MOSOVO_OFFICER,))
    assert f'href="/users/{member.id}/roles"' in text_of(admin_client.get(f"/users/{member.id}"))
    assert 'name="roles"' in text_of(admin_client.get(f"/users/{member.id}/roles"))


def _event_count(app) -> int:
    with app.app_context():
        return int(db.session.execute(select(func.count()).select_from(AuditEventRow)).scalar_one())


def test_remove_another_administrators_admin_role_is_allowed(app, admin_client, factories, police):
    other_admin = factories.user(agency=police, roles=(Role.AGENCY_ADMIN,))

    response = post(
        admin_client,
        f"/users/{other_admin.id}/roles",
        {"roles": [Role.SOCIAL_WORKER.value], "clearance": "SC"},
    )

    assert response.status_code == 302
    assert user_state(app, other_admin.id).roles == {Role.SOCIAL_WORKER}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"clearance": "SC"}, "roles", "Select at least one role"),
        ({"roles": ["root"], "clearance": "SC"}, "roles", "Select roles from the list"),
        ({"roles": ["social_worker"]}, "clearance", "Select the user's security clearance"),
        ({"roles": ["social_worker"], "clearance": "TOP SECRET"}, "clearance", "from the list"),
        (
            {"roles": ["social_worker"], "clearance": "SC", "agency_id": "x"},
            "submit",
            "does not accept",
        ),
        (
            {"roles": ["social_worker"], "clearance": "SC", "status": "active"},
            "submit",
            "does not accept",
        ),
    ],
    ids=["no-role", "unknown-role", "no-clearance", "unknown-clearance", "agency-id", "status"],
)
def test_change_roles_with_bad_input_shows_error_summary_and_changes_nothing(
    app, admin_client, factories, police, data, field, message
):
    member = factories.user(agency=police, roles=(Role.HOUSING_OFFICER,))
    before = user_state(app, member.id)

    response = post(admin_client, f"/users/{member.id}/roles", data)

    assert response.status_code == 400
    page = text_of(response)
    assert "There is a problem" in page
    assert f'href="#{field}"' in page
    assert message in page
    assert user_state(app, member.id) == before


def test_remove_admin_role_by_an_admin_demoted_meanwhile_is_refused(
    app, admin_client, police_admin, factories, police, database_url, monkeypatch
):
    """Two administrators removing each other's role at once cannot leave the agency with none.

    Another connection demotes the acting administrator and holds its transaction open while
    the request runs. The request waits for that commit at its row lock, then decides on the
    administrator's row as it is now: no longer an administrator, so nothing happens.
    """
    other_admin = factories.user(agency=police, roles=(Role.AGENCY_ADMIN,))
    token = csrf_token(admin_client, "/")
    reached_lock = threading.Event()
    original_lock = repository.lock_users

    def lock_users(user_ids):
        reached_lock.set()
        return original_lock(user_ids)

    monkeypatch.setattr(repository, "lock_users", lock_users)
    engine = create_engine(database_url)
    outcome = {}

    def change_other_admin():
        outcome["response"] = admin_client.post(
            f"/users/{other_admin.id}/roles",
            data={"csrf_token": token, "roles": [Role.SOCIAL_WORKER.value], "clearance": "SC"},
        )

    try:
        with engine.connect() as demoter:
            demoter.execute(delete(UserRole).where(UserRole.user_id == police_admin.id))
            demoter.execute(select(User.id).where(User.id == police_admin.id).with_for_update())
            worker = threading.Thread(target=change_other_admin)
            worker.start()
            assert reached_lock.wait(timeout=10)
            time.sleep(0.3)  # let the request block on the lock it is about to take
            demoter.commit()
        worker.join(timeout=20)
    finally:
        engine.dispose()

    assert not worker.is_alive()
    assert outcome["response"].status_code == 404
    assert user_state(app, other_admin.id).roles == {Role.AGENCY_ADMIN}
