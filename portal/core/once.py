"""The page side of :mod:`portal.db.submissions`: the key a creation form carries, and the
answer to the same form sent a second time."""

from __future__ import annotations

import uuid
from typing import Final

from flask import flash, redirect
from werkzeug.wrappers import Response
from wtforms import HiddenField

from portal.db.submissions import AlreadySent

#: What the person sees after sending the same form twice (a double click without JavaScript).
SAVED_ONCE: Final = "This form was sent twice. It was saved once."


def submission_key() -> HiddenField:
    """A hidden field holding a new random key each time the page is drawn."""
    return HiddenField(default=lambda: str(uuid.uuid4()))


def saved_once(sent: AlreadySent, *, otherwise: str) -> Response:
    """Show what the first sending saved (``otherwise`` when it is not known)."""
    flash(SAVED_ONCE, "success")
    return redirect(sent.location or otherwise)
