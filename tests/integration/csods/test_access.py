"""Applications are for the holding force's CSODS officers only: everyone else (non-police
users, police users without the CSODS role, another force's CSODS officers, a partner user
wrongly given the CSODS role) gets the uniform 404, the refusal is logged as AUTHZ_FAIL, and
nothing of the application reaches them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from portal.csods.models import CsodsApplication, CsodsChild
from tests.integration.csods.support import (
    APPLICANT,
    BASE,
    CHILD_ONE,
    CsodsWorld,
    application_answers,
    child_answers,
    csrf_token,
    record,
)
from tests.integration.subjects.sharing import normalise

OUTSIDERS = ("mosovo_only", "probation", "social_worker", "other_force_csods", "partner_csods")


def _user(world: CsodsWorld, who: str) -> Any:
    return {
        "mosovo_only": world.officer,
        "probation": world.people["probation"],
        "social_worker": world.people["csc"],
        "other_force_csods": world.other_csods,
        "partner_csods": world.partner_csods,
    }[who]


@pytest.fixture
def application_id(world: CsodsWorld, make_client: Any) -> uuid.UUID:
    return record(world.browser(world.csods, make_client))


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_get_the_uniform_404_and_the_refusal_is_logged(
    world: CsodsWorld, make_client: Any, application_id: uuid.UUID, who: str
) -> None:
    user = _user(world, who)
    client = world.browser(user, make_client)
    missing = client.get(f"{BASE}/{uuid.uuid4()}")
    refusals_before = len(world.events_of("AUTHZ_FAIL"))

    for path in (
        f"{BASE}/{application_id}",
        f"{BASE}/{application_id}/begin-checks",
        f"{BASE}/{application_id}/children/new",
    ):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 404
        # Indistinguishable from a missing page.
        assert normalise(html) == normalise(missing.get_data(as_text=True))
        assert APPLICANT.split()[0] not in html
        assert CHILD_ONE not in html

    refusals = world.events_of("AUTHZ_FAIL")[refusals_before:]
    assert len(refusals) == 3
    assert {e.actor_id for e in refusals} == {user.id}
    assert {e.record_id for e in refusals} == {application_id}
    assert world.events_of("CONSULTATION") == []


@pytest.mark.parametrize("who", ["other_force_csods", "partner_csods"])
def test_outsiders_with_the_role_cannot_change_an_application(
    world: CsodsWorld, make_client: Any, application_id: uuid.UUID, who: str
) -> None:
    client = world.browser(_user(world, who), make_client)
    token = csrf_token(client, "/")
    response = client.post(
        f"{BASE}/{application_id}/children/new", data={**child_answers(), "csrf_token": token}
    )
    assert response.status_code == 404
    assert world.count(CsodsChild) == 1
    response = client.post(f"{BASE}/{application_id}/begin-checks", data={"csrf_token": token})
    assert response.status_code == 404
    assert world.application(application_id).stage == "RECEIVED"


def test_a_partner_with_the_role_cannot_record_an_application(
    world: CsodsWorld, make_client: Any
) -> None:
    client = world.browser(world.partner_csods, make_client)
    token = csrf_token(client, "/")
    response = client.post(f"{BASE}/new", data={**application_answers(), "csrf_token": token})
    assert response.status_code == 404
    assert world.count(CsodsApplication) == 0
    refusal = world.events_of("AUTHZ_FAIL")[-1]
    assert refusal.actor_id == world.partner_csods.id
    assert "not_police" in refusal.body


@pytest.mark.parametrize("who", ["mosovo_only", "probation"])
def test_users_without_the_role_cannot_see_the_case_list_or_the_new_application_page(
    world: CsodsWorld, make_client: Any, who: str
) -> None:
    # These pages name no application: the coarse role check answers as for any feature page.
    client = world.browser(_user(world, who), make_client)
    assert client.get("/csods/").status_code == 403
    assert client.get(f"{BASE}/new").status_code == 403


def test_another_forces_case_list_does_not_show_this_forces_applications(
    world: CsodsWorld, make_client: Any, application_id: uuid.UUID
) -> None:
    client = world.browser(world.other_csods, make_client)
    page = client.get("/csods/").get_data(as_text=True)
    assert "OAKENSHAW" not in page
    assert "There are no applications to show" in page


def test_a_grant_on_the_linked_subject_does_not_open_the_application(
    world: CsodsWorld, make_client: Any
) -> None:
    subject_id = world.subject()
    officer = world.browser(world.csods, make_client)
    application_id = record(
        officer, subject_id=str(subject_id), subject_family_name="", subject_given_names=""
    )
    world.grant(subject_id, "probation", profile="FULL", acknowledged=True)
    partner = world.browser(world.people["probation"], make_client)
    assert partner.get(f"/subjects/{subject_id}").status_code == 200  # the grant works
    assert partner.get(f"{BASE}/{application_id}").status_code == 404
