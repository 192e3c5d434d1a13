""" "Shared with my agency": live grants only, each with its marking, lawful basis and end; names
the user's LAO lists bar are left out; listing writes no audit event (it shows no record
content, and each subject opened from it is a consultation of its own)."""

from __future__ import annotations

import re

from tests.integration.subjects.sharing import OFFICIAL


def listed_names(html: str) -> list[str]:
    return re.findall(r'class="govuk-link" href="/(?:subjects|records)/[^"]+">([^<]+)</a>', html)


def test_shared_list_shows_live_grants_with_marking_basis_and_end(world, make_client):
    live = world.subject(family_name="Live", marking=OFFICIAL)
    soon = world.subject(family_name="Soon")
    expired = world.subject(family_name="Expired")
    revoked = world.subject(family_name="Revoked")
    suspended = world.subject(family_name="Suspended")
    requested = world.subject(family_name="Requested")
    other_agency = world.subject(family_name="Elsewhere")
    world.grant(live, "csc", profile="SUMMARY_AND_ACTIONS", days=30)
    world.grant(soon, "csc", profile="SUMMARY", days=3)
    world.grant(expired, "csc", state="expired")
    world.grant(revoked, "csc", state="revoked")
    world.grant(suspended, "csc", state="suspended")
    world.grant(requested, "csc", state="requested")
    world.grant(other_agency, "housing")
    social = world.browser(world.people["csc"], make_client)
    events_before = len(world.events())

    response = social.get("/shared")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # Soonest ending first.
    assert listed_names(html) == ["SOON, Quentin Lowell", "LIVE, Quentin Lowell"]
    assert "MAPPA duty to co-operate / exchange of information" in html
    assert "Part 3 sensitive: safeguarding children / individuals at risk" in html
    assert "Subject: summary and actions" in html
    assert html.count("Ends soon") == 1
    # One OFFICIAL-SENSITIVE subject among them: the page takes the combination.
    assert html.count("OFFICIAL-SENSITIVE - PERSONAL DATA</p>") == 2
    assert len(world.events()) == events_before


def test_shared_list_leaves_out_subjects_the_user_is_excluded_from(world, make_client):
    barred = world.subject(family_name="Barred")
    allowed = world.subject(family_name="Allowed")
    world.grant(barred, "csc")
    world.grant(allowed, "csc")
    world.exclude(barred, world.people["csc"])
    social = world.browser(world.people["csc"], make_client)

    html = social.get("/shared").get_data(as_text=True)

    assert listed_names(html) == ["ALLOWED, Quentin Lowell"]


def test_shared_list_shows_a_named_user_grant_to_that_user_only(world, make_client, factories):
    subject_id = world.subject(family_name="Named")
    colleague = factories.user(
        agency=world.partners["csc"], roles=world_roles("social_worker"), full_name="Colleague"
    )
    world.grant(subject_id, "csc", to_user=world.people["csc"])

    mine = world.browser(world.people["csc"], make_client).get("/shared").get_data(as_text=True)
    theirs = world.browser(colleague, make_client).get("/shared").get_data(as_text=True)

    assert listed_names(mine) == ["NAMED, Quentin Lowell"]
    assert "shared with you by name" in mine
    assert listed_names(theirs) == []
    assert "Nothing is shared with your agency" in theirs


def test_shared_list_links_a_record_grant_to_the_record(world, make_client):
    subject_id = world.subject(family_name="Recorded")
    record_id = world.record(subject_id, title="Only this")
    world.grant(subject_id, "housing", record_id=record_id)

    html = world.browser(world.people["housing"], make_client).get("/shared").get_data(as_text=True)

    assert f'href="/records/{record_id}"' in html
    assert "One record: risk summary" in html
    assert "Only this" not in html  # titles are record content: shown only when opened


def test_shared_list_is_empty_for_the_owner_agency(world, make_client):
    world.grant(world.subject(), "csc")
    html = world.browser(world.officer, make_client).get("/shared").get_data(as_text=True)
    assert listed_names(html) == []


def world_roles(*names: str):
    from portal.core.identity import Role

    return tuple(Role(name) for name in names)
