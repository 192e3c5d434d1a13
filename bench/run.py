"""``make bench``: audited views, log search and verification, against the machine's own ceiling.

One run, on this machine, in this order (SPEC §5; issue 9):

1. **Ceiling** - a bare Flask "hello" under gunicorn, and raw audited inserts per second (one
   event per committed transaction, through the real recorder) on the same PostgreSQL.
2. **Audited view on PostgreSQL** (fsync on) - a partner user signed in for real (password and
   TOTP) opens a subject shared with a live grant: session check, gate, one ``CONSULTATION``
   event, render. wrk at 1, 4 and 16 connections; afterwards the ``CONSULTATION`` events written
   are counted and compared with the successful responses.
3. **The same on the embedded SQLite default** (WAL, ``synchronous=FULL``, no debug).
4. **Log search** over 1,000,000 events (``bench/generate_events.py`` and ``bench/log_search.py``
   when they exist; otherwise recorded as null).
5. **``flask audit verify``** over those 1,000,000 events.

Everything it starts (a PostgreSQL cluster, gunicorn servers) binds to 127.0.0.1, lives under a
temporary directory and is stopped in ``finally`` (whole process groups). The table is printed and
written to ``bench/results/<timestamp>.json`` and ``bench/results/latest.json``.

    .venv/bin/python bench/run.py            # the full run (about 6-8 minutes on 2 cores)
    .venv/bin/python bench/run.py --quick    # a few seconds per step, small event counts
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
LUA = BENCH / "wrk_status.lua"

#: The demo partner user and the subject Northshire Police shares with probation (live grant).
PARTNER_EMAIL = "probation@probation.demo"
SUBJECT_KEY = "hargreaves"
SUBJECT_MARKER = "Hargreaves"
CONNECTIONS = (1, 4, 16)
#: wrk gives up on a request after TIMEOUT (an error) and runs GRACE past the measured window,
#: so every request sent has completed or timed out before wrk reports.
TIMEOUT_SECONDS = 4
GRACE_SECONDS = TIMEOUT_SECONDS + 1

#: SPEC §5 targets.
TARGET_RATIO = 0.20
TARGET_P99_MS = 50.0
TARGET_SQLITE_RPS = 300.0
TARGET_SEARCH_P95_MS = 100.0
TARGET_VERIFY_S = 10.0


class BenchError(RuntimeError):
    """A step could not run (not a missed target: those are reported in the table)."""


# --- Processes --------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(
    cmd: Sequence[str | Path], *, env: dict[str, str] | None = None, timeout: float = 1800
) -> str:
    """Run a command to completion; its output is returned, a failure raises with the output."""
    done = subprocess.run(
        [str(c) for c in cmd],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(
            f"{' '.join(str(c) for c in cmd)} failed ({done.returncode}):\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done.stdout


@dataclass
class Server:
    """A gunicorn server in its own process group."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


@dataclass
class Run:
    """Everything this run started, so that ``finally`` can stop all of it."""

    tmp: Path
    servers: list[Server] = field(default_factory=list)
    pg_dir: Path | None = None

    def cleanup(self) -> None:
        for server in self.servers:
            server.stop()
        if self.pg_dir is not None:
            subprocess.run(
                ["bash", str(ROOT / "scripts" / "pg.sh"), "stop", str(self.pg_dir)],
                cwd=ROOT,
                capture_output=True,
                check=False,
            )
        shutil.rmtree(self.tmp, ignore_errors=True)


def start_gunicorn(
    state: Run,
    name: str,
    app: str,
    *,
    chdir: Path,
    workers: int,
    threads: int,
    env: dict[str, str] | None = None,
    ready_path: str = "/",
) -> Server:
    port = free_port()
    log_path = state.tmp / f"{name}.log"
    cmd = [
        str(GUNICORN),
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--chdir",
        str(chdir),
        "--pid",
        str(state.tmp / f"{name}.pid"),
    ]
    if threads > 1:
        cmd += ["--worker-class", "gthread", "--threads", str(threads)]
    cmd.append(app)
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            cmd, cwd=chdir, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(name, port, process, log_path)
    state.servers.append(server)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{name} server exited:\n{log_path.read_text()[-3000:]}")
        with suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", ready_path)
            if conn.getresponse().status < 500:
                conn.close()
                return server
        time.sleep(0.2)
    raise BenchError(f"{name} server did not answer on 127.0.0.1:{port}")


