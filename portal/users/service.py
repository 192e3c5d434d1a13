"""User administration, always within the administrator's own agency."""

from __future__ import annotations

from collections.abc import Sequence

from portal.core.actor import Actor
from portal.users import repository
from portal.users.models import User


def list_agency_users(actor: Actor) -> Sequence[User]:
    """Users of the actor's agency; the caller holds ``users:manage``."""
    return repository.list_users_in_agency(actor.agency_id)
