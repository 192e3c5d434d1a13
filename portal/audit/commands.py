"""``flask audit keygen | checkpoint | verify``: the access log's operator commands.

``verify`` exits 0 when the log is intact, 1 when it was tampered with (printing the first
problem) and 2 when it cannot run (no public key, no database...). Schedules and key handling
are described in ``docs/audit.md``.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import psycopg
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from portal.audit.chain import short
from portal.audit.checkpoints import (
    KeyFileError,
    generate_key,
    load_private_key,
    public_key_path,
    take_checkpoint,
    write_checkpoint_file,
)
from portal.audit.models import AuditHead
from portal.audit.verify import CannotVerify, Progress, Report, record_result, verify
from portal.config import Settings
from portal.db.transaction import transaction
from portal.extensions import db

EXIT_INTACT = 0
EXIT_TAMPERED = 1
EXIT_CANNOT_RUN = 2

#: A database that fails while verification runs: SQLAlchemy's errors, and the drivers' own,
#: which the chain scan's raw cursor raises as they are.
DATABASE_ERRORS = (SQLAlchemyError, sqlite3.Error, psycopg.Error)

audit_cli = AppGroup("audit", help="The access log: signing keys, checkpoints, verification.")


def _settings() -> Settings:
    settings: Settings = current_app.extensions["portal.settings"]
    return settings


def _key_path() -> Path:
    path = _settings().checkpoint_key_path
    if path is None:
        raise click.ClickException("PORTAL_CHECKPOINT_KEY is not set (the signing key's path)")
    return path


@audit_cli.command("keygen")
@click.option("--if-missing", is_flag=True, help="Succeed quietly if the key already exists.")
def keygen(if_missing: bool) -> None:
    """Make the Ed25519 checkpoint signing key (0600) and its public key (.pub).

    Never overwrites an existing key: a lost private key only stops new checkpoints, an
    overwritten public key would make every old checkpoint unverifiable.
    """
    path = _key_path()
    if if_missing and path.exists() and public_key_path(path).exists():
        return
    try:
        pub_path, kid = generate_key(path)
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Wrote the private key {path} (mode 0600) and the public key {pub_path}.")
    click.echo(f"Key id: {kid}. Keep a copy of the public key where the verifier runs.")


@audit_cli.command("checkpoint")
def checkpoint() -> None:
    """Sign the current chain head and store the checkpoint (and publish it, if
    PORTAL_CHECKPOINT_DIR is set)."""
    try:
        private_key = load_private_key(_key_path())
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from None
    with transaction() as session:
        signed = take_checkpoint(session, private_key)
    click.echo(
        f"Checkpoint at seq {signed.seq}, head {short(signed.head_hash)}, key {signed.key_id}."
    )
    directory = _settings().checkpoint_dir
    if directory is not None:
        try:
            path = write_checkpoint_file(signed, directory)
        except OSError as exc:
            raise click.ClickException(
                f"the checkpoint is stored but could not be published in {directory}: "
                f"{type(exc).__name__}"
            ) from None
        click.echo(f"Published {path}.")


@audit_cli.command("verify")
@click.option(
    "--since-checkpoint",
    is_flag=True,
    help="Start from the newest checkpoint an earlier intact run reached, not from genesis "
    "(from genesis again once a run has found a problem, until one finds none).",
)
def verify_command(since_checkpoint: bool) -> None:
    """Recompute the hash chain and check every signed checkpoint.

    Exit status: 0 intact, 1 tampered (the first problem is printed), 2 cannot run.
    """
    try:
        with _progress() as progress:
            report = verify(since_checkpoint=since_checkpoint, progress=progress)
    except CannotVerify as exc:
        click.echo(f"Cannot verify: {exc}", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    except DATABASE_ERRORS as exc:
        click.echo(f"Cannot verify: the database failed ({type(exc).__name__})", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    _remember(report)
    if report.problem is not None:
        click.echo(f"TAMPERED: {report.problem.message}", err=True)
        click.echo(
            f"(checked {report.rows} events before the problem; kind: {report.problem.kind})"
        )
        sys.exit(EXIT_TAMPERED)
    reached = report.checkpoint_seq
    click.echo(
        f"Intact: {report.rows} events checked (seq {report.from_seq} to {report.through_seq}), "
        f"head {short(report.head_hash or b'')}, {report.checkpoints} signed checkpoints"
        + (f", newest verified at seq {reached}." if reached is not None else ", none yet.")
    )
    sys.exit(EXIT_INTACT)


def _remember(report: Report) -> None:
    """Store the outcome; a failure to store it is reported but does not change the verdict."""
    try:
        with transaction() as session:
            record_result(session, report)
    except SQLAlchemyError as exc:
        click.echo(f"warning: the result could not be stored ({type(exc).__name__})", err=True)


@contextmanager
def _progress() -> Iterator[Progress | None]:
    """A progress bar on a terminal; nothing when the output is a file or a pipe."""
    if not sys.stdout.isatty():
        yield None
        return
    total = _head_seq()
    with click.progressbar(length=max(total, 1), label="Verifying", file=sys.stdout) as bar:
        yield bar.update


def _head_seq() -> int:
    try:
        value = db.session.get(AuditHead, 1)
        return value.seq if value is not None else 0
    except SQLAlchemyError:
        return 0
    finally:
        db.session.remove()