def ensure_wrk() -> str:
    """wrk's path; installed with apt when missing and running as root (as system-deps does)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing wrk (apt-get install -y wrk)")
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "wrk"],
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            capture_output=True,
            check=False,
        )
        found = shutil.which("wrk")
        if found:
            return found
    raise BenchError("wrk is not installed (apt-get install -y wrk)")


# --- wrk --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    successes: int
    errors: int
    raw: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "connections": self.connections,
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "successes": self.successes,
            "errors": self.errors,
            "wrk": self.raw,
        }


def wrk(
    url: str, *, connections: int, seconds: float, marker: str, cookie: str | None = None
) -> Load:
    """wrk against ``url`` for a window of ``seconds``; successes are 2xx bodies with ``marker``.

    wrk runs ``GRACE_SECONDS`` longer than the window and the script sends nothing after the
    window, so every request sent has completed (or timed out, an error) before wrk reports.
    """
    threads = min(2, connections)
    cmd = [
        ensure_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{math.ceil(seconds) + GRACE_SECONDS}s",
        "--timeout",
        f"{TIMEOUT_SECONDS}s",
        "-s",
        str(LUA),
    ]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    cmd += [url, "--", str(seconds), marker]
    out = run(cmd, timeout=seconds + 60)
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise BenchError(f"wrk printed no result:\n{out}")
    raw: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
    socket_errors = raw["connect_errors"] + raw["read_errors"] + raw["write_errors"]
    errors = raw["bad"] + socket_errors + raw["timeouts"]
    elapsed = max(raw["elapsed_s"], 1e-9)
    return Load(
        connections=connections,
        rps=raw["ok"] / elapsed,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        successes=raw["ok"],
        errors=errors,
        raw=raw,
    )


# --- The portal under test --------------------------------------------------------------------


def portal_env(tmp: Path, database_url: str, *, setup: bool) -> dict[str, str]:
    """Environment for the portal: production settings to serve, development ones to seed."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PORTAL_", "FLASK_")) and key != "DATABASE_URL"
    }
    env.update(
        {
            "FLASK_SKIP_DOTENV": "1",  # never pick up a developer's .env
            "DATABASE_URL": database_url,
            "PORTAL_SECRET_KEY": (tmp / "secret").read_text(),
            "PORTAL_INSTANCE_PATH": str(tmp / "instance"),
            "PORTAL_CHECKPOINT_KEY": str(tmp / "keys" / "checkpoint.key"),
            "PORTAL_ENV": "development" if setup else "production",
        }
    )
    if setup:
        env["PORTAL_DEMO_DATA"] = "1"
    return env


def flask(env: dict[str, str], *args: str, timeout: float = 1800) -> str:
    return run([PYTHON, "-m", "flask", "--app", "wsgi", *args], env=env, timeout=timeout)


#: ``flask db upgrade``, ``flask demo seed`` and ``flask audit keygen --if-missing`` in one process
#: (each ``flask`` start costs seconds; the smoke test in ``make test`` runs this too).
PREPARE = """
import sys
from flask_migrate import upgrade
from portal import create_app
app = create_app()
with app.app_context():
    upgrade()
runner = app.test_cli_runner()
for args in (["demo", "seed"], ["audit", "keygen", "--if-missing"]):
    result = runner.invoke(args=args)
    if result.exit_code != 0:
        sys.exit(f"flask {' '.join(args)} failed: {result.output} {result.exception!r}")
"""


def prepare_portal_db(tmp: Path, database_url: str) -> None:
    """Migrate, load the demo data and make the checkpoint key, as ``make run`` does."""
    run([PYTHON, "-c", PREPARE], env=portal_env(tmp, database_url, setup=True))


def subject_path() -> str:
    sys.path.insert(0, str(ROOT))
    from portal.demo.data import demo_id

    return f"/subjects/{demo_id(SUBJECT_KEY)}"


