"""Governance tables, and the search indexes on the access log.

The IG search reads ``audit_event`` newest first, ordered by ``(recorded_at, seq)``, and pages
by keyset on that pair (never ``OFFSET``). Each filter has an index that leads with the filter
column and then ``(recorded_at, seq)``: a filter alone, or a filter plus a date range, is one
backward range scan that stops after a page. The indexes are declared here, next to the query
that needs them, and created by migration 0006.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Index, Table, text

from portal.audit.models import AuditEventRow

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
        return Index(search_index_name(column), _EVENTS.c[column], _EVENTS.c.recorded_at, _EVENTS.c.seq)
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
