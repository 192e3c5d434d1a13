"""Recording an application: every answer checked, nothing written on bad input, one
COLLECTION event, a consultation to open it, and children added one at a time."""

from __future__ import annotations

from typing import Any

import pytest

from portal.csods.models import CsodsApplication, CsodsChild
from tests.integration.csods.support import (
    APPLICANT,
    BASE,
    CHILD_ONE,
    CHILD_TWO,
    CsodsWorld,
    application_answers,
    child_answers,
    error_messages,
    post,
    record,
)


def test_record_application_with_valid_answers_stores_it_and_logs_collection(
    world: CsodsWorld, make_client: Any
) -> None:
    officer = world.browser(world.csods, make_client)
    application_id = record(officer)

    stored = world.application(application_id)
    assert stored.stage == "RECEIVED"
    assert stored.urn == "OAKENSHAW/2026-11-20"
    assert stored.applicant_address == "12 Orchard Row\nNorthtown"
    assert [c.name for c in stored.children] == [CHILD_ONE]
    assert stored.children[0].mother_knows == "YES"
    collected = world.events_of("COLLECTION")
    assert len(collected) == 1
    assert collected[0].record_id == application_id
    assert "OFFICIAL-SENSITIVE" in collected[0].marking
    assert "PERSONAL DATA" in collected[0].marking


def test_opening_an_application_is_one_consultation(world: CsodsWorld, make_client: Any) -> None:
    officer = world.browser(world.csods, make_client)
    application_id = record(officer)
    before = len(world.events_of("CONSULTATION"))

    page = officer.get(f"{BASE}/{application_id}").get_data(as_text=True)

    assert APPLICANT.split()[0] in page
    assert CHILD_ONE in page
    consultations = world.events_of("CONSULTATION")
    assert len(consultations) == before + 1
    assert consultations[-1].record_id == application_id


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"urn": ""}, "urn", "Enter the force reference (URN)"),
        ({"channel": "FAX"}, "channel", "Select how the application was made from the list"),
        ({"received_on": ["31", "2", "2026"]}, "received_on", "must be a real date"),
        ({"applicant_family_name": ""}, "applicant_family_name", "Enter the applicant’s family"),
        ({"safe_contact": ""}, "safe_contact", "Enter the safe-contact instructions"),
        (
            {"subject_family_name": "", "subject_given_names": ""},
            "subject_id",
            "Select an existing subject, or enter the new person",
        ),
        (
            {"child_date_of_birth": ["", "", ""], "child_age": ""},
            "child_date_of_birth",
            "Enter the child’s date of birth or their age",
        ),
        ({"child_age": "19", "child_date_of_birth": ["", "", ""]}, "child_age", "between 0"),
        ({"mother_knows": ""}, "mother_knows", "Select whether the mother knows"),
        ({"child_name": "x" * 201}, "child_name", "200 characters or fewer"),
    ],
)
def test_record_application_with_bad_answer_shows_field_error_and_writes_nothing(
    world: CsodsWorld, make_client: Any, changes: dict[str, Any], field: str, message: str
) -> None:
    officer = world.browser(world.csods, make_client)
    before = len(world.events())

    response = post(officer, f"{BASE}/new", application_answers(**changes))

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert any(message in m for m in error_messages(html)), error_messages(html)
    assert f'href="#{field}' in html
    assert world.count(CsodsApplication) == 0
    assert world.count(CsodsChild) == 0
    assert len(world.events()) == before


def test_record_application_with_a_duplicate_urn_is_refused(
    world: CsodsWorld, make_client: Any
) -> None:
    officer = world.browser(world.csods, make_client)
    record(officer)
    response = post(officer, f"{BASE}/new", application_answers())
    assert "An application with this URN already exists" in error_messages(
        response.get_data(as_text=True)
    )
    assert world.count(CsodsApplication) == 1


def test_record_application_linked_to_an_existing_subject(
    world: CsodsWorld, make_client: Any
) -> None:
    subject_id = world.subject()
    officer = world.browser(world.csods, make_client)
    application_id = record(
        officer, subject_id=str(subject_id), subject_family_name="", subject_given_names=""
    )
    stored = world.application(application_id)
    assert stored.subject_id == subject_id
    assert stored.subject_family_name is None
    assert world.events_of("COLLECTION")[-1].subject_id == subject_id


def test_a_subject_of_another_agency_cannot_be_linked(world: CsodsWorld, make_client: Any) -> None:
    officer = world.browser(world.csods, make_client)
    response = post(officer, f"{BASE}/new", application_answers(subject_id=str(world.police.id)))
    assert "Select the subject from the list" in error_messages(response.get_data(as_text=True))
    assert world.count(CsodsApplication) == 0


def test_a_second_child_is_added_and_logged_as_alteration(
    world: CsodsWorld, make_client: Any
) -> None:
    officer = world.browser(world.csods, make_client)
    application_id = record(officer)

    response = post(officer, f"{BASE}/{application_id}/children/new", child_answers())

    assert response.status_code == 302
    stored = world.application(application_id)
    assert [c.name for c in stored.children] == [CHILD_ONE, CHILD_TWO]
    assert stored.children[1].age == 4
    assert world.events_of("ALTERATION")[-1].record_id == application_id


def test_a_child_with_bad_answers_is_not_added(world: CsodsWorld, make_client: Any) -> None:
    officer = world.browser(world.csods, make_client)
    application_id = record(officer)
    response = post(
        officer, f"{BASE}/{application_id}/children/new", child_answers(child_age="", lives_with="")
    )
    messages = error_messages(response.get_data(as_text=True))
    assert "Enter who the child lives with" in messages
    assert "Enter the child’s date of birth or their age" in messages
    assert world.count(CsodsChild) == 1


def test_new_application_form_leaves_out_subjects_whose_lao_list_bars_the_officer(
    world: CsodsWorld, make_client: Any
) -> None:
    """A subject whose exclusion list names the officer is no more offered here than on any
    other list: not by name, not by id."""
    barred = world.subject(family_name="Blackthorne", given_names="Ezekiel")
    open_to_all = world.subject(family_name="Brackley", given_names="Dorian")
    world.exclude(barred, world.csods)
    officer = world.browser(world.csods, make_client)

    page = officer.get(f"{BASE}/new").get_data(as_text=True)

    assert str(open_to_all) in page
    assert "BLACKTHORNE" not in page.upper()
    assert str(barred) not in page


def test_record_application_linked_to_a_barred_subject_is_refused_and_writes_nothing(
    world: CsodsWorld, make_client: Any
) -> None:
    barred = world.subject(family_name="Blackthorne", given_names="Ezekiel")
    world.exclude(barred, world.csods)
    officer = world.browser(world.csods, make_client)

    response = post(officer, f"{BASE}/new", application_answers(subject_id=str(barred)))

    assert response.status_code == 400
    assert error_messages(response.get_data(as_text=True)) == ["Select the subject from the list"]
    assert world.count(CsodsApplication) == 0
    assert world.events_of("COLLECTION") == []
