"""Time the IG access-log search over an already-populated database.

Usage:

    .venv/bin/python bench/log_search.py --url DATABASE_URL [--repeat 30] [--json OUT]

For every single filter (subject, record, user, agency, event type, lawful-basis code, marking,
grant), the same filter with a 30-day date range, and the date range alone, it runs the portal's
own search function (:func:`portal.governance.search.search`) ``--repeat`` times, each time with
a different value drawn from the log, and times the first page and page 50 (reached by keyset:
the cursor of page 49's last row is found first, untimed). Prints a table and, with ``--json``,
writes ``{"filters": {name: {"p50_ms", "p95_ms", "page50_p95_ms"}}, "worst_p95_ms"}``.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import create_app
from portal.audit.events import EventType
from portal.audit.models import AuditEventRow
from portal.config import Settings
from portal.extensions import db
from portal.governance.search import PAGE_SIZE, Cursor, LogFilters, search

PAGE = 50
WINDOW = timedelta(days=30)

#: Filter name -> (column sampled from the log, how a value becomes filters).
SINGLE: dict[str, tuple[Any, Callable[[Any], LogFilters]]] = {
    "subject": (AuditEventRow.subject_id, lambda v: LogFilters(subject_id=v)),
    "record": (AuditEventRow.record_id, lambda v: LogFilters(record_id=v)),
    "user": (AuditEventRow.actor_id, lambda v: LogFilters(actor_id=v)),
    "agency": (AuditEventRow.actor_agency_id, lambda v: LogFilters(agency_id=v)),
    "event_type": (AuditEventRow.event_type, lambda v: LogFilters(event_type=EventType(v))),
    "legal_gateway": (AuditEventRow.legal_gateway, lambda v: LogFilters(basis=v)),
    "dp_condition": (AuditEventRow.dp_condition, lambda v: LogFilters(basis=v)),
    "marking": (AuditEventRow.marking, lambda v: LogFilters(marking=v)),
    "grant": (AuditEventRow.grant_id, lambda v: LogFilters(grant_id=v)),
}


def make_app(url: str) -> Flask:
    state = Path(tempfile.mkdtemp(prefix="portal-log-search-"))
    return create_app(
        Settings(
            env="development",
            secret_key=secrets.token_urlsafe(48),
            database_url=url,
            instance_path=state,
        )
    )


def sample_values(session: Session, column: Any, rng: random.Random, count: int) -> list[Any]:
    """``count`` values of ``column`` taken from events at random positions in the log."""
    head = session.execute(select(func.max(AuditEventRow.seq))).scalar_one() or 0
    values: list[Any] = []
    tries = 0
    while len(values) < count and tries < count * 50:
        tries += 1
        seq = rng.randint(1, max(head, 1))
        value = session.execute(
            select(column).where(AuditEventRow.seq >= seq, column.is_not(None)).limit(1)
        ).scalar_one_or_none()
        if value is not None:
            values.append(value)
    return values


def window_for(session: Session, rng: random.Random) -> tuple[datetime, datetime]:
    """A 30-day range inside the log's span (the whole span when it is shorter)."""
    first, last = session.execute(
        select(func.min(AuditEventRow.recorded_at), func.max(AuditEventRow.recorded_at))
    ).one()
    if first is None:
        raise SystemExit("the access log is empty: generate events first")
    span = last - first
    if span <= WINDOW:
        return first, last + timedelta(seconds=1)
    start = first + (span - WINDOW) * rng.random()
    return start, start + WINDOW


def page50_cursor(session: Session, filters: LogFilters) -> Cursor | None:
    """The cursor after page 49 (untimed set-up), or None when there are fewer pages."""
    cursor: Cursor | None = None
    remaining = (PAGE - 1) * PAGE_SIZE
    while remaining > 0:
        take = min(remaining, 490)
        page = search(session, filters, after=cursor, limit=take)
        if page.next_cursor is None:
            return None if len(page.rows) < take else page.rows[-1].cursor
        cursor = page.next_cursor
        remaining -= take
    return cursor


def timed(session: Session, filters: LogFilters, after: Cursor | None) -> float:
    started = time.perf_counter()
    search(session, filters, after=after)
    return (time.perf_counter() - started) * 1000


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def run(app: Flask, repeat: int, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    cases: dict[str, list[LogFilters]] = {}
    with app.app_context():
        session = db.session()
        for name, (column, build) in SINGLE.items():
            values = sample_values(session, column, rng, repeat)
            if not values:
                continue
            cases[name] = [build(v) for v in values]
            ranged = []
            for v in values:
                start, end = window_for(session, rng)
                ranged.append(replace(build(v), date_from=start, date_to=end))
            cases[f"{name}+date_range"] = ranged
        dates = []
        for _ in range(repeat):
            start, end = window_for(session, rng)
            dates.append(LogFilters(date_from=start, date_to=end))
        cases["date_range"] = dates
        results: dict[str, dict[str, float]] = {}
        for name, filter_list in cases.items():
            search(session, filter_list[0])  # warm the plan and the connection
            first = [timed(session, f, None) for f in filter_list]
            deep = []
            for f in filter_list:
                cursor = page50_cursor(session, f)
                deep.append(timed(session, f, cursor))
            results[name] = {
                "p50_ms": round(statistics.median(first), 3),
                "p95_ms": round(p95(first), 3),
                "page50_p95_ms": round(p95(deep), 3),
            }
        events = session.execute(select(func.count()).select_from(AuditEventRow)).scalar_one()
        db.session.remove()
    worst = max(max(r["p95_ms"], r["page50_p95_ms"]) for r in results.values())
    return {"events": events, "repeat": repeat, "filters": results, "worst_p95_ms": worst}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="SQLAlchemy database URL")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--json", type=Path, dest="json_out")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    report = run(make_app(args.url), args.repeat)
    print(f"{report['events']:,} events, {args.repeat} runs per filter (times in ms)")
    print(f"{'filter':<28}{'p50':>10}{'p95':>10}{'page 50 p95':>14}")
    for name, figures in report["filters"].items():
        print(
            f"{name:<28}{figures['p50_ms']:>10.2f}{figures['p95_ms']:>10.2f}"
            f"{figures['page50_p95_ms']:>14.2f}"
        )
    print(f"worst p95: {report['worst_p95_ms']:.2f} ms")
    if args.json_out is not None:
        args.json_out.write_text(
            json.dumps(
                {"filters": report["filters"], "worst_p95_ms": report["worst_p95_ms"]},
                indent=2,
                sort_keys=True,
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
