"""Rows and actors for the gate, grants and concurrency tests, inserted directly with the models.

Subjects and records are inserted as rows (the subjects and records features are tested on
their own); grants too, unless a test is about the grants feature's use cases.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from portal.access.models import (
    AccessGrant,
    GrantStatus,
    LaoKind,
    LaoList,
    LaoMember,
    ScopeKind,
)
from portal.agencies.models import AgencyType
from portal.audit.models import AuditEventRow
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.core.identity import Clearance, Role
from portal.core.markings import Descriptor, Marking
from portal.db.transaction import transaction
from portal.extensions import db
from portal.records.models import SharedRecord
from portal.subjects.models import Subject
from portal.users.models import User

OFFICIAL = Marking()
OFFICIAL_SENSITIVE = Marking(sensitive=True, descriptors=frozenset({Descriptor.PERSONAL_DATA}))
GATEWAY = "GW-CJA03-S325"
DP_CONDITION = "DP3-SCH8-4"
JUSTIFICATION = "Joint management of the risk to children"


def actor_of(app: Flask, handle: Any) -> Actor:
    """The :class:`Actor` for a user handle, as the request would build it."""
    with app.app_context():
        user = db.session.get(User, handle.id)
        assert user is not None
        return Actor.from_user(user)


@dataclass
class Sharing:
    """A police agency with an officer, partner agencies with one user each."""

    app: Flask
    factories: Any
    police: Any = None
    officer: Any = None
    coordinator: Any = None
    partners: dict[str, Any] = field(default_factory=dict)
    people: dict[str, Any] = field(default_factory=dict)
    _n: int = 0

    def __post_init__(self) -> None:
        f = self.factories
        self.police = f.agency(name="Northshire Police", type=AgencyType.POLICE.value)
        self.officer = f.user(agency=self.police, roles=(Role.MOSOVO_OFFICER,))
        self.coordinator = f.user(agency=self.police, roles=(Role.MAPPA_COORDINATOR,))
        for key, kind, role in (
            ("csc", AgencyType.CHILDRENS_SOCIAL_CARE, Role.SOCIAL_WORKER),
            ("housing", AgencyType.HOUSING_AUTHORITY, Role.HOUSING_OFFICER),
            ("probation", AgencyType.PROBATION, Role.PROBATION_OFFICER),
        ):
            agency = f.agency(type=kind.value, is_competent_authority=False)
            self.partners[key] = agency
            self.people[key] = f.user(agency=agency, roles=(role,), clearance=Clearance.BPSS)

    def actor(self, handle: Any) -> Actor:
        return actor_of(self.app, handle)

    # --- rows -------------------------------------------------------------------------

    def subject(
        self, *, marking: Marking = OFFICIAL_SENSITIVE, owner: Any = None, pnc_id: str | None = None
    ) -> uuid.UUID:
        self._n += 1
        owner = owner or self.police
        with self.app.app_context(), transaction():
            subject = Subject(
                owning_agency_id=owner.id,
                lead_agency_id=owner.id,
                family_name=f"Subject{self._n}",
                given_names="Test",
                subject_type="RSO",
                mappa_category=1,
                mappa_level=2,
                marking=_owned(marking, owner.id).to_json(),
                created_by_id=self.officer.id,
                pnc_id=pnc_id,
            )
            db.session.add(subject)
            db.session.flush()
            return subject.id

    def record(self, subject_id: uuid.UUID, *, owner: Any = None) -> uuid.UUID:
        owner = owner or self.police
        with self.app.app_context(), transaction():
            record = SharedRecord(
                subject_id=subject_id,
                owner_agency_id=owner.id,
                kind="RISK_SUMMARY",
                title="Risk summary",
                body="<p>summary</p>",
                marking=_owned(OFFICIAL_SENSITIVE, owner.id).to_json(),
                created_by_id=self.officer.id,
            )
            db.session.add(record)
            db.session.flush()
            return record.id

    def grant(
        self,
        subject_id: uuid.UUID,
        partner: str,
        *,
        profile: str | None = "SUMMARY",
        status: GrantStatus = GrantStatus.ACTIVE,
        record_id: uuid.UUID | None = None,
        valid_from: datetime | None = None,
        expires_at: datetime | None = None,
        to_user: Any = None,
    ) -> uuid.UUID:
        with self.app.app_context(), transaction():
            now = db_now()
            grant = AccessGrant(
                owner_agency_id=self.police.id,
                grantee_agency_id=self.partners[partner].id,
                grantee_user_id=to_user.id if to_user else None,
                scope_kind=(ScopeKind.RECORD if record_id else ScopeKind.SUBJECT).value,
                subject_id=subject_id,
                record_id=record_id,
                view_profile=None if record_id else profile,
                legal_gateway=GATEWAY,
                dp_condition=DP_CONDITION,
                justification=JUSTIFICATION,
                isa_reference="ISA-TEST-1",
                status=status.value,
                valid_from=valid_from or now - timedelta(days=1),
                expires_at=expires_at or now + timedelta(days=30),
                granted_by_id=self.officer.id,
                created_at=now,
            )
            db.session.add(grant)
            db.session.flush()
            return grant.id

    def lao(self, subject_id: uuid.UUID, kind: LaoKind, users: list[Any], message: str) -> None:
        with self.app.app_context(), transaction():
            db.session.add(LaoList(subject_id=subject_id, kind=kind.value, message=message))
            for user in users:
                db.session.add(LaoMember(subject_id=subject_id, kind=kind.value, user_id=user.id))

    def set_status(self, grant_id: uuid.UUID, status: GrantStatus) -> None:
        with self.app.app_context(), transaction():
            grant = db.session.get(AccessGrant, grant_id)
            assert grant is not None
            grant.status = status.value


def _owned(marking: Marking, agency_id: uuid.UUID) -> Marking:
    from dataclasses import replace

    return replace(marking, owner=str(agency_id))


def head_seq(app: Flask) -> int:
    with app.app_context():
        return int(
            db.session.execute(select(func.coalesce(func.max(AuditEventRow.seq), 0))).scalar_one()
        )


def events_after(app: Flask, seq: int) -> list[AuditEventRow]:
    with app.app_context():
        rows = list(
            db.session.execute(
                select(AuditEventRow).where(AuditEventRow.seq > seq).order_by(AuditEventRow.seq)
            ).scalars()
        )
        db.session.expunge_all()
        return rows