class Browser:
    """Just enough of a browser to sign in: cookies (Secure ones too: this is plain http on
    127.0.0.1, the server never sees the difference), CSRF tokens, no redirects followed."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in header or "expires=Thu, 01 Jan 1970" in header:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        location = response.getheader("Location", "")
        conn.close()
        return response.status, location, text

    @staticmethod
    def csrf(page: str) -> str:
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page
        )
        if not found:
            raise BenchError("no CSRF token on the page")
        return found.group(1)

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def sign_in_partner(server: Server, subject: str) -> str:
    """Sign the demo probation officer in (password, then TOTP), acknowledge confidentiality
    for the shared subject, check the page opens, and return the session cookie header."""
    sys.path.insert(0, str(ROOT))
    from portal.auth import totp
    from portal.demo.data import DEMO_PASSWORD, USERS

    secret = next(u.totp_secret for u in USERS if u.email == PARTNER_EMAIL)
    browser = Browser(server.port)
    _, _, page = browser.request("GET", "/sign-in")
    status, location, _ = browser.request(
        "POST",
        "/sign-in",
        {
            "csrf_token": browser.csrf(page),
            "email": PARTNER_EMAIL,
            "password": DEMO_PASSWORD,
            "next": "",
        },
    )
    if status != 302 or "security-code" not in location:
        raise BenchError(f"password step refused ({status} {location})")
    _, _, page = browser.request("GET", "/sign-in/security-code")
    code = totp.code_at(secret, datetime.now(UTC))
    status, location, _ = browser.request(
        "POST", "/sign-in/security-code", {"csrf_token": browser.csrf(page), "code": code}
    )
    if status != 302:
        raise BenchError(f"security code refused ({status})")
    status, location, _ = browser.request("GET", subject)
    if status == 302 and "acknowledge" in location:
        _, _, page = browser.request("GET", f"{subject}/acknowledge")
        browser.request("POST", f"{subject}/acknowledge", {"csrf_token": browser.csrf(page)})
        status, location, _ = browser.request("GET", subject)
    if status != 200:
        raise BenchError(f"the shared subject did not open ({status} {location})")
    return browser.cookie_header()


class EventCounter:
    """Counts audit events by type, straight from the database (not through the portal)."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url

    def count(self, event_type: str) -> int:
        sql = "SELECT count(*) FROM audit_event WHERE event_type = ?"
        if self.url.startswith("sqlite"):
            path = self.url.removeprefix("sqlite:///")
            with sqlite3.connect(path, timeout=30) as conn:
                return int(conn.execute(sql, (event_type,)).fetchone()[0])
        import psycopg

        with psycopg.connect(libpq_url(self.url)) as conn:
            row = conn.execute(sql.replace("?", "%s"), (event_type,)).fetchone()
            return int(row[0]) if row else 0


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@dataclass
class ViewResult:
    loads: list[Load]
    events_written: int
    successes: int
    authz_failures: int

    def at(self, connections: int) -> Load:
        return next(load for load in self.loads if load.connections == connections)

    def as_dict(self) -> dict[str, Any]:
        return {
            "loads": [load.as_dict() for load in self.loads],
            "events_written": self.events_written,
            "successes": self.successes,
            "authz_failures": self.authz_failures,
        }


def audited_view(
    state: Run,
    name: str,
    database_url: str,
    *,
    seconds: float,
    workers: int,
    threads: int,
    connections: Sequence[int],
) -> ViewResult:
    log(f"{name}: migrating and seeding the demo data")
    prepare_portal_db(state.tmp, database_url)
    server = start_gunicorn(
        state,
        name,
        "wsgi:app",
        chdir=ROOT,
        workers=workers,
        threads=threads,
        env=portal_env(state.tmp, database_url, setup=False),
        ready_path="/healthz",
    )
    path = subject_path()
    cookie = sign_in_partner(server, path)
    counter = EventCounter(database_url)
    # Warm every worker (templates compiled, connections open) before measuring.
    wrk(server.base + path, connections=4, seconds=1, marker=SUBJECT_MARKER, cookie=cookie)
    before = counter.count("CONSULTATION")
    fails_before = counter.count("AUTHZ_FAIL")
    loads = []
    for conns in connections:
        load = wrk(
            server.base + path,
            connections=conns,
            seconds=seconds,
            marker=SUBJECT_MARKER,
            cookie=cookie,
        )
        log(
            f"{name}: {conns:>2} connections: {load.rps:,.0f} views/s, p50 {load.p50_ms:.1f} ms, "
            f"p99 {load.p99_ms:.1f} ms, {load.errors} errors"
        )
        loads.append(load)
    time.sleep(0.5)  # nothing is in flight (wrk stopped sending before it ended)
    written = counter.count("CONSULTATION") - before
    server.stop()
    return ViewResult(
        loads=loads,
        events_written=written,
        successes=sum(load.successes for load in loads),
        authz_failures=counter.count("AUTHZ_FAIL") - fails_before,
    )


