"""Searching the access log: filters, the newest-first query and keyset paging.

The query reads event metadata only (the search columns, the body's ``with`` part for the
justification, reason and recipients, and the chain position); it never touches subjects or
records, so an IG officer learns nothing of their content from it. Rows come newest first by
``(recorded_at, seq)`` and the next page starts strictly after the last row seen (a keyset
cursor): every page costs one index range scan, page 50 as much as page 1 (see
:mod:`portal.governance.models` for the indexes).

:func:`search` is the one function both the IG pages and ``bench/log_search.py`` call.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select, tuple_
from sqlalchemy.orm import Session

from portal.audit.events import EventType
from portal.audit.models import AuditEventRow
from portal.core import lawful_basis

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500

_CURSOR = re.compile(r"(\d{1,16})\.(\d{1,18})")


class BadCursor(ValueError):
    """A paging cursor that this module did not produce."""


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the last row's time and sequence number."""

    at: datetime
    seq: int

    def token(self) -> str:
        """The cursor as URL-safe text (microseconds since the epoch, a dot, the seq)."""
        micros = int(self.at.timestamp()) * 1_000_000 + self.at.microsecond
        return f"{micros}.{self.seq}"

    @classmethod
    def parse(cls, token: str) -> Cursor:
        """:raises BadCursor: for anything :meth:`token` cannot have produced."""
        match = _CURSOR.fullmatch(token)
        if match is None:
            raise BadCursor("not a paging cursor")
        micros, seq = int(match[1]), int(match[2])
        try:
            at = datetime.fromtimestamp(micros // 1_000_000, UTC).replace(
                microsecond=micros % 1_000_000
            )
        except (OverflowError, OSError, ValueError):
            raise BadCursor("not a paging cursor") from None
        return cls(at, seq)


