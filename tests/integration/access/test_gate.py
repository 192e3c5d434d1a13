"""The gate against a real database: what it allows, what it writes, what it refuses."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from portal.access import gate
from portal.access.gate import AccessDenied, AcknowledgementRequired, Decision, Purpose, Target
from portal.access.models import GrantStatus, LaoKind, ViewProfile
from portal.access.permissions import Permission
from portal.core.actor import Actor
from portal.core.identity import Role
from portal.core.markings import Marking
from portal.db.transaction import transaction
from tests.helpers import sign_in
from tests.integration.access.world import (
    DP_CONDITION,
    GATEWAY,
    JUSTIFICATION,
    OFFICIAL_SENSITIVE,
    Sharing,
    events_after,
    head_seq,
)


@pytest.fixture
def world(app: Flask, factories: Any) -> Sharing:
    return Sharing(app, factories)


def target(world: Sharing, subject_id: uuid.UUID, **kwargs: Any) -> Target:
    return Target(
        subject_id=subject_id,
        owning_agency_id=world.police.id,
        marking=kwargs.pop("marking", OFFICIAL_SENSITIVE),
        **kwargs,
    )


def attempt(
    app: Flask,
    actor: Actor,
    tgt: Target,
    *,
    permission: Permission = Permission.SUBJECT_READ,
    purpose: Purpose = Purpose.VIEW,
    **kwargs: Any,
) -> Decision | Exception:
    """One unit of work as a view runs it; returns the decision or the exception raised."""
    with app.app_context():
        try:
            with transaction():
                return gate.authorize(actor, permission, tgt, purpose=purpose, **kwargs)
        except (AccessDenied, AcknowledgementRequired) as exc:
            return exc


def body(row: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(row.body)
    return data


def acknowledge(app: Flask, actor: Actor, grant_id: uuid.UUID) -> None:
    with app.app_context(), transaction():
        gate.acknowledge(actor, grant_id=grant_id)


def test_owner_view_writes_one_consultation_with_policing_purpose(world: Sharing) -> None:
    subject_id = world.subject()
    start = head_seq(world.app)
    decision = attempt(world.app, world.actor(world.officer), target(world, subject_id))
    assert isinstance(decision, Decision)
    assert decision.scope is ViewProfile.FULL
    assert decision.grant_id is None
    [event] = events_after(world.app, start)
    assert event.event_type == "CONSULTATION"
    assert event.seq == decision.event_seq
    assert (event.legal_gateway, event.dp_condition) == ("GW-CL-POLICING", "DP3-S35-LE")
    assert event.marking == OFFICIAL_SENSITIVE.banner
    assert event.subject_id == subject_id


def test_partner_without_grant_refused_and_authz_fail_logged(world: Sharing) -> None:
    subject_id = world.subject()
    start = head_seq(world.app)
    refused = attempt(world.app, world.actor(world.people["csc"]), target(world, subject_id))
    assert isinstance(refused, AccessDenied)
    assert refused.status == 404
    assert refused.lao_message is None
    [event] = events_after(world.app, start)
    assert event.event_type == "AUTHZ_FAIL"
    assert body(event)["with"]["reason"] == "no_grant"
    assert event.subject_id == subject_id


def test_grant_view_asks_acknowledgement_first_then_logs_grant_basis(world: Sharing) -> None:
    subject_id = world.subject()
    grant_id = world.grant(subject_id, "csc", profile="SUMMARY_AND_ACTIONS")
    worker = world.actor(world.people["csc"])
    start = head_seq(world.app)
    required = attempt(world.app, worker, target(world, subject_id))
    assert isinstance(required, AcknowledgementRequired)
    assert required.grant_id == grant_id
    assert events_after(world.app, start) == []
    acknowledge(world.app, worker, grant_id)
    acknowledge(world.app, worker, grant_id)  # idempotent
    decision = attempt(world.app, worker, target(world, subject_id))
    assert isinstance(decision, Decision)
    assert decision.scope is ViewProfile.SUMMARY_AND_ACTIONS
    [event] = events_after(world.app, start)
    assert event.event_type == "CONSULTATION"
    assert event.grant_id == grant_id
    assert (event.legal_gateway, event.dp_condition) == (GATEWAY, DP_CONDITION)
    assert body(event)["with"]["justification"] == JUSTIFICATION


def test_print_writes_one_disclosure_with_recipients(world: Sharing) -> None:
    subject_id = world.subject()
    start = head_seq(world.app)
    decision = attempt(
        world.app,
        world.actor(world.officer),
        target(world, subject_id),
        permission=Permission.SUBJECT_PRINT,
        purpose=Purpose.PRINT,
        recipients=("printed by the officer",),
        justification="Court bundle",
    )
    assert isinstance(decision, Decision)
    [event] = events_after(world.app, start)
    assert event.event_type == "DISCLOSURE"
    assert body(event)["with"]["recipients"] == ["printed by the officer"]
    assert body(event)["with"]["justification"] == "Court bundle"


@pytest.mark.parametrize(
    ("status", "shift", "reason"),
    [
        (GrantStatus.REVOKED, None, "grant_revoked"),
        (GrantStatus.SUSPENDED, None, "grant_suspended"),
        (GrantStatus.REQUESTED, None, "grant_pending"),
        (GrantStatus.REFUSED, None, "grant_refused"),
        (GrantStatus.ACTIVE, "expired", "grant_expired"),
        (GrantStatus.ACTIVE, "future", "grant_not_yet_valid"),
    ],
)
def test_dead_grant_refused_with_its_reason(
    world: Sharing, clock: Any, status: GrantStatus, shift: str | None, reason: str
) -> None:
    subject_id = world.subject()
    grant_id = world.grant(subject_id, "csc", status=status)
    worker = world.actor(world.people["csc"])
    if shift == "expired":
        clock.advance(timedelta(days=31))
    elif shift == "future":
        clock.advance(timedelta(days=-2))
    start = head_seq(world.app)
    refused = attempt(world.app, worker, target(world, subject_id))
    assert isinstance(refused, AccessDenied)
    [event] = events_after(world.app, start)
    assert event.event_type == "AUTHZ_FAIL"
    assert body(event)["with"]["reason"] == reason
    assert event.grant_id == grant_id


def test_exclusion_beats_grant_and_owner_and_shows_its_message(world: Sharing) -> None:
    subject_id = world.subject()
    grant_id = world.grant(subject_id, "csc")
    worker = world.actor(world.people["csc"])
    acknowledge(world.app, worker, grant_id)
    world.lao(subject_id, LaoKind.EXCLUSION, [world.people["csc"], world.officer], "Ask DS Jones")
    for actor in (worker, world.actor(world.officer)):
        refused = attempt(world.app, actor, target(world, subject_id))
        assert isinstance(refused, AccessDenied)
        assert refused.reason == "excluded"
        assert refused.lao_message == "Ask DS Jones"
    # The coordinator, not on the list, still opens it.
    assert isinstance(
        attempt(world.app, world.actor(world.coordinator), target(world, subject_id)), Decision
    )


def test_restriction_list_admits_only_members(world: Sharing) -> None:
    subject_id = world.subject()
    world.lao(subject_id, LaoKind.RESTRICTION, [world.officer], "Restricted: DI Smith")
    allowed = attempt(world.app, world.actor(world.officer), target(world, subject_id))
    assert isinstance(allowed, Decision)
    refused = attempt(world.app, world.actor(world.coordinator), target(world, subject_id))
    assert isinstance(refused, AccessDenied)
    assert refused.reason == "not_on_restriction_list"
    assert refused.lao_message == "Restricted: DI Smith"


def heading(html: str) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert found is not None
    return " ".join(found.group(1).split())


def test_a_restriction_message_is_not_shown_to_someone_with_no_access_anyway(
    world: Sharing, make_client: Any
) -> None:
    """A restriction list refuses everyone it does not name. Without a grant the subject must
    look like one that does not exist: the message would say it does (and what the owner
    wrote), so only those the list alone keeps out see it."""
    subject_id = world.subject()
    record_id = world.record(subject_id)
    stranger = world.people["housing"]
    world.lao(subject_id, LaoKind.RESTRICTION, [world.officer], "Op NIGHTJAR")
    refused = attempt(world.app, world.actor(stranger), target(world, subject_id))
    assert isinstance(refused, AccessDenied)
    assert refused.reason == "not_on_restriction_list"
    assert refused.lao_message is None
    client = make_client()
    assert sign_in(world.app, client, stranger).status_code == 302
    missing = client.get(f"/subjects/{uuid.uuid4()}")
    for path in (f"/subjects/{subject_id}", f"/records/{record_id}"):
        page = client.get(path)
        assert page.status_code == 404
        assert "NIGHTJAR" not in page.get_data(as_text=True)
        assert heading(page.get_data(as_text=True)) == heading(missing.get_data(as_text=True))
    # Given a grant, the same person is kept out by the list alone, and is told why.
    world.grant(subject_id, "housing")
    told = attempt(world.app, world.actor(stranger), target(world, subject_id))
    assert isinstance(told, AccessDenied)
    assert told.lao_message == "Op NIGHTJAR"


def test_an_exclusion_message_is_for_the_people_it_names(world: Sharing) -> None:
    """The owner named them and wrote the message for them, grant or not."""
    subject_id = world.subject()
    world.lao(subject_id, LaoKind.EXCLUSION, [world.people["housing"]], "Ask DS Jones")
    named = attempt(world.app, world.actor(world.people["housing"]), target(world, subject_id))
    assert isinstance(named, AccessDenied)
    assert named.lao_message == "Ask DS Jones"
    other = attempt(world.app, world.actor(world.people["csc"]), target(world, subject_id))
    assert isinstance(other, AccessDenied)
    assert (other.reason, other.lao_message) == ("no_grant", None)


@pytest.mark.parametrize(
    ("role", "reason"), [(Role.IG_OFFICER, "no_grant"), (Role.AGENCY_ADMIN, "role")]
)
def test_ig_officer_and_admin_of_owner_cannot_open_a_subject(
    world: Sharing, factories: Any, role: Role, reason: str
) -> None:
    subject_id = world.subject()
    user = factories.user(agency=world.police, roles=(role,))
    start = head_seq(world.app)
    refused = attempt(world.app, world.actor(user), target(world, subject_id))
    assert isinstance(refused, AccessDenied)
    assert refused.status == 404
    assert refused.reason == reason
    [event] = events_after(world.app, start)
    assert event.event_type == "AUTHZ_FAIL"


def test_ig_officer_opens_a_subject_only_under_a_grant_to_them(
    world: Sharing, factories: Any
) -> None:
    subject_id = world.subject()
    officer = factories.user(agency=world.partners["csc"], roles=(Role.IG_OFFICER,))
    actor = world.actor(officer)
    refused = attempt(world.app, actor, target(world, subject_id))
    assert isinstance(refused, AccessDenied)
    assert refused.reason == "no_grant"
    grant_id = world.grant(subject_id, "csc", to_user=officer)
    acknowledge(world.app, actor, grant_id)
    decision = attempt(world.app, actor, target(world, subject_id))
    assert isinstance(decision, Decision)
    assert decision.grant_id == grant_id


def test_deny_unknown_looks_like_a_refusal_and_logs_it(world: Sharing) -> None:
    actor = world.actor(world.people["csc"])
    missing = uuid.uuid4()
    start = head_seq(world.app)
    with world.app.app_context(), pytest.raises(AccessDenied) as raised, transaction():
        gate.deny_unknown(actor, Permission.SUBJECT_READ, subject_id=missing)
    assert raised.value.status == 404
    assert raised.value.lao_message is None
    [event] = events_after(world.app, start)
    assert event.event_type == "AUTHZ_FAIL"
    assert body(event)["with"]["reason"] == "not_found"
    assert event.subject_id == missing


def test_named_user_grant_covers_only_that_user(world: Sharing, factories: Any) -> None:
    subject_id = world.subject()
    colleague = factories.user(agency=world.partners["csc"], roles=(Role.SOCIAL_WORKER,))
    grant_id = world.grant(subject_id, "csc", to_user=world.people["csc"])
    worker = world.actor(world.people["csc"])
    acknowledge(world.app, worker, grant_id)
    assert isinstance(attempt(world.app, worker, target(world, subject_id)), Decision)
    refused = attempt(world.app, world.actor(colleague), target(world, subject_id))
    assert isinstance(refused, AccessDenied)
    assert refused.reason == "no_grant"


def test_record_grant_covers_only_its_record(world: Sharing) -> None:
    subject_id = world.subject()
    shared, other = world.record(subject_id), world.record(subject_id)
    grant_id = world.grant(subject_id, "housing", record_id=shared)
    worker = world.actor(world.people["housing"])
    acknowledge(world.app, worker, grant_id)
    decision = attempt(world.app, worker, target(world, subject_id, record_id=shared))
    assert isinstance(decision, Decision)
    assert decision.grant_id == grant_id
    for tgt in (target(world, subject_id, record_id=other), target(world, subject_id)):
        assert isinstance(attempt(world.app, worker, tgt), AccessDenied)


def test_widest_live_profile_wins(world: Sharing) -> None:
    subject_id = world.subject()
    world.grant(subject_id, "probation", profile="SUMMARY")
    full = world.grant(subject_id, "probation", profile="FULL")
    world.grant(subject_id, "probation", profile="FULL", status=GrantStatus.REVOKED)
    worker = world.actor(world.people["probation"])
    acknowledge(world.app, worker, full)
    decision = attempt(world.app, worker, target(world, subject_id))
    assert isinstance(decision, Decision)
    assert (decision.scope, decision.grant_id) == (ViewProfile.FULL, full)


def test_grant_never_lets_a_partner_write(world: Sharing, factories: Any) -> None:
    subject_id = world.subject()
    # A MAPPA co-ordinator in probation holds record:write, but not for the police's subject.
    coordinator = factories.user(
        agency=world.partners["probation"], roles=(Role.MAPPA_COORDINATOR,)
    )
    grant_id = world.grant(subject_id, "probation", profile="FULL")
    actor = world.actor(coordinator)
    acknowledge(world.app, actor, grant_id)
    for purpose in (Purpose.EDIT, Purpose.CREATE):
        refused = attempt(
            world.app,
            actor,
            target(world, subject_id),
            permission=Permission.RECORD_WRITE,
            purpose=purpose,
        )
        assert isinstance(refused, AccessDenied)
        assert refused.reason == "not_owner"
    start = head_seq(world.app)
    decision = attempt(
        world.app,
        world.actor(world.officer),
        target(world, subject_id),
        permission=Permission.SUBJECT_WRITE,
        purpose=Purpose.EDIT,
    )
    assert isinstance(decision, Decision)
    [event] = events_after(world.app, start)
    assert event.event_type == "ALTERATION"


def test_disabled_account_refused(world: Sharing) -> None:
    from portal.extensions import db
    from portal.users.models import User

    subject_id = world.subject()
    actor = world.actor(world.officer)
    with world.app.app_context(), transaction():
        user = db.session.get(User, world.officer.id)
        assert user is not None
        user.status = "disabled"
    refused = attempt(world.app, actor, target(world, subject_id))
    assert isinstance(refused, AccessDenied)
    assert refused.reason == "account_disabled"


def test_acknowledging_another_agencys_grant_is_refused(world: Sharing) -> None:
    subject_id = world.subject()
    grant_id = world.grant(subject_id, "csc")
    housing = world.actor(world.people["housing"])
    with world.app.app_context(), pytest.raises(AccessDenied), transaction():
        gate.acknowledge(housing, grant_id=grant_id)


def test_decision_is_built_by_the_gate_only() -> None:
    with pytest.raises(TypeError, match=r"only portal\.access\.gate"):
        Decision(
            target=Target(uuid.uuid4(), uuid.uuid4(), Marking()),
            scope=ViewProfile.FULL,
            grant_id=None,
            legal_gateway="GW-CL-POLICING",
            dp_condition="DP3-S35-LE",
            _event=None,
        )


def test_refusal_after_the_gate_rolls_back_the_consultation(world: Sharing) -> None:
    """A service that refuses after the gate allowed (out of scope) leaves one AUTHZ_FAIL."""
    subject_id = world.subject()
    actor = world.actor(world.officer)
    start = head_seq(world.app)
    with world.app.app_context(), pytest.raises(AccessDenied), transaction():  # noqa: PT012
        gate.authorize(
            actor, Permission.SUBJECT_READ, target(world, subject_id), purpose=Purpose.VIEW
        )
        raise AccessDenied("scope")
    [event] = events_after(world.app, start)
    assert event.event_type == "AUTHZ_FAIL"
    assert event.actor_id == world.officer.id
    assert event.subject_id == subject_id
