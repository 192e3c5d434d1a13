"""Profile one audited view in-process: SQL statements per view and where the time goes.

    .venv/bin/python bench/profile_view.py [--db sqlite|URL] [--views 300] [--cprofile]

Seeds a fresh database with the demo data (as ``make bench`` does), creates a session row for the
demo probation officer through the portal's own session code, records the confidentiality
acknowledgement through the gate, then opens the shared subject ``--views`` times through the
Flask test client with production settings. Prints the mean time per view and the statements each
view runs (a regression in either shows here long before it shows in ``make bench``).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench
from sqlalchemy import event, select

from portal import create_app
from portal.access import gate
from portal.access.models import AccessGrant
from portal.auth.sessions import create_session_row
from portal.config import Settings
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.db.transaction import transaction
from portal.demo.data import demo_id
from portal.extensions import db
from portal.users.models import User


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--views", type=int, default=300)
    parser.add_argument("--cprofile", action="store_true", help="print the top functions")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="portal-profile."))
    (tmp / "secret").write_text(secrets.token_urlsafe(48))
    (tmp / "keys").mkdir()
    url = f"sqlite:///{tmp / 'instance' / 'portal.db'}" if args.db == "sqlite" else args.db
    try:
        profile(args, tmp, url)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def profile(args: argparse.Namespace, tmp: Path, url: str) -> None:
    bench.prepare_portal_db(tmp, url)
    env = bench.portal_env(tmp, url, setup=False)
    app = create_app(Settings.from_env(env))
    path = bench.subject_path()
    with app.app_context():
        with transaction():
            user = db.session.execute(
                select(User).where(User.email == bench.PARTNER_EMAIL)
            ).scalar_one()
            token, _ = create_session_row(user_id=user.id, auth_method="password", now=db_now())
            grant_id = (
                db.session.execute(
                    select(AccessGrant.id).where(
                        AccessGrant.subject_id == demo_id(bench.SUBJECT_KEY),
                        AccessGrant.grantee_agency_id == user.agency_id,
                        AccessGrant.status == "ACTIVE",
                    )
                )
                .scalars()
                .first()
            )
            gate.acknowledge(Actor.from_user(user), grant_id=grant_id)
        statements: Counter[str] = Counter()

        @event.listens_for(db.engine, "before_cursor_execute")
        def count(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
            statements[" ".join(statement.split())[:150]] += 1

    client = app.test_client()
    client.set_cookie(Settings.from_env(env).session_cookie_name, token)
    for _ in range(20):
        assert bench.SUBJECT_MARKER in client.get(path).get_data(as_text=True)
    statements.clear()
    profiler = None
    if args.cprofile:
        profiler = cProfile.Profile()
        profiler.enable()
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(args.views):
        response = client.get(path)
        assert response.status_code == 200, response.status_code
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        if os.environ.get("PROFILE_DUMP"):
            profiler.dump_stats(os.environ["PROFILE_DUMP"])
    print(
        f"{args.views} views: {elapsed / args.views * 1000:.2f} ms each (one process), "
        f"{cpu / args.views * 1000:.2f} ms of this process's CPU each "
        "(the CPU figure is the one to compare on a busy machine)"
    )
    print(f"{sum(statements.values()) / args.views:.1f} statements per view:")
    for statement, n in statements.most_common():
        print(f"  {n / args.views:4.1f}  {statement}")


if __name__ == "__main__":
    os.environ.setdefault("FLASK_SKIP_DOTENV", "1")
    main()
