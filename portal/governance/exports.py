"""Exports of an access-log search for the ICO or an inquiry: CSV and JSON.

The marking is in the file name and on the first line; every event carries its chain position
(sequence number, previous hash, row hash), and the file names the newest signed checkpoint, so
a recipient can check the rows against a verified checkpoint. CSV cells that a spreadsheet would
run as a formula (starting ``=``, ``+``, ``-``, ``@``, tab or carriage return) are neutralised
with a leading apostrophe. Each export writes one ``LOG_EXPORTED`` event with the filters, the
format, the recipient and how many rows, in the caller's transaction.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from portal.access.permissions import Permission
from portal.audit import events
from portal.audit.checkpoints import latest_checkpoint
from portal.audit.events import format_time
from portal.audit.models import AuditEventRow
from portal.audit.recorder import record
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.extensions import db
from portal.governance.search import MAX_PAGE_SIZE, LogFilters, LogRow, search
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
    session = db.session()
    out: list[LogRow] = []
    after = None
    while len(out) < EXPORT_LIMIT:
        page = search(
            session, filters, after=after, limit=min(MAX_PAGE_SIZE, EXPORT_LIMIT - len(out))
        )
        out.extend(page.rows)
        if page.next_cursor is None:
            break
        after = page.next_cursor
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
    record(
        events.log_exported(
            actor,
            recipients=(recipient,),
            detail={**filters.detail(), "format": fmt, "rows": str(len(records))},
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
        "filters": filters.detail(),
        "checkpoint": checkpoint.to_json() if checkpoint is not None else None,
        "events": records,
    }
    # The marking is the file's first line, as on a paper copy: '{"marking": "...",'.
    body = json.dumps(rest, indent=2, ensure_ascii=False)
    first = '{"marking": ' + json.dumps(EXPORT_MARKING, ensure_ascii=False) + ",\n"
    return (first + body[2:] + "\n").encode("utf-8")
