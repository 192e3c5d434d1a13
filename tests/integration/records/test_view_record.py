"""Opening one record: under a subject grant the record must be one the scope shows; under a
record grant only that record opens; one CONSULTATION each; the page carries the combination of
the record's and the subject's markings."""

from __future__ import annotations

from tests.helpers import csrf_token
from tests.integration.subjects.sharing import OFFICIAL
from tests.leaks import CONTENT_MARKER


def test_record_grant_opens_that_record_only(world, make_client):
    subject_id = world.subject(marking=OFFICIAL)
    shared = world.record(subject_id, title="Shared one", body="shared words", marking=OFFICIAL)
    other = world.record(subject_id, title="Other one", body="other words")
    world.grant(subject_id, "housing", record_id=shared, acknowledged=True)
    housing = world.browser(world.people["housing"], make_client)

    response = housing.get(f"/records/{shared}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "shared words" in html
    assert "Shared one" in html
    assert html.count(">OFFICIAL</p>") == 2  # the banner, top and bottom
    refused = housing.get(f"/records/{other}")
    assert refused.status_code == 404
    assert "other words" not in refused.get_data(as_text=True)
    assert housing.get(f"/subjects/{subject_id}").status_code == 404
    consultations = [e for e in world.events() if e.event_type == "CONSULTATION"]
    assert [(e.record_id, e.actor_id) for e in consultations] == [
        (shared, world.people["housing"].id)
    ]


def test_summary_grant_does_not_open_a_plan_or_a_health_record(world, make_client):
    subject_id = world.subject()
    summary = world.record(subject_id, body="summary words")
    plan = world.record(subject_id, kind="RISK_MANAGEMENT_PLAN", body="plan words")
    health = world.record(subject_id, body="health words", health=True)
    world.grant(subject_id, "csc", profile="SUMMARY_AND_ACTIONS", acknowledged=True)
    social = world.browser(world.people["csc"], make_client)

    assert social.get(f"/records/{summary}").status_code == 200
    for hidden, words in ((plan, "plan words"), (health, "health words")):
        response = social.get(f"/records/{hidden}")
        assert response.status_code == 404
        assert words not in response.get_data(as_text=True)
    consultations = [e for e in world.events() if e.event_type == "CONSULTATION"]
    assert [e.record_id for e in consultations] == [summary]


def test_full_grant_opens_plan_and_health_record(world, make_client):
    subject_id = world.subject()
    plan = world.record(subject_id, kind="RISK_MANAGEMENT_PLAN", body="plan words")
    health = world.record(subject_id, body="health words", health=True)
    world.grant(subject_id, "probation", profile="FULL", acknowledged=True)
    probation = world.browser(world.people["probation"], make_client)

    plan_page = probation.get(f"/records/{plan}").get_data(as_text=True)
    assert "plan words" in plan_page
    assert "Licence conditions" in plan_page
    assert "licence_conditions section" in plan_page
    assert "health words" in probation.get(f"/records/{health}").get_data(as_text=True)


def test_record_grant_asks_for_acknowledgement_first(world, make_client):
    subject_id = world.subject()
    record_id = world.record(subject_id, body="shared words")
    world.grant(subject_id, "housing", record_id=record_id)
    housing = world.browser(world.people["housing"], make_client)

    first = housing.get(f"/records/{record_id}")
    assert first.status_code == 302
    assert first.headers["Location"] == f"/records/{record_id}/acknowledge"
    page = housing.get(first.headers["Location"]).get_data(as_text=True)
    assert CONTENT_MARKER not in page

    path = first.headers["Location"]
    agreed = housing.post(path, data={"csrf_token": csrf_token(housing, path)})
    assert agreed.headers["Location"] == f"/records/{record_id}"
    assert "shared words" in housing.get(f"/records/{record_id}").get_data(as_text=True)


def test_record_outside_the_scope_rolls_back_the_consultation_and_logs_the_refusal(
    world, make_client
):
    subject_id = world.subject()
    plan = world.record(subject_id, kind="RISK_MANAGEMENT_PLAN")
    grant_id = world.grant(subject_id, "housing", profile="SUMMARY", acknowledged=True)
    housing = world.browser(world.people["housing"], make_client)

    assert housing.get(f"/records/{plan}").status_code == 404

    types = [e.event_type for e in world.events() if e.record_id == plan]
    assert types == ["AUTHZ_FAIL"]
    [refusal] = [e for e in world.events() if e.event_type == "AUTHZ_FAIL"]
    assert refusal.grant_id == grant_id
    assert '"outside_scope"' in refusal.body
