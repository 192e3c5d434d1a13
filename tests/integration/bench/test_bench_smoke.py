"""``make bench`` in miniature, so the script cannot rot without ``make test`` noticing.

The real benchmark is never run by the test suite: these runs use one-second windows and a few
thousand events, and measure nothing. They check that the harness still works end to end: it
starts and stops its own servers (and, for the PostgreSQL steps, its own fsync-on cluster),
signs a partner in for real, drives wrk, finds exactly one ``CONSULTATION`` event per successful
view, and writes the JSON other tools read. One test covers hello and the embedded database, the
other raw inserts, the PostgreSQL view, and the log and verify step; both run on the SQLite lane
of ``make test`` (the bench needs no test database of either kind).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import backend

ROOT = Path(__file__).resolve().parents[3]
RUN = ROOT / "bench" / "run.py"

#: The keys issue 9 promises in ``bench/results/latest.json``.
REQUIRED_KEYS = {
    "hello_rps",
    "audited_insert_pg_tps",
    "audited_view_pg_rps",
    "audited_view_pg_p99_ms",
    "audited_view_ratio",
    "audited_view_sqlite_rps",
    "audit_events_written",
    "audited_view_successes",
    "errors",
    "log_search_p95_ms",
    "verify_1m_seconds",
    "machine",
    "date",
}

pytestmark = pytest.mark.slow


def _needs_tools() -> None:
    if shutil.which("wrk") is None and os.geteuid() != 0:
        pytest.skip("wrk is not installed and the smoke run cannot install it without root")


def _run_bench(out: Path, *args: str) -> tuple[str, dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--seconds", "1", "--out-dir", str(out), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    latest = json.loads((out / "latest.json").read_text())
    stamped = [p for p in out.glob("*.json") if p.name != "latest.json"]
    assert len(stamped) == 1
    assert json.loads(stamped[0].read_text()) == latest
    workdir = re.search(r"working in (\S+)", done.stdout)
    assert workdir, done.stdout
    _assert_cleaned_up(Path(workdir.group(1)))
    return done.stdout, latest


def _assert_cleaned_up(workdir: Path) -> None:
    """Nothing the run started survives it: no directory, no process naming it."""
    assert not workdir.exists()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        assert str(workdir) not in text, f"still running: {text}"


def _assert_common(latest: dict[str, Any]) -> None:
    assert latest.keys() >= REQUIRED_KEYS
    assert latest["errors"] == 0
    assert latest["authz_failures"] == 0
    assert latest["machine"]["nproc"] >= 1
    assert isinstance(latest["machine"]["memory_gib"], float)
    assert latest["date"].startswith("20")


@pytest.mark.skipif(backend() != "sqlite", reason="runs once, on the SQLite pass")
def test_smoke_hello_and_sqlite_view(tmp_path: Path) -> None:
    _needs_tools()
    stdout, latest = _run_bench(tmp_path, "--steps", "hello,view-sqlite", "--connections", "1,4")
    _assert_common(latest)
    assert isinstance(latest["hello_rps"], float)
    assert latest["hello_rps"] > 0
    assert isinstance(latest["audited_view_sqlite_rps"], float)
    assert latest["audited_view_sqlite_rps"] > 0
    assert latest["audited_view_sqlite_ratio"] > 0
    # Every successful view wrote exactly one CONSULTATION event, and nothing was left in flight.
    assert latest["audited_view_successes_sqlite"] > 0
    assert latest["audit_events_written_sqlite"] == latest["audited_view_successes_sqlite"]
    # Steps that did not run are null, not zero.
    assert latest["audited_view_pg_rps"] is None
    assert latest["verify_1m_seconds"] is None
    assert "| audited view, SQLite, views/s |" in stdout
    assert "| hello, req/s |" in stdout


# It starts its own PostgreSQL cluster, so it runs once, on the SQLite lane, which finishes
# sooner than the PostgreSQL one.
@pytest.mark.skipif(backend() != "sqlite", reason="runs once, on the SQLite pass")
def test_smoke_postgresql_inserts_view_log_and_verify(tmp_path: Path) -> None:
    _needs_tools()
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        pytest.skip("PostgreSQL server binaries are not installed")
    stdout, latest = _run_bench(
        tmp_path,
        "--steps",
        "inserts,view-postgresql,log",
        "--connections",
        "1,4",
        "--events",
        "500",
    )
    _assert_common(latest)
    assert latest["audited_insert_pg_tps"] > 0
    assert latest["audited_view_pg_rps"] > 0
    assert latest["audited_view_successes"] > 0
    assert latest["audit_events_written"] == latest["audited_view_successes"]
    assert latest["audited_view_ratio"] is None  # no hello in this run: no ratio invented
    assert latest["verify_rows"] >= 500
    assert latest["verify_1m_seconds"] > 0
    assert latest["verify_1m_function_seconds"] > 0
    assert latest["machine"]["postgresql"]
    assert "| audited view, PostgreSQL, views/s |" in stdout