# --- Ceiling ----------------------------------------------------------------------------------


def hello(
    state: Run, *, seconds: float, workers: int, threads: int, connections: Sequence[int]
) -> list[Load]:
    server = start_gunicorn(
        state, "hello", "hello:app", chdir=BENCH, workers=workers, threads=threads
    )
    wrk(server.base + "/", connections=4, seconds=1, marker="Hello")
    loads = []
    for conns in connections:
        load = wrk(server.base + "/", connections=conns, seconds=seconds, marker="Hello")
        log(f"hello: {conns:>2} connections: {load.rps:,.0f} req/s, p99 {load.p99_ms:.1f} ms")
        loads.append(load)
    server.stop()
    return loads


def audited_inserts(state: Run, database_url: str, *, seconds: float, writers: int) -> float:
    env = {**os.environ, "DATABASE_URL": database_url}
    out = run(
        [
            PYTHON,
            BENCH / "audit_verify.py",
            "writers",
            "--writers",
            str(writers),
            "--seconds",
            str(seconds),
            "--state",
            str(state.tmp / "writers"),
        ],
        env=env,
    )
    found = re.search(r"= ([\d,]+) events/s", out)
    if not found:
        raise BenchError(f"audit_verify.py writers printed no rate:\n{out}")
    return float(found.group(1).replace(",", ""))


# --- Log search and verify --------------------------------------------------------------------


@dataclass
class LogResult:
    events: int
    generated_with: str
    generate_seconds: float
    search: dict[str, Any] | None
    search_note: str
    verify_seconds: float
    verify_rows: int
    verify_output: str
    verify_function_seconds: float | None


def log_search_and_verify(state: Run, database_url: str, *, events: int) -> LogResult:
    env = portal_env(state.tmp, database_url, setup=True)
    flask(env, "db", "upgrade")
    flask(env, "audit", "keygen", "--if-missing")
    generator = BENCH / "generate_events.py"
    searcher = BENCH / "log_search.py"
    keys = state.tmp / "keys"  # the checkpoint key `flask audit verify` checks against
    started = time.perf_counter()
    if generator.exists():
        log(f"log: bench/generate_events.py --events {events:,}")
        run(
            [
                PYTHON,
                generator,
                "--url",
                database_url,
                "--events",
                str(events),
                "--state",
                str(keys),
            ],
            env=env,
        )
        generated_with = "bench/generate_events.py"
    else:
        # Until generate_events.py exists, fill the chain with the access-log benchmark's own
        # generator (exact recorder hashes, batched transactions, one signed checkpoint).
        log(f"log: bench/audit_verify.py generate --events {events:,}")
        run(
            [
                PYTHON,
                BENCH / "audit_verify.py",
                "generate",
                "--events",
                str(events),
                "--state",
                str(keys),
            ],
            env=env,
        )
        generated_with = "bench/audit_verify.py generate"
    generate_seconds = time.perf_counter() - started
    search: dict[str, Any] | None = None
    if searcher.exists():
        out_path = state.tmp / "log_search.json"
        log("log: bench/log_search.py")
        run([PYTHON, searcher, "--url", database_url, "--json", out_path], env=env)
        search = json.loads(out_path.read_text())
        note = "bench/log_search.py"
    else:
        note = "not measured: bench/log_search.py does not exist yet"
        log(f"log search {note}")
    log("verify: flask audit verify")
    verify_env = portal_env(state.tmp, database_url, setup=False)
    started = time.perf_counter()
    out = flask(verify_env, "audit", "verify")
    verify_seconds = time.perf_counter() - started
    found = re.search(r"Intact: (\d+) events", out)
    if not found:
        raise BenchError(f"audit verify did not report an intact chain:\n{out}")
    # The verify function alone (no interpreter and app start-up), timed by audit_verify.py.
    timed = run(
        [PYTHON, BENCH / "audit_verify.py", "verify", "--state", str(keys)],
        env={**verify_env, "PORTAL_ENV": "development"},
    )
    function = re.search(r"events in ([\d.]+) s .* intact", timed)
    return LogResult(
        events=events,
        generated_with=generated_with,
        generate_seconds=generate_seconds,
        search=search,
        search_note=note,
        verify_seconds=verify_seconds,
        verify_rows=int(found.group(1)),
        verify_output=out.strip(),
        verify_function_seconds=float(function.group(1)) if function else None,
    )


