"""The Public Protection Sharing Portal.

:func:`create_app` is the one wiring point: settings, extensions, the session store, security
headers, the default-deny hook, error handlers, blueprints and CLI groups.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from flask import Flask, g
from flask import typing as ft
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from portal.config import ROOT, Settings
from portal.core import headers
from portal.core.clock import DatabaseClock
from portal.core.error_summary import error_summary
from portal.core.templating import PortalEnvironment, uk_date
from portal.core.uk_time import uk_time
from portal.db.transaction import configure_engine, run_again_if_stale
from portal.extensions import csrf, db, login_manager, migrate

__all__ = ["PortalFlask", "create_app"]


class PortalFlask(Flask):
    """Flask, with a request whose reading unit of work went stale run again, lock first.

    See ``transaction(reads_only=True)`` in :mod:`portal.db.transaction`.
    """

    def dispatch_request(self) -> ft.ResponseReturnValue:
        return run_again_if_stale(super().dispatch_request)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the portal. With no argument, settings come from the environment (strict)."""
    settings = settings or Settings.from_env()
    app = PortalFlask(
        __name__,
        template_folder=None,
        static_folder=None,
        instance_path=str(settings.instance_path),
    )
    app.jinja_environment = PortalEnvironment
    _configure(app, settings)
    _init_extensions(app, settings)
    _install_hooks(app, settings)
    _register_blueprints(app)
    _register_cli(app)
    _configure_logging(app)
    return app


def _configure(app: Flask, settings: Settings) -> None:
    app.config.update(
        SECRET_KEY=settings.secret_key,
        DEBUG=settings.debug,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings.database_url),
        MAX_CONTENT_LENGTH=settings.max_content_length,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the server-side session
        PREFERRED_URL_SCHEME="https" if settings.cookie_secure else "http",
        TEMPLATES_AUTO_RELOAD=settings.debug,
    )
    app.extensions["portal.settings"] = settings
    app.extensions["portal.clock"] = DatabaseClock()
    if settings.database_url.startswith("sqlite"):
        Path(settings.instance_path).mkdir(parents=True, exist_ok=True)
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters["uk_date"] = uk_date
    app.jinja_env.filters["uk_time"] = uk_time


def _engine_options(url: str) -> dict[str, object]:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 10}}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 5}


def _init_extensions(app: Flask, settings: Settings) -> None:
    from portal.auth.loader import install as install_login

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = None  # sessions are server-side; see auth.sessions
    install_login(app, settings)
    WTFormsHelpers(app)
    with app.app_context():
        configure_engine(db.engine)


def _install_hooks(app: Flask, settings: Settings) -> None:
    from portal.access.default_deny import enforce
    from portal.errors import register_error_handlers

    @app.before_request
    def assign_request_id() -> None:
        g.request_id = secrets.token_hex(16)

    app.before_request(enforce)
    headers.install(app, hsts=settings.hsts)
    register_error_handlers(app)

    from portal.home import chrome
    from portal.home.navigation import nav_items

    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.globals["error_summary"] = error_summary
    chrome.install(app.jinja_env.globals)

    @app.context_processor
    def page_globals() -> dict[str, object]:
        return {"cspNonce": headers.csp_nonce(), "hide_account": False}


def _register_blueprints(app: Flask) -> None:
    from portal.auth.oidc_views import bp as oidc_bp
    from portal.auth.views import bp as auth_bp
    from portal.csods.views import bp as csods_bp
    from portal.grants.views import bp as grants_bp
    from portal.home.views import bp as home_bp
    from portal.records.views import bp as records_bp
    from portal.subjects.views import bp as subjects_bp
    from portal.users.views import bp as users_bp

    for bp in (home_bp, auth_bp, oidc_bp, users_bp, subjects_bp, records_bp, grants_bp, csods_bp):
        app.register_blueprint(bp)
    from portal.meetings.views import bp as meetings_bp

    app.register_blueprint(meetings_bp)

    from portal.governance.views import bp as governance_bp

    app.register_blueprint(governance_bp)


def _register_cli(app: Flask) -> None:
    from portal.audit.commands import audit_cli
    from portal.auth.commands import sessions_cli
    from portal.demo.commands import demo_cli
    from portal.governance.commands import governance_cli

    app.cli.add_command(demo_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(governance_cli)
    app.cli.add_command(sessions_cli)


def _configure_logging(app: Flask) -> None:
    # SQLAlchemy logs statements with their parameters at INFO: never let it inherit that level.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    if not app.debug and not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )
