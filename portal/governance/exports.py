"""Exports of an access-log search for the ICO or an inquiry: CSV and JSON.

The marking is in the file name and on the first line; every event carries its chain position
(sequence number, previous hash, row hash), and the file names the newest signed checkpoint, so
a recipient can check the rows against a verified checkpoint. CSV cells that a spreadsheet would
run as a formula (starting ``=``, ``+``, ``-``, ``@``, tab or carriage return) are neutralised
with a leading apostrophe. Each export writes one ``LOG_EXPORTED`` event with the filters, the
format, the recipient and how many rows, in the caller's transaction; like the search's
``LOG_READ`` it names the subject searched for, so an export of a subject's history shows in a
search by that subject.

An export holds every event that matches or is refused (:class:`TooManyEvents`): a file cut
short at :data:`EXPORT_LIMIT` would tell the ICO or an inquiry that it is the whole history when
it is not.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from portal.access.permissions import Permission
from portal.audit import events
from portal.audit.checkpoints import latest_checkpoint
from portal.audit.events import format_time
from portal.audit.models import AuditEventRow
from portal.audit.recorder import record
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.core.uk_time import UK
from portal.extensions import db
from portal.governance.search import MAX_PAGE_SIZE, LogFilters, LogRow, conditions, search
from portal.governance.service import require

EXPORT_MARKING = "OFFICIAL-SENSITIVE"
#: The most events one export holds (an inquiry asking for more narrows the filters).
EXPORT_LIMIT = 10_000
FORMATS = ("csv", "json")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = (
    "seq",
    "recorded_at",
    "event_type",
    "outcome",
    "actor_id",
    "actor_agency_id",
    "subject_id",
    "record_id",
    "grant_id",
    "target_user_id",
    "legal_gateway",
    "dp_condition",
    "marking",
    "justification",
    "reason",
    "recipients",
    "request_id",
    "prev_hash",
    "row_hash",
)


class BadExport(ValueError):
    """The export request names no known format or no recipient."""


class TooManyEvents(BadExport):
    """More events match than one export holds: the officer narrows the search."""

    def __init__(self, matched: int, limit: int) -> None:
        super().__init__(
            f"{matched:,} events match this search; an export holds at most {limit:,}. "
            "Narrow the search (for example, a shorter date range) and export again"
        )
        self.matched = matched
        self.limit = limit


def neutralise(value: str) -> str:
    """A CSV cell that no spreadsheet will evaluate as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


@dataclass(frozen=True)
class Export:
    filename: str
    mimetype: str
    data: bytes
    rows: int


def _rows(filters: LogFilters) -> list[LogRow]:
    """Every matching event, newest first.

    :raises TooManyEvents: when more than :data:`EXPORT_LIMIT` match (counted only then).
    """
    session = db.session()
    limit = EXPORT_LIMIT
    out: list[LogRow] = []
    after = None
    while len(out) <= limit:  # one row past the limit tells that there are more
        page = search(session, filters, after=after, limit=min(MAX_PAGE_SIZE, limit + 1 - len(out)))
        out.extend(page.rows)
        if page.next_cursor is None:
            break
        after = page.next_cursor
    if len(out) > limit:
        matched = session.execute(
            select(func.count()).select_from(AuditEventRow).where(*conditions(filters))
        ).scalar_one()
        raise TooManyEvents(int(matched), limit)
    return out


def _hashes(rows: list[LogRow]) -> dict[int, tuple[str, str]]:
    found: dict[int, tuple[str, str]] = {}
    seqs = [r.seq for r in rows]
    for start in range(0, len(seqs), 900):
        chunk = seqs[start : start + 900]
        for seq, prev, row_hash in db.session.execute(
            select(AuditEventRow.seq, AuditEventRow.prev_hash, AuditEventRow.row_hash).where(
                AuditEventRow.seq.in_(chunk)
            )
        ):
            found[int(seq)] = (bytes(prev).hex(), bytes(row_hash).hex())
    return found