# --- Machine ----------------------------------------------------------------------------------


def machine(pg_version: str | None) -> dict[str, Any]:
    mem_kib = 0
    with suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    cpu = ""
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    wrk_version = ""
    with suppress(Exception):
        wrk_version = subprocess.run(
            [ensure_wrk(), "-v"], capture_output=True, text=True, check=False
        ).stdout.splitlines()[0]
    gunicorn_version = ""
    with suppress(Exception):
        gunicorn_version = run([GUNICORN, "--version"]).strip()
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "postgresql": pg_version,
        "sqlite": sqlite3.sqlite_version,
        "gunicorn": gunicorn_version,
        "wrk": wrk_version,
        "kernel": platform.release(),
    }


# --- PostgreSQL -------------------------------------------------------------------------------


def start_postgres(state: Run) -> tuple[str, str]:
    """A cluster of our own with fsync ON (never PG_FAST); returns (server URL, version)."""
    state.pg_dir = state.tmp / "pg"
    env = {k: v for k, v in os.environ.items() if k != "PG_FAST"}
    url = run(
        ["bash", ROOT / "scripts" / "pg.sh", "start", state.pg_dir, str(free_port())], env=env
    ).strip()
    import psycopg

    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        for name in ("bench_view", "bench_insert", "bench_log"):
            conn.execute(f"CREATE DATABASE {name}")
        row = conn.execute("SHOW server_version").fetchone()
        fsync = conn.execute("SHOW fsync").fetchone()
        sync = conn.execute("SHOW synchronous_commit").fetchone()
    if not fsync or fsync[0] != "on" or not sync or sync[0] != "on":
        raise BenchError("the benchmark cluster must run with fsync and synchronous_commit on")
    return url, (row[0] if row else "unknown")


def database(server_url: str, name: str) -> str:
    return server_url.rsplit("/", 1)[0] + "/" + name


# --- The run ----------------------------------------------------------------------------------


STEPS = ("hello", "inserts", "view-postgresql", "view-sqlite", "log")


@dataclass(frozen=True)
class Options:
    quick: bool
    seconds: float
    events: int
    workers: int
    threads: int
    connections: tuple[int, ...]
    out_dir: Path
    steps: frozenset[str]

    @property
    def postgres(self) -> bool:
        return bool(self.steps & {"inserts", "view-postgresql", "log"})


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s per figure, 2,000 log events")
    parser.add_argument("--seconds", type=float, help="wrk window per figure (default 15)")
    parser.add_argument("--events", type=int, help="access-log events for search and verify")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=1, help=">1 selects gthread workers")
    parser.add_argument("--connections", default=",".join(map(str, CONNECTIONS)))
    parser.add_argument("--out-dir", type=Path, default=BENCH / "results")
    parser.add_argument(
        "--steps", default=",".join(STEPS), help=f"comma-separated subset of {','.join(STEPS)}"
    )
    parser.add_argument(
        "--table", type=Path, metavar="JSON", help="print the table of a saved run, run nothing"
    )
    args = parser.parse_args(argv)
    if args.table:
        print(table(json.loads(args.table.read_text())))
        sys.exit(0)
    steps = frozenset(step.strip() for step in args.steps.split(",") if step.strip())
    if not steps or steps - set(STEPS):
        parser.error(f"--steps takes a subset of {','.join(STEPS)}")
    return Options(
        quick=args.quick,
        seconds=args.seconds or (2.0 if args.quick else 15.0),
        events=args.events or (2_000 if args.quick else 1_000_000),
        workers=args.workers,
        threads=args.threads,
        connections=tuple(int(c) for c in args.connections.split(",")),
        out_dir=args.out_dir,
        steps=steps,
    )


