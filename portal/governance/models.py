"""Governance tables, and the search indexes on the access log.

The IG search reads ``audit_event`` newest first, ordered by ``(recorded_at, seq)``, and pages
by keyset on that pair (never ``OFFSET``). Each filter has an index that leads with the filter
column and then ``(recorded_at, seq)``: a filter alone, or a filter plus a date range, is one
backward range scan that stops after a page. The indexes are declared here, next to the query
that needs them, and created by migration 0006.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import cast

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.audit.models import AuditEventRow
from portal.db.base import Base, UUIDPrimaryKey
from portal.db.types import enum_check

_EVENTS = cast(Table, AuditEventRow.__table__)

#: (filter column, nullable): each gets an index on (column, recorded_at, seq).
SEARCH_INDEX_COLUMNS: tuple[tuple[str, bool], ...] = (
    ("actor_id", True),
    ("actor_agency_id", True),
    ("subject_id", True),
    ("record_id", True),
    ("grant_id", True),
    ("event_type", False),
    ("legal_gateway", True),
    ("dp_condition", True),
    ("marking", True),
)


def search_index_name(column: str) -> str:
    return f"ix_audit_event_{column}_at"


def _search_index(column: str, nullable: bool) -> Index:
    if not nullable:
        return Index(
            search_index_name(column), _EVENTS.c[column], _EVENTS.c.recorded_at, _EVENTS.c.seq
        )
    where = text(f"{column} IS NOT NULL")
    return Index(
        search_index_name(column),
        _EVENTS.c[column],
        _EVENTS.c.recorded_at,
        _EVENTS.c.seq,
        postgresql_where=where,
        sqlite_where=where,
    )


SEARCH_INDEXES = tuple(_search_index(column, nullable) for column, nullable in SEARCH_INDEX_COLUMNS)
#: The date range alone, and the unfiltered newest-first listing.
TIME_INDEX = Index("ix_audit_event_at_seq", _EVENTS.c.recorded_at, _EVENTS.c.seq)


class AlertRule(StrEnum):
    BREAK_GLASS = "BREAK_GLASS"
    AFTER_HOURS = "AFTER_HOURS"
    MANY_SUBJECTS = "MANY_SUBJECTS"
    REPEATED_REFUSALS = "REPEATED_REFUSALS"
    GRANT_EXPIRING = "GRANT_EXPIRING"

    @property
    def label(self) -> str:
        return RULE_LABELS[self]


RULE_LABELS = {
    AlertRule.BREAK_GLASS: "Emergency access (break-glass)",
    AlertRule.AFTER_HOURS: "Access outside working hours",
    AlertRule.MANY_SUBJECTS: "Many subjects in an hour",
    AlertRule.REPEATED_REFUSALS: "Repeated refusals for ended grants",
    AlertRule.GRANT_EXPIRING: "Grant expiring with no renewal decision",
}


class Disposition(StrEnum):
    JUSTIFIED = "JUSTIFIED"
    FOLLOW_UP = "FOLLOW_UP"
    BREACH = "BREACH"

    @property
    def label(self) -> str:
        return {"JUSTIFIED": "Justified", "FOLLOW_UP": "Needs follow-up", "BREACH": "Breach"}[
            self.value
        ]


class Alert(UUIDPrimaryKey, Base):
    """Something in the log for IG to review. ``key`` stops the same finding being raised
    twice. It holds ids and a short summary, never record content."""

    __tablename__ = "ig_alert"
    __table_args__ = (
        CheckConstraint(enum_check("rule", AlertRule), name="rule"),
        Index("ix_ig_alert_raised_at", "raised_at"),
    )

    rule: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    raised_at: Mapped[datetime]
    #: Whose behaviour it is about (None for a grant about to expire).
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    subject_id: Mapped[uuid.UUID | None]
    grant_id: Mapped[uuid.UUID | None]
    event_seq: Mapped[int | None] = mapped_column(BigInteger)
    summary: Mapped[str] = mapped_column(String(300))


class AlertDisposition(UUIDPrimaryKey, Base):
    """A reviewer's decision on an alert. Never changed or deleted (database triggers): a
    later decision supersedes it, naming it."""

    __tablename__ = "ig_alert_disposition"
    __table_args__ = (
        CheckConstraint(enum_check("outcome", Disposition), name="outcome"),
        Index("ix_ig_alert_disposition_alert", "alert_id", "decided_at"),
    )

    alert_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ig_alert.id", ondelete="RESTRICT"))
    reviewer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    outcome: Mapped[str] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime]
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ig_alert_disposition.id", ondelete="RESTRICT")
    )
    event_seq: Mapped[int] = mapped_column(BigInteger)


class AlertScan(Base):
    """How far the alert scanner has read the log (one row, id 1)."""

    __tablename__ = "ig_alert_scan"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_grant_check: Mapped[datetime | None]
