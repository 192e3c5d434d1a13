"""A small world for the sharing tests: a police agency that owns subjects and records, partner
agencies and their users, and grants inserted directly (the grants feature's own pages and life
cycle are tested with that feature).

Every record body carries :data:`tests.leaks.CONTENT_MARKER`, so any test that uses this world
also checks that no record content reaches an audit event or a log line.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from portal.access.models import (
    AccessGrant,
    ConfidentialityAcknowledgement,
    GrantStatus,
    LaoKind,
    LaoList,
    LaoMember,
    ScopeKind,
)
from portal.agencies.models import AgencyType
from portal.audit.models import AuditEventRow
from portal.core.clock import db_now
from portal.core.identity import Role
from portal.core.markings import Descriptor, Marking
from portal.core.sanitise import clean_rich_text
from portal.db.transaction import transaction
from portal.extensions import db
from portal.records.models import SharedRecord
from portal.subjects.models import Subject, SubjectAlias
from tests.helpers import sign_in
from tests.leaks import CONTENT_MARKER

OFFICIAL = Marking()
OFFICIAL_SENSITIVE = Marking(sensitive=True, descriptors=frozenset({Descriptor.PERSONAL_DATA}))

#: Values planted in a subject: each must appear only where its field may be shown.
SUBJECT_VALUES = {
    "family_name": "Fairweather",
    "given_names": "Quentin Lowell",
    "pnc_id": "11/223344Q",
    "ndelius_crn": "Q123456",
    "visor_ref": "VR-77001",
}

_NORMALISE = (
    (re.compile(r'name="csrf_token"[^>]*>'), 'name="csrf_token">'),
    (re.compile(r'nonce="[^"]*"'), 'nonce=""'),
)


def normalise(body: str) -> str:
    """A response body without its per-response tokens (CSRF token, CSP nonce)."""
    for pattern, replacement in _NORMALISE:
        body = pattern.sub(replacement, body)
    return body


@dataclass
class World:
    app: Flask
    factories: Any
    police: Any = None
    officer: Any = None
    partners: dict[str, Any] = field(default_factory=dict)
    people: dict[str, Any] = field(default_factory=dict)
    subjects_made: int = 0

    def __post_init__(self) -> None:
        self.police = self.factories.agency(name="Northshire Police", type=AgencyType.POLICE.value)
        self.officer = self.factories.user(
            agency=self.police, roles=(Role.MOSOVO_OFFICER,), full_name="Olive Officer"
        )
        for key, name, kind, role in (
            ("csc", "Children's Social Care", AgencyType.CHILDRENS_SOCIAL_CARE, Role.SOCIAL_WORKER),
            ("housing", "Housing Options", AgencyType.HOUSING_AUTHORITY, Role.HOUSING_OFFICER),
            ("probation", "Probation", AgencyType.PROBATION, Role.PROBATION_OFFICER),
        ):
            agency = self.factories.agency(name=name, type=kind.value, is_competent_authority=False)
            self.partners[key] = agency
            self.people[key] = self.factories.user(
                agency=agency, roles=(role,), full_name=f"{name} Worker"
            )

    # --- rows -------------------------------------------------------------------------

    def subject(self, *, marking: Marking = OFFICIAL_SENSITIVE, **values: Any) -> uuid.UUID:
        data = {
            **SUBJECT_VALUES,
            "subject_type": "RSO",
            "mappa_category": 1,
            "mappa_level": 2,
            **values,
        }
        self.subjects_made += 1
        if "pnc_id" not in values and self.subjects_made > 1:  # identifiers are unique
            suffix = uuid.uuid4().hex[:6].upper()
            data["pnc_id"] = f"11/{int(suffix, 16) % 999999:06d}Q"
            data["ndelius_crn"] = f"Q{int(suffix, 16) % 999999:06d}"
            data["visor_ref"] = f"VR-{suffix}"
        with self.app.app_context(), transaction():
            subject = Subject(
                owning_agency_id=self.police.id,
                lead_agency_id=self.police.id,
                marking=_owned(marking, self.police.id).to_json(),
                created_by_id=self.officer.id,
                **data,
            )
            subject.aliases = [SubjectAlias(name="Q. Fairweather")]
            db.session.add(subject)
            db.session.flush()
            return subject.id

    def record(
        self,
        subject_id: uuid.UUID,
        *,
        kind: str = "RISK_SUMMARY",
        title: str = "Risk summary",
        body: str = "",
        health: bool = False,
        marking: Marking = OFFICIAL_SENSITIVE,
        plan: bool = False,
        owner: Any = None,
    ) -> uuid.UUID:
        text = f"<p>{body} {CONTENT_MARKER}</p>"
        sections = {}
        if plan or kind == "RISK_MANAGEMENT_PLAN":
            sections = {
                name: f"<p>{name} section {CONTENT_MARKER}</p>"
                for name in (
                    "supervision",
                    "monitoring_control",
                    "interventions_treatment",
                    "victim_safety",
                    "contingency",
                    "licence_conditions",
                )
            }
        with self.app.app_context(), transaction():
            owner_agency = owner or self.police
            record = SharedRecord(
                subject_id=subject_id,
                owner_agency_id=owner_agency.id,
                kind=kind,
                title=title,
                body=clean_rich_text(text),
                contains_health_details=health,
                marking=_owned(marking, owner_agency.id).to_json(),
                created_by_id=self.officer.id,
                **sections,
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
        state: str = "live",
        record_id: uuid.UUID | None = None,
        days: float = 30,
        to_user: Any = None,
        acknowledged: bool = False,
    ) -> uuid.UUID:
        """A grant from the police to ``partner``: live, expired, revoked or suspended."""
        with self.app.app_context(), transaction():
            now = db_now()
            starts = now - timedelta(days=40 if state == "expired" else 1)
            ends = now - timedelta(days=1) if state == "expired" else now + timedelta(days=days)
            status = {
                "revoked": GrantStatus.REVOKED,
                "suspended": GrantStatus.SUSPENDED,
                "requested": GrantStatus.REQUESTED,
            }.get(state, GrantStatus.ACTIVE)
            grant = AccessGrant(
                owner_agency_id=self.police.id,
                grantee_agency_id=self.partners[partner].id,
                grantee_user_id=to_user.id if to_user else None,
                scope_kind=(ScopeKind.RECORD if record_id else ScopeKind.SUBJECT).value,
                subject_id=subject_id,
                record_id=record_id,
                view_profile=None if record_id else profile,
                legal_gateway="GW-CJA03-S325",
                dp_condition="DP3-SCH8-4",
                justification="Joint management of the risk to children",
                isa_reference="ISA-TEST-1",
                status=status.value,
                valid_from=starts,
                expires_at=ends,
                granted_by_id=self.officer.id,
                approved_by_id=self.officer.id,
                approved_at=starts,
                ended_by_id=self.officer.id if state == "revoked" else None,
                ended_at=now if state == "revoked" else None,
                created_at=starts,
            )
            db.session.add(grant)
            db.session.flush()
            if acknowledged:
                person = to_user or self.people[partner]
                db.session.add(
                    ConfidentialityAcknowledgement(
                        grant_id=grant.id, user_id=person.id, acknowledged_at=now
                    )
                )
            return grant.id

    def exclude(
        self, subject_id: uuid.UUID, user: Any, message: str = "Ask the MOSOVO team"
    ) -> None:
        with self.app.app_context(), transaction():
            db.session.add(
                LaoList(subject_id=subject_id, kind=LaoKind.EXCLUSION.value, message=message)
            )
            db.session.add(
                LaoMember(subject_id=subject_id, kind=LaoKind.EXCLUSION.value, user_id=user.id)
            )

    def revoke(self, grant_id: uuid.UUID) -> None:
        with self.app.app_context(), transaction():
            grant = db.session.get(AccessGrant, grant_id)
            assert grant is not None
            grant.status = GrantStatus.REVOKED.value
            grant.ended_at = db_now()

    # --- reading back -------------------------------------------------------------------

    def events(self) -> list[AuditEventRow]:
        with self.app.app_context():
            rows = db.session.query(AuditEventRow).order_by(AuditEventRow.seq).all()
            db.session.expunge_all()
            return rows

    def row(self, model: Any, row_id: uuid.UUID) -> Any:
        with self.app.app_context():
            found = db.session.get(model, row_id)
            if found is not None:
                db.session.expunge(found)
            return found

    def count(self, model: Any) -> int:
        with self.app.app_context():
            return int(db.session.query(model).count())

    # --- browsers -----------------------------------------------------------------------

    def browser(self, user: Any, make_client: Any) -> FlaskClient:
        client: FlaskClient = make_client()
        response = sign_in(self.app, client, user)
        assert response.status_code == 302, "sign-in failed"
        return client


def _owned(marking: Marking, agency_id: uuid.UUID) -> Marking:
    return Marking(
        sensitive=marking.sensitive,
        descriptors=marking.descriptors,
        handling=marking.handling,
        handling_org=marking.handling_org,
        owner=str(agency_id),
    )
