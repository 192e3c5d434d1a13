"""The page side of :mod:`portal.db.submissions`: the key a creation form carries, the one unit
of work that saves such a form once, and the answer to the same form sent a second time.

A view that creates something::

    try:
        with saving_once(form.submission.data, user_id=actor.user_id) as saved:
            new_id = service.create_something(actor, command=command)
            saved.location = url_for("feature.show", new_id=new_id)
    except service.Refused as refused:
        ...  # the form again, with the message; the key is free again
    except AlreadySent as sent:
        return saved_once(sent, otherwise=url_for("feature.list"))
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

from flask import flash, redirect
from werkzeug.wrappers import Response
from wtforms import HiddenField

from portal.db import submissions
from portal.db.submissions import AlreadySent
from portal.db.transaction import transaction

__all__ = ["SAVED_ONCE", "AlreadySent", "Saved", "saved_once", "saving_once", "submission_key"]

#: What the person sees after sending the same form twice (a double click without JavaScript).
SAVED_ONCE: Final = "This form was sent twice. It was saved once."


def submission_key() -> HiddenField:
    """A hidden field holding a new random key each time the page is drawn."""
    return HiddenField(default=lambda: str(uuid.uuid4()))


@dataclass
class Saved:
    """Where the page that shows what was saved is; the view sets it inside the unit of work."""

    location: str = ""


@contextmanager
def saving_once(key: object, *, user_id: uuid.UUID) -> Iterator[Saved]:
    """One unit of work (``transaction()``) that claims the form's key first and records where
    its result is last, so a second sending of the same page saves nothing.

    :raises AlreadySent: the key was claimed by a unit that committed; nothing here is kept.
    """
    saved = Saved()
    with transaction():
        submissions.claim(key, user_id=user_id)
        yield saved
        submissions.finish(key, saved.location)


def saved_once(sent: AlreadySent, *, otherwise: str) -> Response:
    """Show what the first sending saved (``otherwise`` when it is not known)."""
    flash(SAVED_ONCE, "success")
    return redirect(sent.location or otherwise)
