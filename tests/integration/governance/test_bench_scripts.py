"""Smoke test of the benchmark scripts: generate a few thousand chained events, verify them,
time the searches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from portal.audit.models import AuditEventRow
from portal.audit.verify import verify
from portal.config import Settings
from portal.extensions import db

ROOT = Path(__file__).resolve().parents[3]


def _run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_generate_then_search(app: Flask, database_url: str, tmp_path: Path) -> None:
    state = tmp_path / "state"
    out = _run(
        "bench/generate_events.py", "--url", database_url, "--events", "3000",
        "--state", str(state),
    )  # fmt: skip
    assert "generated 3,000 events" in out
    settings: Settings = app.extensions["portal.settings"]
    checked = settings.with_changes(
        checkpoint_key_path=state / "checkpoint.key", checkpoint_dir=state / "checkpoints"
    )
    with app.app_context():
        report = verify(settings=checked)
        types = set(db.session.execute(select(AuditEventRow.event_type).distinct()).scalars())
        subjects = db.session.execute(
            select(func.count(func.distinct(AuditEventRow.subject_id)))
        ).scalar_one()
        users = db.session.execute(
            select(func.count(func.distinct(AuditEventRow.actor_id)))
        ).scalar_one()
        first, last = db.session.execute(
            select(func.min(AuditEventRow.recorded_at), func.max(AuditEventRow.recorded_at))
        ).one()
        db.session.remove()
    assert report.intact, report.problem
    assert report.rows == 3001  # and the checkpoint's own event
    assert len(types) == 18  # every event type
    assert subjects >= 1000
    assert users >= 50
    assert (last - first).days >= 150  # spread over about six months
    report_path = tmp_path / "search.json"
    table = _run(
        "bench/log_search.py", "--url", database_url, "--repeat", "3",
        "--json", str(report_path),
    )  # fmt: skip
    assert "worst p95" in table
    figures = json.loads(report_path.read_text())
    assert set(figures) == {"filters", "worst_p95_ms"}
    assert {"subject", "subject+date_range", "date_range", "event_type", "marking"} <= set(
        figures["filters"]
    )
    for name, values in figures["filters"].items():
        assert set(values) == {"p50_ms", "p95_ms", "page50_p95_ms"}, name
        assert values["p95_ms"] <= figures["worst_p95_ms"]