def measure(opts: Options) -> dict[str, Any]:
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="portal-bench."))
    os.chmod(tmp, 0o755)  # noqa: S103 - the postgres user must reach the cluster directory
    (tmp / "secret").write_text(secrets.token_urlsafe(48))
    (tmp / "keys").mkdir()
    log(f"working in {tmp}")
    state = Run(tmp)
    common = {"workers": opts.workers, "threads": opts.threads, "connections": opts.connections}
    try:
        ensure_wrk()
        pg_url, pg_version = "", None
        if opts.postgres:
            log("starting PostgreSQL (fsync on)")
            pg_url, pg_version = start_postgres(state)
        hello_loads = None
        if "hello" in opts.steps:
            hello_loads = hello(state, seconds=opts.seconds, **common)
        inserts: tuple[float, float] | None = None
        if "inserts" in opts.steps:
            insert_url = database(pg_url, "bench_insert")
            inserts = (
                audited_inserts(state, insert_url, seconds=opts.seconds, writers=1),
                audited_inserts(state, insert_url, seconds=opts.seconds, writers=4),
            )
            log(f"audited inserts: {inserts[0]:,.0f}/s (1 writer), {inserts[1]:,.0f}/s (4 writers)")
        pg = lite = None
        if "view-postgresql" in opts.steps:
            pg_view = database(pg_url, "bench_view")
            pg = audited_view(state, "view-postgresql", pg_view, seconds=opts.seconds, **common)
        if "view-sqlite" in opts.steps:
            sqlite_url = f"sqlite:///{tmp / 'instance' / 'portal.db'}"
            lite = audited_view(state, "view-sqlite", sqlite_url, seconds=opts.seconds, **common)
        logs = None
        if "log" in opts.steps:
            logs = log_search_and_verify(state, database(pg_url, "bench_log"), events=opts.events)
        return summarise(opts, hello_loads, inserts, pg, lite, logs, machine(pg_version), started)
    finally:
        state.cleanup()


def summarise(
    opts: Options,
    hello_loads: list[Load] | None,
    inserts: tuple[float, float] | None,
    pg: ViewResult | None,
    lite: ViewResult | None,
    logs: LogResult | None,
    machine_info: dict[str, Any],
    started: float,
) -> dict[str, Any]:
    """The run as JSON; a step that did not run (or a figure that could not be measured) is
    null, never a made-up number."""
    top = max(opts.connections)
    hello_top = hello_loads[-1].rps if hello_loads else None
    pg_top = pg.at(top) if pg else None
    lite_top = lite.at(top) if lite else None
    search = logs.search if logs else None
    all_loads = [*(hello_loads or []), *(pg.loads if pg else []), *(lite.loads if lite else [])]
    worker_class = "gthread" if opts.threads > 1 else "sync"
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": opts.quick,
        "steps": sorted(opts.steps),
        "machine": machine_info,
        "gunicorn": {"workers": opts.workers, "threads": opts.threads, "class": worker_class},
        "window_seconds": opts.seconds,
        "connections": top,
        "connection_list": list(opts.connections),
        "hello_rps": _round(hello_top, 1),
        "audited_insert_pg_tps": _round(inserts[0] if inserts else None, 1),
        "audited_insert_pg_tps_4_writers": _round(inserts[1] if inserts else None, 1),
        "audited_view_pg_rps": _round(pg_top.rps if pg_top else None, 1),
        "audited_view_pg_p50_ms": _round(pg_top.p50_ms if pg_top else None, 2),
        "audited_view_pg_p99_ms": _round(pg_top.p99_ms if pg_top else None, 2),
        "audited_view_ratio": _ratio(pg_top, hello_top),
        "audited_view_sqlite_rps": _round(lite_top.rps if lite_top else None, 1),
        "audited_view_sqlite_p99_ms": _round(lite_top.p99_ms if lite_top else None, 2),
        "audited_view_sqlite_ratio": _ratio(lite_top, hello_top),
        "audit_events_written": pg.events_written if pg else None,
        "audited_view_successes": pg.successes if pg else None,
        "audit_events_written_sqlite": lite.events_written if lite else None,
        "audited_view_successes_sqlite": lite.successes if lite else None,
        "errors": sum(load.errors for load in all_loads),
        "authz_failures": sum(v.authz_failures for v in (pg, lite) if v is not None),
        "log_events": logs.events if logs else None,
        "log_search_p95_ms": _round(search["worst_p95_ms"] if search else None, 2),
        "log_search": search,
        "log_search_note": logs.search_note if logs else "not run",
        "log_generated_with": logs.generated_with if logs else None,
        "log_generate_seconds": _round(logs.generate_seconds if logs else None, 1),
        "verify_1m_seconds": _round(logs.verify_seconds if logs else None, 2),
        "verify_rows": logs.verify_rows if logs else None,
        "verify_1m_function_seconds": _round(logs.verify_function_seconds if logs else None, 2),
        "hello": [load.as_dict() for load in hello_loads] if hello_loads else None,
        "audited_view_pg": pg.as_dict() if pg else None,
        "audited_view_sqlite": lite.as_dict() if lite else None,
        "run_seconds": round(time.perf_counter() - started, 1),
    }


