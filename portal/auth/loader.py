"""Wire Flask-Login to the server-side session: the session row names the user."""

from __future__ import annotations

from flask import Flask, Request, session
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.auth.sessions import ServerSession, ServerSessionInterface
from portal.config import Settings
from portal.db.statements import uuid_param
from portal.extensions import db, login_manager
from portal.users.models import User

# One statement: the agency is joined by the model; the roles are joined here rather than
# loaded by a second SELECT, since every signed-in request needs them. Built once: every
# signed-in request runs it.
_USER_WITH_ROLES = (
    select(User).options(joinedload(User.role_rows)).where(User.id == uuid_param("user_id"))
)


def install(app: Flask, settings: Settings) -> None:
    app.session_interface = ServerSessionInterface(settings)

    @login_manager.request_loader  # type: ignore[untyped-decorator]
    def load_user(_request: Request) -> User | None:
        current = session._get_current_object()  # type: ignore[attr-defined]
        if not isinstance(current, ServerSession) or current.user_id is None:
            return None
        user = (
            db.session.execute(_USER_WITH_ROLES, {"user_id": current.user_id})
            .unique()
            .scalar_one_or_none()
        )
        if user is None or not user.is_active:
            return None
        return user
