"""IDOR sweep: every subject and record route that takes an id, requested by three users who
must not see the thing (another agency's officer, a partner whose grant expired, a partner whose
grant was revoked), answers exactly as it does for an id that does not exist: the same status
and the same body (CSRF token and CSP nonce aside), with no record field in either.

ASVS 8.2.2 / 8.3.1 (reference/security.md A2); issue 5 acceptance "IDOR sweep".
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from portal.core.identity import Role
from tests.helpers import csrf_token
from tests.integration.subjects.sharing import SUBJECT_VALUES, World, normalise
from tests.leaks import CONTENT_MARKER

#: Every route of the subject and record pages that takes an id, and how the sweep calls it.
#: A route added to either blueprint without an entry here fails
#: test_sweep_covers_every_route_with_an_id.
ROUTES: dict[str, tuple[str, str]] = {
    "subjects.show_subject": ("GET", "/subjects/{subject}"),
    "subjects.edit_subject": ("GET", "/subjects/{subject}/edit"),
    "subjects.edit_subject#post": ("POST", "/subjects/{subject}/edit"),
    "subjects.print_subject": ("POST", "/subjects/{subject}/print"),
    "subjects.acknowledge": ("GET", "/subjects/{subject}/acknowledge"),
    "subjects.acknowledge#post": ("POST", "/subjects/{subject}/acknowledge"),
    "records.add_record": ("GET", "/subjects/{subject}/records/new"),
    "records.add_record#post": ("POST", "/subjects/{subject}/records/new"),
    "records.show_record": ("GET", "/records/{record}"),
    "records.edit_record": ("GET", "/records/{record}/edit"),
    "records.edit_record#post": ("POST", "/records/{record}/edit"),
    "records.acknowledge": ("GET", "/records/{record}/acknowledge"),
    "records.acknowledge#post": ("POST", "/records/{record}/acknowledge"),
}
SWEPT_BLUEPRINTS = ("subjects.", "records.")


def _form(path: str, world: World) -> dict[str, Any]:
    """Answers that pass the input schema, so a POST reaches the service and its gate."""
    marking = {"classification": "OFFICIAL", "handling": "NONE"}
    if path.startswith("/subjects/") and path.endswith("/edit"):
        return {
            **marking,
            "family_name": "Changed",
            "given_names": "Name",
            "subject_type": "RSO",
            "mappa_category": "1",
            "mappa_level": "1",
            "lead_agency_id": str(world.police.id),
        }
    if path.endswith("/records/new") or (path.startswith("/records/") and path.endswith("/edit")):
        return {**marking, "kind": "NOTE", "title": "Changed", "body": "Changed"}
    return {}


@pytest.fixture
def world(app: Any, factories: Any) -> World:
    return World(app, factories)


@pytest.fixture
def sweep(world: World, factories: Any, make_client: Any) -> dict[str, Any]:
    subject_id = world.subject()
    record_id = world.record(subject_id, title="Secret title", body="secret words")
    world.record(subject_id, kind="RISK_MANAGEMENT_PLAN", title="Plan title")
    world.grant(subject_id, "csc", profile="FULL", state="expired", acknowledged=True)
    world.grant(subject_id, "housing", profile="FULL", state="revoked", acknowledged=True)
    elsewhere = factories.agency(name="Southshire Police")
    outsider = factories.user(agency=elsewhere, roles=(Role.MOSOVO_OFFICER, Role.MAPPA_COORDINATOR))
    return {
        "ids": {"subject": subject_id, "record": record_id},
        "users": {
            "other agency": world.browser(outsider, make_client),
            "expired grant": world.browser(world.people["csc"], make_client),
            "revoked grant": world.browser(world.people["housing"], make_client),
        },
    }


def _request(client: Any, world: World, method: str, template: str, ids: dict[str, Any]) -> Any:
    path = template.format(**ids)
    if method == "GET":
        return client.get(path)
    data = {**_form(path, world), "csrf_token": csrf_token(client, "/")}
    return client.post(path, data=data)


def _forbidden_words(world: World) -> list[str]:
    return [
        CONTENT_MARKER,
        "secret words",
        "Secret title",
        "Plan title",
        "supervision section",
        SUBJECT_VALUES["family_name"],
        SUBJECT_VALUES["family_name"].upper(),
        SUBJECT_VALUES["given_names"],
        SUBJECT_VALUES["pnc_id"],
        SUBJECT_VALUES["ndelius_crn"],
        SUBJECT_VALUES["visor_ref"],
    ]


_OFFER = '<div class="app-emergency-access">'
_OFFER_BLOCK = re.compile(r'\n<div class="app-emergency-access">.*?</div>', re.DOTALL)


def _typed_ids_masked(response: Any, ids: dict[str, uuid.UUID]) -> str:
    """The body, normalised, with the ids the user put in the address replaced by a marker."""
    body = normalise(response.get_data(as_text=True))
    for name, value in ids.items():
        body = body.replace(str(value), "{" + name + "}")
    return body


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_forbidden_id_answers_exactly_like_a_missing_one(world, sweep, route):
    method, template = ROUTES[route]
    unknown = {name: uuid.uuid4() for name in sweep["ids"]}
    for who, client in sweep["users"].items():
        forbidden = _request(client, world, method, template, sweep["ids"])
        missing = _request(client, world, method, template, unknown)

        assert forbidden.status_code == missing.status_code, (route, who)
        if who == "other agency":  # holds every permission these routes ask for
            assert forbidden.status_code == 404, (route, who)
        else:
            assert forbidden.status_code in (403, 404), (route, who)
        # The one place an id is echoed is the emergency-access link, made from the address.
        forbidden_body = _typed_ids_masked(forbidden, sweep["ids"])
        assert forbidden_body == _typed_ids_masked(missing, unknown), (route, who)
        # Every sweep user holds break_glass:use; the subject page (only) offers it, to both.
        assert (_OFFER in forbidden_body) == (route == "subjects.show_subject"), (route, who)
        if forbidden.status_code == 404:  # and the same as any page that does not exist
            assert _OFFER_BLOCK.sub("", forbidden_body) == normalise(
                client.get("/no-such-page").get_data(as_text=True)
            ), (route, who)
        for word in _forbidden_words(world):
            assert word not in forbidden_body, (route, who, word)


def test_sweep_refusals_change_nothing_and_log_no_success(world, sweep):
    before = [(e.seq, e.event_type) for e in world.events()]
    for method, template in ROUTES.values():
        for client in sweep["users"].values():
            _request(client, world, method, template, sweep["ids"])
    after = world.events()[len(before) :]
    processing = {"COLLECTION", "ALTERATION", "CONSULTATION", "DISCLOSURE"}
    assert not [e for e in after if e.event_type in processing], [e.event_type for e in after]
    from portal.records.models import SharedRecord
    from portal.subjects.models import Subject

    assert world.row(Subject, sweep["ids"]["subject"]).family_name == "Fairweather"
    assert world.row(SharedRecord, sweep["ids"]["record"]).title == "Secret title"
    assert world.count(SharedRecord) == 2


def test_sweep_covers_every_route_with_an_id(app):
    with_ids = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(SWEPT_BLUEPRINTS) or not rule.arguments:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            with_ids.add(
                rule.endpoint
                + ("#post" if method == "POST" and "GET" in (rule.methods or ()) else "")
            )
    assert with_ids == set(ROUTES)


def test_the_sweep_would_notice_a_leak(world, sweep):
    """The comparison is not vacuous: an id the user may open answers differently."""
    subject_id = sweep["ids"]["subject"]
    world.grant(subject_id, "csc", profile="FULL", acknowledged=True)
    client = sweep["users"]["expired grant"]
    allowed = client.get(f"/subjects/{subject_id}")
    missing = client.get(f"/subjects/{uuid.uuid4()}")
    assert allowed.status_code == 200
    assert missing.status_code == 404
    assert CONTENT_MARKER in allowed.get_data(as_text=True)
