"""The subject page leads its owner's staff to the subject's other pages: grant managers to who
else can see it, MAPPA co-ordinators to its meetings; a partner sees neither link, and each page
still decides for itself."""

from __future__ import annotations

from typing import Any

from portal.core.identity import Role
from tests.integration.subjects.sharing import World

ACCESS = "Who else can see this subject"
MEETINGS = "MAPPA meetings about this subject"


def _links(html: str, subject_id: Any) -> dict[str, bool]:
    return {
        "access": f'href="/subjects/{subject_id}/grants">{ACCESS}</a>' in html,
        "meetings": f'href="/subjects/{subject_id}/meetings">{MEETINGS}</a>' in html,
    }


def test_each_role_sees_the_links_to_the_pages_it_may_open(world: World, make_client: Any) -> None:
    subject_id = world.subject()
    coordinator = world.factories.user(agency=world.police, roles=(Role.MAPPA_COORDINATOR,))
    other_police = world.factories.agency(name="Southshire Police")
    outsider = world.factories.user(agency=other_police, roles=(Role.MAPPA_COORDINATOR,))
    world.grant(subject_id, "probation", profile="FULL", acknowledged=True)
    world.grant(subject_id, "csc", profile="FULL", acknowledged=True)

    officer = world.browser(world.officer, make_client)
    page = officer.get(f"/subjects/{subject_id}").get_data(as_text=True)
    assert _links(page, subject_id) == {"access": True, "meetings": False}
    assert officer.get(f"/subjects/{subject_id}/grants").status_code == 200
    assert officer.get(f"/subjects/{subject_id}/meetings").status_code == 403

    chair = world.browser(coordinator, make_client)
    page = chair.get(f"/subjects/{subject_id}").get_data(as_text=True)
    assert _links(page, subject_id) == {"access": True, "meetings": True}
    assert chair.get(f"/subjects/{subject_id}/meetings").status_code == 200

    partner = world.browser(world.people["probation"], make_client)
    response = partner.get(f"/subjects/{subject_id}")
    assert response.status_code == 200
    assert _links(response.get_data(as_text=True), subject_id) == {
        "access": False,
        "meetings": False,
    }
    assert partner.get(f"/subjects/{subject_id}/grants").status_code == 403

    # Another agency's co-ordinator holds the permissions but not the subject: no page at all.
    assert world.browser(outsider, make_client).get(f"/subjects/{subject_id}").status_code == 404