def _record(row: LogRow, hashes: tuple[str, str]) -> dict[str, Any]:
    def hex_or_none(value: Any) -> str | None:
        return None if value is None else value.hex

    return {
        "seq": row.seq,
        "recorded_at": format_time(row.recorded_at),
        "event_type": row.event_type,
        "outcome": row.outcome,
        "actor_id": hex_or_none(row.actor_id),
        "actor_agency_id": hex_or_none(row.actor_agency_id),
        "subject_id": hex_or_none(row.subject_id),
        "record_id": hex_or_none(row.record_id),
        "grant_id": hex_or_none(row.grant_id),
        "target_user_id": hex_or_none(row.target_user_id),
        "legal_gateway": row.legal_gateway,
        "dp_condition": row.dp_condition,
        "marking": row.marking,
        "justification": row.justification,
        "reason": row.reason,
        "recipients": list(row.recipients),
        "request_id": row.request_id,
        "prev_hash": hashes[0],
        "row_hash": hashes[1],
    }


def export_log(actor: Actor, filters: LogFilters, *, fmt: str, recipient: str) -> Export:
    """The search as a file; records ``LOG_EXPORTED``.

    :raises AccessDenied: for anyone without ``log:export`` (404, ``AUTHZ_FAIL``).
    :raises BadExport: for an unknown format or a missing recipient.
    :raises TooManyEvents: when more events match than one export holds (nothing recorded).
    """
    require(actor, Permission.LOG_EXPORT, subject_id=filters.subject_id)
    recipient = " ".join(recipient.split())
    if fmt not in FORMATS:
        raise BadExport("Choose CSV or JSON")
    if not recipient or len(recipient) > 200:
        raise BadExport("Enter who the export is for, in 200 characters or fewer")
    rows = _rows(filters)
    hashes = _hashes(rows)
    records = [_record(r, hashes[r.seq]) for r in rows]
    now = db_now()
    checkpoint = latest_checkpoint(db.session())
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    name = f"{EXPORT_MARKING}_access-log_{stamp}.{fmt}"
    if fmt == "csv":
        data = _csv(records, now, checkpoint.seq if checkpoint else None)
        mimetype = "text/csv"
    else:
        data = _json(records, filters, now, checkpoint)
        mimetype = "application/json"
    # The subject, as the search's LOG_READ names it, so a search by the subject finds it.
    record(
        events.log_exported(
            actor,
            recipients=(recipient,),
            detail={**filters.detail(), "format": fmt, "rows": str(len(records))},
            subject_id=filters.subject_id,
        )
    )
    return Export(name, mimetype, data, len(records))


def _csv(records: list[dict[str, Any]], now: datetime, checkpoint_seq: int | None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([EXPORT_MARKING])
    writer.writerow(
        [
            f"Access log extract, {format_time(now)}; newest signed checkpoint at event "
            f"{checkpoint_seq if checkpoint_seq is not None else 'none'}"
        ]
    )
    writer.writerow(COLUMNS)
    for item in records:
        cells = []
        for column in COLUMNS:
            value = item[column]
            if isinstance(value, list):
                value = "; ".join(value)
            cells.append(neutralise("" if value is None else str(value)))
        writer.writerow(cells)
    writer.writerow([EXPORT_MARKING])
    return out.getvalue().encode("utf-8")


def _json(
    records: list[dict[str, Any]], filters: LogFilters, now: datetime, checkpoint: Any
) -> bytes:
    rest = {
        "exported_at": format_time(now),
        "filters": json_filters(filters),
        "checkpoint": checkpoint.to_json() if checkpoint is not None else None,
        "events": records,
    }
    # The marking is the file's first line, as on a paper copy: '{"marking": "...",'.
    body = json.dumps(rest, indent=2, ensure_ascii=False)
    first = '{"marking": ' + json.dumps(EXPORT_MARKING, ensure_ascii=False) + ",\n"
    return (first + body[2:] + "\n").encode("utf-8")


def json_filters(filters: LogFilters) -> dict[str, str]:
    """The filters as the JSON export states them: the dates as the UK days the officer typed
    (both included), and the instants searched with the end plainly exclusive."""
    out = {k: v for k, v in filters.detail().items() if not k.startswith("filter_date_")}
    if filters.date_from is not None:
        out["filter_first_day_uk"] = filters.date_from.astimezone(UK).date().isoformat()
        out["recorded_at_or_after"] = _utc(filters.date_from)
    if filters.date_to is not None:
        last = filters.date_to.astimezone(UK).date() - timedelta(days=1)
        out["filter_last_day_uk"] = last.isoformat()
        out["recorded_before"] = _utc(filters.date_to)
    return out


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
