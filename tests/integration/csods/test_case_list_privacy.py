"""The case list shows each application's URN, which is the applicant's surname and a date
(domain §2.3): personal data. Showing it is a consultation like any other list of personal
data, so the page writes one ``CONSULTATION`` naming the applications it shows (one event per
page, not one per row); and an application linked to a subject whose exclusion or restriction
list bars the user is no more listed than the subject is on any other list."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask.testing import FlaskClient

from portal.access import gate
from portal.access.models import LaoKind, LaoList, LaoMember
from portal.audit.models import AuditEventRow
from portal.core.actor import Actor
from portal.core.identity import Clearance, Role
from portal.csods import cases
from portal.db.transaction import transaction
from portal.extensions import db
from tests.integration.csods.support import APPLICANT, CsodsWorld, record

LIST = "/csods/"


def _detail(event: AuditEventRow) -> dict[str, str]:
    detail: dict[str, str] = json.loads(event.body).get("with", {}).get("detail", {})
    return detail


def _after(world: CsodsWorld, seq: int) -> list[AuditEventRow]:
    return [e for e in world.events() if e.seq > seq]


def _listed_ids(event: AuditEventRow) -> set[str]:
    detail = _detail(event)
    return {i for key, value in detail.items() if key.startswith("ids_") for i in value.split(",")}


def _linked(world: CsodsWorld, client: FlaskClient, urn: str) -> tuple[uuid.UUID, uuid.UUID]:
    subject_id = world.subject(family_name="Blackthorne", given_names="Ezekiel")
    application_id = record(
        client,
        urn=urn,
        subject_id=str(subject_id),
        subject_family_name="",
        subject_given_names="",
    )
    return subject_id, application_id


def _restrict_to(world: CsodsWorld, subject_id: uuid.UUID, user: Any) -> None:
    with world.app.app_context(), transaction():
        db.session.add(LaoList(subject_id=subject_id, kind=LaoKind.RESTRICTION.value, message=""))
        db.session.add(
            LaoMember(subject_id=subject_id, kind=LaoKind.RESTRICTION.value, user_id=user.id)
        )


def test_the_case_list_writes_one_consultation_naming_the_applications_it_shows(
    world: CsodsWorld, officer: FlaskClient
) -> None:
    first = record(officer)
    second = record(officer, urn="Hartley/2026-11-21")
    third = record(officer, urn="Pemberton/2026-11-22")
    before = world.events()[-1].seq

    response = officer.get(LIST)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for urn in ("OAKENSHAW", "HARTLEY", "PEMBERTON"):
        assert urn in html
    after = _after(world, before)
    assert [e.event_type for e in after] == ["CONSULTATION"]  # one for the page, not per row
    event = after[0]
    assert event.actor_id == world.csods.id
    assert event.actor_agency_id == world.police.id
    detail = _detail(event)
    assert detail["listing"] == "csods_case_list"
    assert detail["permission"] == "csods:read"
    assert detail["rows"] == "3"
    assert _listed_ids(event) == {str(first), str(second), str(third)}
    # The event names the applications by id: no URN, no applicant's name in the log.
    assert "OAKENSHAW" not in event.body.upper()
    assert APPLICANT.split()[1].upper() not in event.body.upper()


def test_a_filtered_case_list_names_only_the_applications_it_shows(
    world: CsodsWorld, officer: FlaskClient
) -> None:
    record(officer)
    before = world.events()[-1].seq

    response = officer.get(LIST, query_string={"stage": "INITIAL_CHECKS"})

    assert response.status_code == 200
    after = _after(world, before)
    assert [e.event_type for e in after] == ["CONSULTATION"]
    assert _detail(after[0])["rows"] == "0"
    assert _listed_ids(after[0]) == set()


def test_a_refused_case_list_writes_no_consultation(world: CsodsWorld, make_client: Any) -> None:
    """A police officer without the CSODS role is refused before anything is read."""
    client = world.browser(world.officer, make_client)
    before = world.events()[-1].seq
    assert client.get(LIST).status_code == 403
    assert [e for e in _after(world, before) if e.event_type == "CONSULTATION"] == []


def test_an_application_linked_to_a_subject_the_user_is_excluded_from_is_not_listed(
    world: CsodsWorld, officer: FlaskClient, supervisor: FlaskClient
) -> None:
    subject_id, application_id = _linked(world, supervisor, "Harcourt/2026-11-20")
    shown = record(officer)
    world.exclude(subject_id, world.csods)
    before = world.events()[-1].seq

    html = officer.get(LIST).get_data(as_text=True)

    assert "HARCOURT" not in html
    assert str(application_id) not in html
    assert "OAKENSHAW" in html
    event = _after(world, before)[0]
    assert _listed_ids(event) == {str(shown)}
    # Someone the lists let in still sees it.
    assert "HARCOURT" in supervisor.get(LIST).get_data(as_text=True)


def test_an_application_linked_to_a_subject_restricted_to_others_is_not_listed(
    world: CsodsWorld, officer: FlaskClient, supervisor: FlaskClient
) -> None:
    subject_id, application_id = _linked(world, supervisor, "Harcourt/2026-11-20")
    _restrict_to(world, subject_id, world.supervisor)

    html = officer.get(LIST).get_data(as_text=True)

    assert "HARCOURT" not in html
    assert str(application_id) not in html
    assert "HARCOURT" in supervisor.get(LIST).get_data(as_text=True)


def test_a_page_of_more_applications_than_one_event_names_writes_one_event_per_batch(
    world: CsodsWorld,
) -> None:
    """The gate names at most ``MAX_LISTED_PER_SUBJECT`` rows in one event: a longer page is
    logged in as few events as name every application shown, never refused or cut short."""
    size = gate.MAX_LISTED_PER_SUBJECT
    shown = [uuid.uuid4() for _ in range(size + 1)]
    user = world.csods
    roles = frozenset({Role.MOSOVO_OFFICER, Role.CSODS_OFFICER})
    actor = Actor(user.id, world.police.id, roles, Clearance.SC, "Cara Csods")
    with world.app.test_request_context(), world.app.app_context():
        before = world.events()[-1].seq if world.events() else 0
        with transaction():
            cases.log_listing(actor, shown)
    after = _after(world, before)
    assert [e.event_type for e in after] == ["CONSULTATION", "CONSULTATION"]
    assert [_detail(e)["rows"] for e in after] == [str(size), "1"]
    named = _listed_ids(after[0]) | _listed_ids(after[1])
    assert named == {str(i) for i in shown}
