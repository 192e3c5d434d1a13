"""Who is acting. The only module that reads ``flask_login.current_user``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask_login import current_user

from portal.core.identity import Clearance, Role


class NotSignedIn(Exception):
    """A service that needs an actor was reached without a signed-in user."""


@dataclass(frozen=True)
class Actor:
    """The signed-in person, passed explicitly as the first argument of every service."""

    user_id: uuid.UUID
    agency_id: uuid.UUID
    roles: frozenset[Role]
    clearance: Clearance
    display_name: str

    def has_role(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    @classmethod
    def from_user(cls, user: Any) -> Actor:
        return cls(
            user_id=user.id,
            agency_id=user.agency_id,
            roles=frozenset(user.roles),
            clearance=Clearance(user.clearance),
            display_name=user.full_name,
        )


def current_actor() -> Actor:
    """The actor for this request.

    :raises NotSignedIn: when nobody is signed in.
    """
    if not current_user or not current_user.is_authenticated:
        raise NotSignedIn()
    return Actor.from_user(current_user)


def maybe_actor() -> Actor | None:
    if not current_user or not current_user.is_authenticated:
        return None
    return Actor.from_user(current_user)
