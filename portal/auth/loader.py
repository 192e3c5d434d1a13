"""Wire Flask-Login to the server-side session: the session row names the user."""

from __future__ import annotations

from flask import Flask, Request, session
from sqlalchemy.orm import joinedload

from portal.auth.sessions import ServerSession, ServerSessionInterface
from portal.config import Settings
from portal.extensions import db, login_manager
from portal.users.models import User

# One statement: the agency is joined by the model; the roles are joined here rather than
# loaded by a second SELECT, since every signed-in request needs them.
_WITH_ROLES = (joinedload(User.role_rows),)


def install(app: Flask, settings: Settings) -> None:
    app.session_interface = ServerSessionInterface(settings)

    @login_manager.request_loader  # type: ignore[untyped-decorator]
    def load_user(_request: Request) -> User | None:
        current = session._get_current_object()  # type: ignore[attr-defined]
        if not isinstance(current, ServerSession) or current.user_id is None:
            return None
        user = db.session.get(User, current.user_id, options=_WITH_ROLES)
        if user is None or not user.is_active:
            return None
        return user
