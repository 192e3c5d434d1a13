"""Alembic environment for Flask-Migrate.

New revisions are numbered ``NNNN`` and their file is ``NNNN_slug.py`` (revision id == stem), so
two branches that both add a migration conflict in git instead of at deploy time.
"""

import logging
from logging.config import fileConfig
from pathlib import Path

from alembic import context
from flask import current_app

import portal.all_models  # noqa: F401 - every model's table in the metadata

config = context.config
if not logging.getLogger().handlers:
    # Only when nothing has configured logging yet: fileConfig replaces the root handlers,
    # which would silently drop the application's (and the tests' leak-capturing) handlers.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
VERSIONS = Path(__file__).parent / "versions"


def _next_revision_id() -> str:
    numbers = [int(p.name[:4]) for p in VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py")]
    return f"{max(numbers, default=0) + 1:04d}"


def process_revision_directives(context_, revision, directives):
    script = directives[0]
    if getattr(config.cmd_opts, "autogenerate", False) and script.upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")
        return
    script.rev_id = _next_revision_id()


def render_item(type_, obj, autogen_context):
    """Render the portal's UTC column type as the plain SQLAlchemy type it wraps."""
    from portal.db.types import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def include_object(obj, name, type_, reflected, compare_to):
    """Leave out of autogenerate what the models do not declare on purpose: SQLite's
    ``fact_version`` counter (migration 0007), which has no model because only SQLite has it."""
    return not (type_ == "table" and reflected and compare_to is None and name == "fact_version")


def run_migrations_offline():
    url = str(target_db.engine.url)
    context.configure(url=url, target_metadata=target_db.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args["process_revision_directives"] = process_revision_directives
    conf_args["compare_type"] = True
    conf_args["render_item"] = render_item
    conf_args["include_object"] = include_object
    with target_db.engine.connect() as connection:
        conf_args["render_as_batch"] = connection.dialect.name == "sqlite"
        # SQLite can run DDL inside a transaction too (the engine emits BEGIN itself): a failed
        # migration leaves nothing half-applied on either database.
        conf_args["transactional_ddl"] = True
        context.configure(
            connection=connection,
            target_metadata=target_db.metadata,
            **conf_args,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                context.execute("SET LOCAL lock_timeout = '10s'")
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
