"""Test fixtures: a migrated template database per run, a fresh copy per test, the app, a client.

The database is chosen by ``PORTAL_TEST_DB`` (``sqlite``, the default, or ``postgresql``). For
PostgreSQL, ``PORTAL_TEST_PG_URL`` names a server (``make test`` starts a throwaway cluster);
under ``CI=true`` a missing server is an error, never a skip.

Every test gets its own database copied from the migrated template (a file copy on SQLite,
``CREATE DATABASE ... TEMPLATE`` on PostgreSQL), so tests commit for real, triggers fire and
nothing leaks between tests.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from portal import create_app
from portal.config import TEST_ARGON2, Settings
from portal.core.clock import ShiftedClock
from tests.leaks import CapturingHandler, leaks_in, remember_secret

TEST_SECRET_KEY = "test-secret-key-" + secrets.token_hex(16)
DEFAULT_PASSWORD = "correct-horse-battery-staple-7"


def pytest_report_header(config: pytest.Config) -> str:
    return f"portal database: {backend()}"


def backend() -> str:
    return os.environ.get("PORTAL_TEST_DB", "sqlite")


def _pg_server_url() -> str:
    url = os.environ.get("PORTAL_TEST_PG_URL", "")
    if not url:
        message = "PORTAL_TEST_DB=postgresql needs PORTAL_TEST_PG_URL (make test starts a cluster)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url


def _pg_admin(url: str) -> psycopg.Connection[Any]:
    u = make_url(url)
    return psycopg.connect(
        host=u.host,
        port=u.port,
        user=u.username,
        dbname=u.database or "postgres",
        autocommit=True,
    )


def base_settings(database_url: str, instance: Path, **changes: Any) -> Settings:
    settings = Settings(
        env="test",
        secret_key=TEST_SECRET_KEY,
        database_url=database_url,
        instance_path=instance,
        argon2=TEST_ARGON2,
        cookie_secure=False,
        hsts=True,
    )
    return settings.with_changes(**changes) if changes else settings


@dataclass
class TemplateDatabase:
    kind: str
    url: str
    server_url: str = ""
    path: Path | None = None

    def clone(self, tmp: Path) -> str:
        """A fresh database with the migrated schema; returns its URL."""
        if self.kind == "sqlite":
            assert self.path is not None
            target = tmp / "portal.db"
            shutil.copyfile(self.path, target)
            return f"sqlite:///{target}"
        name = f"t_{uuid.uuid4().hex[:16]}"
        template = make_url(self.url).database
        with _pg_admin(self.server_url) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        if self.kind != "postgresql":
            return
        name = make_url(url).database
        assert name
        assert re.fullmatch(r"t_[0-9a-f]{16}", name)
        with _pg_admin(self.server_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemplateDatabase]:
    tmp = tmp_path_factory.mktemp("template")
    if backend() == "postgresql":
        server = _pg_server_url()
        name = f"tpl_{uuid.uuid4().hex[:12]}"
        with _pg_admin(server) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        _migrate(url, tmp)
        template = TemplateDatabase("postgresql", url, server_url=server)
        yield template
        with _pg_admin(server) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    path = tmp / "template.db"
    _migrate(f"sqlite:///{path}", tmp)
    yield TemplateDatabase("sqlite", f"sqlite:///{path}", path=path)


def _migrate(url: str, instance: Path) -> None:
    app = create_app(base_settings(url, instance))
    with app.app_context():
        upgrade()
        from portal.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def database_url(template_db: TemplateDatabase, tmp_path: Path) -> Iterator[str]:
    url = template_db.clone(tmp_path)
    yield url
    bodies = _audit_bodies(url)
    template_db.drop(url)
    leaked = leaks_in(bodies)
    assert not leaked, f"secrets or record content in audit events: {leaked[:5]}"


def _audit_bodies(url: str) -> list[str]:
    """Every audit event body in the test's database (none before the access log exists)."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("audit_event"):
                return []
            return [str(b) for b in conn.execute(text("SELECT body FROM audit_event")).scalars()]
    finally:
        engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def no_secrets_in_logs() -> Iterator[CapturingHandler]:
    """Capture every log line of the run; at the end none may hold a secret or record content."""
    handler = CapturingHandler()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)  # the level production logs at
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)
    leaked = leaks_in(handler.lines)
    assert not leaked, f"secrets or record content in log lines: {leaked[:5]}"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return base_settings(database_url, tmp_path)


class RecordingClient(FlaskClient):
    """A test browser that registers every cookie it receives as a secret (session tokens)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        response = super().open(*args, **kwargs)
        for cookie in getattr(self, "_cookies", {}).values():
            remember_secret(cookie.value)
        return response


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings)
    app.config["TESTING"] = True
    app.test_client_class = RecordingClient
    app.extensions["portal.clock"] = ShiftedClock()
    yield app
    from portal.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def clock(app: Flask) -> ShiftedClock:
    clock: ShiftedClock = app.extensions["portal.clock"]
    return clock


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_client(app: Flask) -> Any:
    """Another independent browser (its own cookie jar)."""
    return app.test_client


@pytest.fixture
def factories(app: Flask) -> Any:
    from tests.factories import Factories

    return Factories(app)


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A short path under /tmp (gpg-agent sockets need paths under ~107 characters)."""
    path = Path(tempfile.mkdtemp(prefix="pt-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)
