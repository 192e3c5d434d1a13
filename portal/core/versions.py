"""Which saved state of a row a page shows, sent back with its form.

An edit page opened before someone else saved the same row would silently undo their change.
The page sends back the row's version; the service, holding the row's lock, refuses a save whose
version is no longer the row's (each feature words its own refusal).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Stamped(Protocol):
    """A row stamped when made, and again (from the database clock) at each change."""

    @property
    def created_at(self) -> datetime: ...

    @property
    def updated_at(self) -> datetime | None: ...


def saved_version(row: Stamped) -> str:
    """When ``row`` was last saved (or made, if never changed), as the page sends it back."""
    return (row.updated_at or row.created_at).isoformat()