@dataclass(frozen=True)
class LogFilters:
    """Search filters; any combination, all optional. ``date_to`` is exclusive."""

    subject_id: uuid.UUID | None = None
    record_id: uuid.UUID | None = None
    actor_id: uuid.UUID | None = None
    agency_id: uuid.UUID | None = None
    event_type: EventType | None = None
    basis: str | None = None
    marking: str | None = None
    grant_id: uuid.UUID | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def detail(self) -> dict[str, str]:
        """The filters as the ``detail`` of a ``LOG_READ`` or ``LOG_EXPORTED`` event."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if isinstance(value, uuid.UUID):
                out[f"filter_{f.name}"] = value.hex
            elif isinstance(value, datetime):
                out[f"filter_{f.name}"] = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            else:
                out[f"filter_{f.name}"] = str(value)[:200]
        return out


@dataclass(frozen=True)
class LogRow:
    """One event as the IG sees it: metadata and chain position, never record content."""

    seq: int
    recorded_at: datetime
    event_type: str
    outcome: str
    actor_id: uuid.UUID | None
    actor_agency_id: uuid.UUID | None
    subject_id: uuid.UUID | None
    record_id: uuid.UUID | None
    grant_id: uuid.UUID | None
    target_user_id: uuid.UUID | None
    legal_gateway: str | None
    dp_condition: str | None
    marking: str | None
    request_id: str
    justification: str | None
    reason: str | None
    recipients: tuple[str, ...]
    detail: dict[str, str]

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.recorded_at, self.seq)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c for c in (self.legal_gateway, self.dp_condition) if c)

    @property
    def emergency(self) -> bool:
        return lawful_basis.EMERGENCY in self.codes


@dataclass(frozen=True)
class LogPage:
    rows: tuple[LogRow, ...]
    #: The cursor of the next (older) page, or None on the last page.
    next_cursor: Cursor | None


_E = AuditEventRow
_COLUMNS = (
    _E.seq,
    _E.recorded_at,
    _E.event_type,
    _E.outcome,
    _E.actor_id,
    _E.actor_agency_id,
    _E.subject_id,
    _E.record_id,
    _E.grant_id,
    _E.target_user_id,
    _E.legal_gateway,
    _E.dp_condition,
    _E.marking,
    _E.request_id,
    _E.body,
)


def basis_column(code: str) -> Any:
    """The column a lawful-basis code is stored in: data-protection conditions in
    ``dp_condition``, gateways and the ``EMERGENCY`` modifier in ``legal_gateway``.

    :raises lawful_basis.UnknownLawfulBasis: for a code not in the list.
    """
    kind = lawful_basis.basis(code).kind
    return _E.dp_condition if kind is lawful_basis.BasisKind.DP_CONDITION else _E.legal_gateway


def conditions(filters: LogFilters) -> list[ColumnElement[bool]]:
    """The WHERE clauses of ``filters`` (each is served by one index)."""
    where: list[ColumnElement[bool]] = []
    if filters.subject_id is not None:
        where.append(_E.subject_id == filters.subject_id)
    if filters.record_id is not None:
        where.append(_E.record_id == filters.record_id)
    if filters.actor_id is not None:
        where.append(_E.actor_id == filters.actor_id)
    if filters.agency_id is not None:
        where.append(_E.actor_agency_id == filters.agency_id)
    if filters.event_type is not None:
        where.append(_E.event_type == filters.event_type.value)
    if filters.basis is not None:
        where.append(basis_column(filters.basis) == filters.basis)
    if filters.marking is not None:
        where.append(_E.marking == filters.marking)
    if filters.grant_id is not None:
        where.append(_E.grant_id == filters.grant_id)
    if filters.date_from is not None:
        where.append(_E.recorded_at >= filters.date_from)
    if filters.date_to is not None:
        where.append(_E.recorded_at < filters.date_to)
    return where


def query(
    filters: LogFilters, *, after: Cursor | None = None, limit: int = PAGE_SIZE
) -> Select[*tuple[Any, ...]]:
    """The newest-first statement for one page (``limit`` rows) after ``after``."""
    where = conditions(filters)
    if after is not None:
        # A row-value comparison: PostgreSQL makes it an index condition on (recorded_at, seq),
        # so a page deep in the log starts where the previous one ended (an OR would filter).
        where.append(tuple_(_E.recorded_at, _E.seq) < tuple_(after.at, after.seq))
    return (
        select(*_COLUMNS).where(*where).order_by(_E.recorded_at.desc(), _E.seq.desc()).limit(limit)
    )


def search(
    session: Session,
    filters: LogFilters,
    *,
    after: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> LogPage:
    """One page of events matching ``filters``, newest first, strictly older than ``after``.

    Reads only; writes nothing (the caller records ``LOG_READ``).
    """
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
    rows = [to_row(r) for r in session.execute(query(filters, after=after, limit=limit + 1)).all()]
    more = len(rows) > limit
    rows = rows[:limit]
    return LogPage(tuple(rows), rows[-1].cursor if more and rows else None)


def event_at(session: Session, seq: int) -> LogRow | None:
    """The event with chain position ``seq``, or None."""
    row = session.execute(select(*_COLUMNS).where(_E.seq == seq)).one_or_none()
    return None if row is None else to_row(row)


def to_row(row: Any) -> LogRow:
    body = json.loads(row.body)
    extra = body.get("with") or {}
    at = row.recorded_at
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return LogRow(
        seq=int(row.seq),
        recorded_at=at,
        event_type=row.event_type,
        outcome=row.outcome,
        actor_id=row.actor_id,
        actor_agency_id=row.actor_agency_id,
        subject_id=row.subject_id,
        record_id=row.record_id,
        grant_id=row.grant_id,
        target_user_id=row.target_user_id,
        legal_gateway=row.legal_gateway,
        dp_condition=row.dp_condition,
        marking=row.marking,
        request_id=row.request_id,
        justification=extra.get("justification"),
        reason=extra.get("reason"),
        recipients=tuple(extra.get("recipients") or ()),
        detail=dict(extra.get("detail") or {}),
    )
