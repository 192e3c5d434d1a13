"""Fixtures for the meeting tests: the sharing world plus a MAPPA co-ordinator, probation as
a competent authority, and helpers that drive the meeting pages like a browser."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.agencies.models import Agency
from portal.core.clock import db_now
from portal.core.identity import Role
from portal.core.uk_time import uk_day
from portal.db.transaction import transaction
from portal.extensions import db
from portal.meetings.models import MeetingAction, MinutesVersion
from tests.integration.subjects.sharing import World

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def token(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, f"GET {path} answered {page.status_code}"
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def post(client: FlaskClient, path: str, data: dict[str, Any], *, form_path: str = "") -> Any:
    return client.post(path, data={"csrf_token": token(client, form_path or path), **data})


def date_parts(day: date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


class MeetingWorld(World):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.coordinator = self.factories.user(
            agency=self.police, roles=(Role.MAPPA_COORDINATOR,), full_name="Cora Coordinator"
        )
        with self.app.app_context(), transaction():
            probation = db.session.get(Agency, self.partners["probation"].id)
            assert probation is not None
            probation.is_competent_authority = True

    def today(self) -> date:
        """The UK day of the database clock (the day the meeting pages count in)."""
        with self.app.app_context():
            return uk_day(db_now())

    def meeting_form(self, **changes: Any) -> dict[str, Any]:
        today = self.today()
        data: dict[str, Any] = {
            "kind": "INITIAL",
            "level": "2",
            "held_on": date_parts(today),
            "location": "Northshire Police HQ",
            "mappa_area": "Northshire",
            "chair_name": "Chris Chair",
            "chair_agency_id": str(self.police.id),
            "chair_role": "Detective Inspector",
            "confidentiality_read": "y",
            "category_level_confirmed": "y",
            "rosh_children": "HIGH",
            "discussion": "<p>The panel discussed the risk.</p>",
            "decision_1": "Remain at level 2",
            "rationale_1": "Risk is managed with the current plan",
            "level_decision": "2",
            "lead_agency_id": str(self.partners["probation"].id),
            "next_review_on": date_parts(today + timedelta(days=90)),
            "grace_days": "14",
        }
        for i, key in enumerate(("probation", "csc", "housing"), start=1):
            data[f"attendee_{i}_agency"] = str(self.partners[key].id)
            data[f"attendee_{i}_name"] = f"{key} attendee"
            data[f"attendee_{i}_role"] = "Manager"
            data[f"attendee_{i}_attendance"] = "PRESENT"
        data.update(changes)
        return {k: v for k, v in data.items() if v is not None}

    def create_meeting(self, client: FlaskClient, subject_id: uuid.UUID, **changes: Any) -> Any:
        path = f"/subjects/{subject_id}/meetings/new"
        response = post(client, path, self.meeting_form(**changes))
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
        return uuid.UUID(response.headers["Location"].rsplit("/", 1)[-1])

    def add_action(
        self,
        client: FlaskClient,
        meeting_id: uuid.UUID,
        owner: str,
        *,
        due: date | None = None,
        description: str = "Home visit",
    ) -> uuid.UUID:
        path = f"/meetings/{meeting_id}/actions/new"
        data = {
            "description": description,
            "pillar": "SUPERVISION",
            "owner_agency_id": str(self.partners[owner].id if owner in self.partners else owner),
            "owner_person": f"{owner} officer",
            "due_on": date_parts(due or self.today() + timedelta(days=14)),
        }
        response = post(client, path, data)
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
        return self._last_action(meeting_id, description)

    def _last_action(self, meeting_id: uuid.UUID, description: str) -> uuid.UUID:
        with self.app.app_context():
            ids = (
                db.session.execute(
                    select(MeetingAction.id).where(
                        MeetingAction.meeting_id == meeting_id,
                        MeetingAction.description == description,
                    )
                )
                .scalars()
                .all()
            )
            assert len(ids) == 1
            return ids[0]

    def approve(self, client: FlaskClient, meeting_id: uuid.UUID) -> Any:
        return post(
            client, f"/meetings/{meeting_id}/approve", {}, form_path=f"/meetings/{meeting_id}"
        )

    def distribute(self, client: FlaskClient, meeting_id: uuid.UUID, **changes: Any) -> Any:
        conditions = {
            f"dp_{self.partners['probation'].id.hex}": "DP3-SCH8-4",
            f"dp_{self.partners['csc'].id.hex}": "GDPR-6-1-E",
            f"dp_{self.partners['housing'].id.hex}": "GDPR-6-1-E",
        }
        conditions.update(changes)
        data = {k: v for k, v in conditions.items() if v is not None}
        return post(client, f"/meetings/{meeting_id}/distribute", data)

    def versions(self, meeting_id: uuid.UUID) -> list[MinutesVersion]:
        with self.app.app_context():
            rows = (
                db.session.execute(
                    select(MinutesVersion)
                    .where(MinutesVersion.meeting_id == meeting_id)
                    .order_by(MinutesVersion.number)
                )
                .scalars()
                .all()
            )
            db.session.expunge_all()
            return list(rows)

    def event_types(self, since: int = 0) -> list[str]:
        return [e.event_type for e in self.events() if e.seq > since]

    def last_seq(self) -> int:
        events = self.events()
        return events[-1].seq if events else 0


@pytest.fixture
def mw(app: Any, factories: Any) -> MeetingWorld:
    return MeetingWorld(app, factories)


def acknowledge(client: FlaskClient, subject_id: uuid.UUID) -> None:
    """Agree to the confidentiality statement for the subject, if the gate asks for it."""
    path = f"/subjects/{subject_id}/acknowledge"
    if client.get(path).status_code == 302:
        return  # nothing to agree to: the subject opens already
    response = post(client, path, {})
    assert response.status_code == 302


def distributed_meeting(mw: MeetingWorld, chair: FlaskClient, subject_id: uuid.UUID) -> Any:
    """A meeting with one action per partner, approved and distributed; returns
    ``(meeting_id, {partner: action_id})``."""
    meeting_id = mw.create_meeting(chair, subject_id)
    owned = {
        key: mw.add_action(chair, meeting_id, key, description=f"{key} action")
        for key in ("probation", "csc", "housing")
    }
    assert mw.approve(chair, meeting_id).status_code == 302
    assert mw.distribute(chair, meeting_id).status_code == 302
    return meeting_id, owned


def read_by_probation(mw: MeetingWorld, make_client: Any) -> tuple[Any, ...]:
    """``(chair, officer, subject, meeting_id, {partner: action_id})``: distributed minutes the
    probation officer has agreed to the confidentiality statement for."""
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id, owned = distributed_meeting(mw, chair, subject)
    officer = mw.browser(mw.people["probation"], make_client)
    acknowledge(officer, subject)
    return chair, officer, subject, meeting_id, owned