def _ratio(load: Load | None, hello_rps: float | None) -> float | None:
    if load is None or not hello_rps:
        return None
    return round(load.rps / hello_rps, 4)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def verdicts(r: dict[str, Any]) -> dict[str, bool | None]:
    """Each SPEC §5 target: True, False, or None when the run did not measure it."""

    def check(value: Any, test: Any) -> bool | None:
        return None if value is None else bool(test(value))

    full_log = (r["log_events"] or 0) >= 1_000_000
    return {
        "ratio": check(r["audited_view_ratio"], lambda v: v >= TARGET_RATIO),
        "p99": check(r["audited_view_pg_p99_ms"], lambda v: v < TARGET_P99_MS),
        "errors": r["errors"] == 0,
        "events_pg": check(r["audit_events_written"], lambda v: v == r["audited_view_successes"]),
        "events_sqlite": check(
            r["audit_events_written_sqlite"], lambda v: v == r["audited_view_successes_sqlite"]
        ),
        "sqlite": check(r["audited_view_sqlite_rps"], lambda v: v >= TARGET_SQLITE_RPS),
        "search": check(r["log_search_p95_ms"], lambda v: v < TARGET_SEARCH_P95_MS),
        "verify": check(
            r["verify_1m_seconds"] if full_log else None, lambda v: v < TARGET_VERIFY_S
        ),
    }


def _mark(ok: bool | None) -> str:
    return "n/a" if ok is None else ("yes" if ok else "**no**")


def _log_lines(r: dict[str, Any], v: dict[str, bool | None]) -> list[str]:
    """The log search and verify rows of the table."""
    lines: list[str] = []
    if r["log_search"]:
        for name, figures in r["log_search"]["filters"].items():
            lines.append(
                f"| log search `{name}` over {r['log_events']:,} events, p50 / p95 / "
                f"page-50 p95 ms | {figures['p50_ms']:.1f} / {figures['p95_ms']:.1f} / "
                f"{figures['page50_p95_ms']:.1f} | p95 < {TARGET_SEARCH_P95_MS:g} | "
                f"{_mark(figures['p95_ms'] < TARGET_SEARCH_P95_MS)} |"
            )
    elif r["log_events"] is not None:
        lines.append(
            f"| log search p95 over {r['log_events']:,} events | null "
            f"({r['log_search_note']}) | < {TARGET_SEARCH_P95_MS:g} ms | n/a |"
        )
    if r["verify_1m_seconds"] is not None:
        lines.append(
            f"| `flask audit verify` of {r['verify_rows']:,} events, s (whole command) | "
            f"{r['verify_1m_seconds']:.2f} | < {TARGET_VERIFY_S:g} for 1,000,000 "
            f"| {_mark(v['verify'])} |"
        )
    if r.get("verify_1m_function_seconds") is not None:
        lines.append(
            f"| verify function alone (`bench/audit_verify.py verify`), s | "
            f"{r['verify_1m_function_seconds']:.2f} | | |"
        )
    return lines


