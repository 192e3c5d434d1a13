"""Wire Flask-Login to the server-side session: the session row names the user.

``current_user`` is a :class:`SignedInUser`, plain values read in one statement on every
signed-in request (the account, its agency's name and its roles), never an ORM object: nothing
a page does with the signed-in person needs the identity map, and building the ORM user with its
agency and role rows was a tenth of an audited view's CPU. A service that changes the account
loads the ``User`` row itself, in its own unit of work.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import Flask, Request, current_app, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from portal.access.decorators import declaration_of
from portal.agencies.models import Agency
from portal.auth.service import password_change_due
from portal.auth.sessions import ServerSession, ServerSessionInterface
from portal.config import Settings
from portal.core.identity import Role, UserStatus
from portal.db.statements import run, uuid_param
from portal.extensions import login_manager
from portal.users.models import User, UserRole


@dataclass(frozen=True, slots=True)
class AgencyName:
    id: uuid.UUID
    name: str


@dataclass(frozen=True, slots=True)
class SignedInUser:
    """The signed-in person as Flask-Login's user: read-only values of one request."""

    id: uuid.UUID
    agency_id: uuid.UUID
    full_name: str
    clearance: str
    status: str
    roles: frozenset[Role]
    agency: AgencyName

    # Flask-Login's user protocol.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE

    def get_id(self) -> str:
        return str(self.id)


# One statement, one row per role (a user with no role gives one row with a NULL role). Built
# once: every signed-in request runs it.
_USER_WITH_ROLES = (
    select(
        User.id,
        User.agency_id,
        User.full_name,
        User.clearance,
        User.status,
        Agency.name,
        UserRole.role,
    )
    .join(Agency, Agency.id == User.agency_id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .where(User.id == uuid_param("user_id"))
)


def signed_in_user(user_id: uuid.UUID) -> SignedInUser | None:
    """The account ``user_id`` as plain values, or None when there is no such account."""
    rows = run(_USER_WITH_ROLES, {"user_id": user_id}).all()
    if not rows:
        return None
    first = rows[0]
    return SignedInUser(
        id=first[0],
        agency_id=first[1],
        full_name=first[2],
        clearance=first[3],
        status=first[4],
        roles=frozenset(Role(row[6]) for row in rows if row[6] is not None),
        agency=AgencyName(first[1], first[5]),
    )


#: What a session with a password change due may still reach, besides the public pages.
_WHILE_PASSWORD_CHANGE_DUE = frozenset({"auth.change_password", "auth.sign_out"})


def install(app: Flask, settings: Settings) -> None:
    app.session_interface = ServerSessionInterface(settings)
    app.before_request(_send_to_password_change)

    @login_manager.request_loader  # type: ignore[untyped-decorator]
    def load_user(_request: Request) -> SignedInUser | None:
        current = session._get_current_object()  # type: ignore[attr-defined]
        if not isinstance(current, ServerSession) or current.user_id is None:
            return None
        user = signed_in_user(current.user_id)
        if user is None or not user.is_active:
            return None
        return user


def _send_to_password_change() -> ResponseReturnValue | None:
    """``before_request``: a session signed in with a password an administrator chose reaches
    only the page that changes it and sign-out (and the public pages); anything else, GET or
    POST, is sent to that page without running."""
    current = session._get_current_object()  # type: ignore[attr-defined]
    if not isinstance(current, ServerSession) or not password_change_due(current):
        return None
    endpoint = request.endpoint
    if endpoint is None or endpoint in _WHILE_PASSWORD_CHANGE_DUE:
        return None
    declaration = declaration_of(current_app.view_functions.get(endpoint))
    if declaration is None or declaration.public:
        return None  # default deny answers the first; anyone may reach the second
    return redirect(url_for("auth.change_password"))
