"""Queries for users; flush, never commit."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.auth.models import UserIdentity
from portal.extensions import db
from portal.users.models import User

#: How each database names the unique e-mail constraint in its error message.
_EMAIL_CONSTRAINT_MARKERS = ("uq_user_account_email", "user_account.email")


class EmailInUse(Exception):
    """Another account already has this e-mail address (the unique constraint said so)."""


def list_users_in_agency(agency_id: uuid.UUID) -> Sequence[User]:
    return (
        db.session.execute(
            select(User).where(User.agency_id == agency_id).order_by(User.full_name, User.id)
        )
        .scalars()
        .all()
    )


def find_user(user_id: uuid.UUID) -> User | None:
    return db.session.get(User, user_id)


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()


def lock_users(user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, User]:
    """The users with these ids, row-locked ``FOR UPDATE`` in id order and freshly read.

    Locking in one order means two administrators changing each other's accounts queue up
    instead of deadlocking, and the one who waits sees the other's change. SQLite has no row
    locks; there the unit of work already holds the database's write lock.
    """
    rows = db.session.execute(
        select(User)
        .where(User.id.in_(list(user_ids)))
        .order_by(User.id)
        .with_for_update(of=User)
        .execution_options(populate_existing=True)
    ).scalars()
    return {user.id: user for user in rows}


def add_user(user: User) -> None:
    """Insert ``user`` and flush.

    :raises EmailInUse: when the unique e-mail constraint refuses the row (a concurrent
        insert of the same address); the caller's unit of work must then be rolled back.
    """
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as exc:
        if any(marker in str(exc.orig) for marker in _EMAIL_CONSTRAINT_MARKERS):
            raise EmailInUse() from exc
        raise


def identities_of(user_id: uuid.UUID) -> Sequence[UserIdentity]:
    """The user's links to identities at agency providers, oldest first."""
    return (
        db.session.execute(
            select(UserIdentity)
            .where(UserIdentity.user_id == user_id)
            .order_by(UserIdentity.created_at, UserIdentity.id)
        )
        .scalars()
        .all()
    )


def remove_identity(identity: UserIdentity) -> None:
    """Delete one link and flush."""
    db.session.delete(identity)
    db.session.flush()
