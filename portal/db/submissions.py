"""A creation form sent twice creates one thing.

A double click without JavaScript (GOV.UK's ``preventDoubleClick`` needs it), or a browser
sending a form again after a slow answer, posts the same page twice. Each form that creates
something (a subject, a shared record, access for an agency, a MAPPA meeting or action, a user,
a CSODS application, a child on one, a stage step or an immediate-risk referral) carries a
random key, made when the page is drawn. The view claims the key in the unit of work that
creates the thing and records where the result is (:func:`portal.core.once.saving_once` does
both around the view's call).

The key is the table's primary key. A second claim of a key already committed finds it taken
and raises :class:`AlreadySent`, which rolls back the second unit of work (nothing it did is
kept) and carries where the first one's result is. On PostgreSQL the second claim waits for the
first unit to commit or roll back (``ON CONFLICT DO NOTHING`` on the primary key); on SQLite
units of work that write are serialised anyway. A unit that rolls back (a refusal) releases the
key, so the same page sent again after its errors are fixed is saved.

A key is kept as long as the page that sent it could be sent again: no longer than a session
lives (its CSRF token dies with the session). ``flask sessions purge`` deletes older keys.

A page without a key (an older page still open) is saved as before: the key only spares people
a duplicate; every rule is still the service's.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from sqlalchemy import ForeignKey, String, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.clock import db_now
from portal.db.base import Base
from portal.extensions import db

#: The longest path kept (the portal's own paths are far shorter).
MAX_LOCATION: Final = 500


class FormSubmission(Base):
    """One creation form, sent and saved. Holds no content: the key, who, when, and where."""

    __tablename__ = "form_submission"

    key: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    #: The page that shows what the first request saved (a path inside the portal).
    location: Mapped[str | None] = mapped_column(String(MAX_LOCATION))
    created_at: Mapped[datetime]


class AlreadySent(Exception):
    """This form was sent and saved before; ``location`` shows what it saved (or None)."""

    def __init__(self, location: str | None) -> None:
        super().__init__("This form was already sent")
        self.location = location


def key_of(value: object) -> uuid.UUID | None:
    """The form's key, or None when the page sent none (or something that is not a key)."""
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def claim(value: object, *, user_id: uuid.UUID) -> None:
    """Claim the form's key in the caller's unit of work.

    :raises AlreadySent: the key was claimed by a unit that committed; roll back.
    """
    key = key_of(value)
    if key is None:
        return
    row = {"key": key, "user_id": user_id, "created_at": db_now(), "location": None}
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    added = db.session.execute(
        insert(FormSubmission)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(FormSubmission.key)
    ).scalar_one_or_none()
    if added is not None:
        return
    first = db.session.execute(
        select(FormSubmission.location).where(
            FormSubmission.key == key, FormSubmission.user_id == user_id
        )
    ).scalar_one_or_none()
    raise AlreadySent(first)


def finish(value: object, location: str) -> None:
    """Record where the claimed form's result is, in the same unit of work."""
    key = key_of(value)
    if key is None:
        return
    db.session.execute(
        update(FormSubmission)
        .where(FormSubmission.key == key)
        .values(location=location[:MAX_LOCATION])
    )


def purge_before(cutoff: datetime) -> int:
    """Delete the keys claimed before ``cutoff``; returns how many."""
    result = db.session.execute(
        delete(FormSubmission)
        .where(FormSubmission.created_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