def table(r: dict[str, Any]) -> str:
    """The run as one Markdown table (printed, and pasted into the README)."""
    m = r["machine"]
    v = verdicts(r)
    top = r["connections"]

    def mark(ok: bool | None) -> str:
        return "n/a" if ok is None else ("yes" if ok else "**no**")

    def rates(loads: list[dict[str, Any]]) -> str:
        return " / ".join(f"{load['rps']:,.0f}" for load in loads)

    def times(loads: list[dict[str, Any]], key: str) -> str:
        return " / ".join(f"{load[key]:.1f}" for load in loads)

    g = r["gunicorn"]
    workers = f"{g['workers']} {g['class']} workers" + (
        f" x {g['threads']} threads" if g["threads"] > 1 else ""
    )
    postgres = f"PostgreSQL {m['postgresql']} (fsync on)" if m["postgresql"] else "no PostgreSQL"
    conns = "/".join(str(c) for c in r.get("connection_list", [])) or f"1..{top}"
    lines = [
        f"Run {r['date']} on {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB, "
        f"Python {m['python']}, {postgres}, SQLite {m['sqlite']}, {m['gunicorn']} ({workers}), "
        f"{m['wrk'].split(' Copyright')[0]}; wrk window {r['window_seconds']:g} s per figure"
        + (" (QUICK run: not a measurement)" if r["quick"] else ""),
        "",
        f"| measure | at {conns} connections | target | holds |",
        "|---|---|---|---|",
    ]
    if r["hello"]:
        lines += [
            f"| hello, req/s | {rates(r['hello'])} | ceiling | |",
            f"| hello, p50 ms | {times(r['hello'], 'p50_ms')} | | |",
            f"| hello, p99 ms | {times(r['hello'], 'p99_ms')} | | |",
        ]
    if r["audited_insert_pg_tps"] is not None:
        lines.append(
            f"| audited inserts/s, PostgreSQL, 1 / 4 writers | "
            f"{r['audited_insert_pg_tps']:,.0f} / {r['audited_insert_pg_tps_4_writers']:,.0f} "
            "| ceiling | |"
        )
    pg = r["audited_view_pg"]
    if pg is not None:
        ratio = r["audited_view_ratio"]
        lines += [
            f"| audited view, PostgreSQL, views/s | {rates(pg['loads'])} | | |",
            f"| audited view, PostgreSQL, p50 ms | {times(pg['loads'], 'p50_ms')} | | |",
            f"| audited view, PostgreSQL, p99 ms | {times(pg['loads'], 'p99_ms')} "
            f"| < {TARGET_P99_MS:g} at {top} | {mark(v['p99'])} |",
            f"| audited view / hello at {top}, PostgreSQL | "
            f"{'n/a' if ratio is None else f'{ratio:.1%}'} "
            f"| >= {TARGET_RATIO:.0%} | {mark(v['ratio'])} |",
            f"| CONSULTATION events / successful views, PostgreSQL | "
            f"{r['audit_events_written']:,} / {r['audited_view_successes']:,} | equal "
            f"| {mark(v['events_pg'])} |",
        ]
    lite = r["audited_view_sqlite"]
    if lite is not None:
        lines += [
            f"| audited view, SQLite, views/s | {rates(lite['loads'])} "
            f"| >= {TARGET_SQLITE_RPS:g} at {top} | {mark(v['sqlite'])} |",
            f"| audited view, SQLite, p50 ms | {times(lite['loads'], 'p50_ms')} | | |",
            f"| audited view, SQLite, p99 ms | {times(lite['loads'], 'p99_ms')} | | |",
            f"| CONSULTATION events / successful views, SQLite | "
            f"{r['audit_events_written_sqlite']:,} / {r['audited_view_successes_sqlite']:,} "
            f"| equal | {mark(v['events_sqlite'])} |",
        ]
    lines.append(
        f"| errors (non-2xx, wrong page, socket), all wrk runs | {r['errors']} | 0 "
        f"| {mark(v['errors'])} |"
    )
    lines += _log_lines(r, v)
    lines += ["", f"Whole run: {r['run_seconds']:.0f} s."]
    return "\n".join(lines)


def write(r: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"{stamp}.json"
    text = json.dumps(r, indent=2, sort_keys=True) + "\n"
    path.write_text(text)
    (out_dir / "latest.json").write_text(text)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    try:
        result = measure(opts)
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 2
    print()
    print(table(result))
    path = write(result, opts.out_dir)
    print(f"\nwrote {path} and {opts.out_dir / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
