"""Queries for users; flush, never commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from portal.extensions import db
from portal.users.models import User


def list_users_in_agency(agency_id: uuid.UUID) -> Sequence[User]:
    return (
        db.session.execute(
            select(User).where(User.agency_id == agency_id).order_by(User.full_name, User.id)
        )
        .scalars()
        .all()
    )


def find_user_in_agency(user_id: uuid.UUID, agency_id: uuid.UUID) -> User | None:
    """The user, only if they belong to ``agency_id`` (another agency's user is "not found")."""
    return db.session.execute(
        select(User).where(User.id == user_id, User.agency_id == agency_id)
    ).scalar_one_or_none()


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()


def add_user(user: User) -> None:
    db.session.add(user)
    db.session.flush()
