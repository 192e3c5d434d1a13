"""Only the owning agency may lower a marking (domain §4.3, §8.3); anyone allowed to edit may
raise it. The check runs after the gate has allowed the edit, so it is tested twice: through the
pages with the real gate, and with the gate's answer fixed so the check itself is reached."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal.access.models import ViewProfile
from portal.core.markings import Marking
from portal.records import service as records_service
from portal.records.models import SharedRecord
from portal.subjects.service import OWNER_ONLY_LOWERS
from tests.helpers import csrf_token
from tests.integration.records.test_create_record import answers, post
from tests.integration.subjects.test_create_subject import error_messages

LOWER = {"classification": "OFFICIAL", "descriptors": [], "handling": "NONE"}
RAISE = {
    "classification": "OFFICIAL-SENSITIVE",
    "descriptors": ["PERSONAL_DATA", "LEGAL"],
    "handling": "RECIPIENTS_ONLY",
}


@dataclass(frozen=True)
class _Allowed:
    scope: ViewProfile = ViewProfile.FULL
    grant_id: Any = None


def _allow_edits(monkeypatch: Any, calls: list[Any]) -> None:
    def authorize(actor: Any, permission: Any, target: Any, **kwargs: Any) -> _Allowed:
        calls.append((permission, kwargs["purpose"]))
        return _Allowed()

    monkeypatch.setattr(records_service.gate, "authorize", authorize)


def _marking(world: Any, record_id: Any) -> str:
    return Marking.from_json(world.row(SharedRecord, record_id).marking).banner


def test_non_owner_cannot_lower_a_record_marking(world, make_client, monkeypatch):
    subject_id = world.subject()
    record_id = world.record(subject_id, owner=world.partners["probation"])
    officer = world.browser(world.officer, make_client)
    calls: list[Any] = []
    _allow_edits(monkeypatch, calls)

    response = post(officer, f"/records/{record_id}/edit", answers(title="Lowered", **LOWER))

    assert calls, "the edit never reached the gate"
    assert response.status_code == 400
    assert OWNER_ONLY_LOWERS in error_messages(response.get_data(as_text=True))
    assert _marking(world, record_id) == "OFFICIAL-SENSITIVE - PERSONAL DATA"
    assert world.row(SharedRecord, record_id).title == "Risk summary"


def test_non_owner_may_raise_a_record_marking(world, make_client, monkeypatch):
    subject_id = world.subject()
    record_id = world.record(subject_id, owner=world.partners["probation"])
    officer = world.browser(world.officer, make_client)
    _allow_edits(monkeypatch, [])

    response = post(officer, f"/records/{record_id}/edit", answers(**RAISE))

    assert response.status_code == 302
    marking = Marking.from_json(world.row(SharedRecord, record_id).marking)
    assert marking.banner == "OFFICIAL-SENSITIVE - RECIPIENTS ONLY - PERSONAL DATA - LEGAL"
    assert marking.owner == str(world.partners["probation"].id)  # the owner never changes


def test_with_the_real_gate_another_agencys_record_is_never_lowered(world, make_client):
    subject_id = world.subject()
    record_id = world.record(subject_id, owner=world.partners["probation"])
    officer = world.browser(world.officer, make_client)

    token = csrf_token(officer, "/")
    response = officer.post(
        f"/records/{record_id}/edit", data={**answers(**LOWER), "csrf_token": token}
    )

    # The gate lets only the record's owner edit it: refused as not found, nothing stored.
    assert response.status_code == 404
    assert _marking(world, record_id) == "OFFICIAL-SENSITIVE - PERSONAL DATA"
