"""Names for the ids the log holds: users and agencies (never subjects' or records' content)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.agencies.models import Agency
from portal.users.models import User


@dataclass(frozen=True)
class Names:
    users: dict[uuid.UUID, str]
    agencies: dict[uuid.UUID, str]

    def user(self, user_id: uuid.UUID | None) -> str:
        if user_id is None:
            return "System"
        return self.users.get(user_id, f"Unknown user {user_id.hex[:8]}")

    def agency(self, agency_id: uuid.UUID | None) -> str:
        if agency_id is None:
            return ""
        return self.agencies.get(agency_id, f"Unknown agency {agency_id.hex[:8]}")


def names_for(
    session: Session, user_ids: Iterable[uuid.UUID | None], agency_ids: Iterable[uuid.UUID | None]
) -> Names:
    users = {u for u in user_ids if u is not None}
    agencies = {a for a in agency_ids if a is not None}
    user_names: dict[uuid.UUID, str] = {}
    agency_names: dict[uuid.UUID, str] = {}
    if users:
        rows = session.execute(select(User.id, User.full_name).where(User.id.in_(sorted(users))))
        user_names = {uid: name for uid, name in rows}
    if agencies:
        found = session.execute(
            select(Agency.id, Agency.name).where(Agency.id.in_(sorted(agencies)))
        )
        agency_names = {aid: name for aid, name in found}
    return Names(user_names, agency_names)


def all_users(session: Session) -> list[tuple[str, str]]:
    """(id hex, "Name, Agency") of every user, by name."""
    rows = session.execute(
        select(User.id, User.full_name, Agency.name)
        .join(Agency, Agency.id == User.agency_id)
        .order_by(User.full_name, User.id)
    ).all()
    return [(str(uid), f"{name}, {agency}") for uid, name, agency in rows]


def all_agencies(session: Session) -> list[tuple[str, str]]:
    rows = session.execute(select(Agency.id, Agency.name).order_by(Agency.name)).all()
    return [(str(aid), name) for aid, name in rows]
