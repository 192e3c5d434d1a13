"""Server-side sessions: the cookie holds only a random token; the row decides everything.

Every request looks the row up by the token's SHA-256 and refuses it when it is revoked, idle
for longer than the idle timeout, or older than the absolute timeout, all judged against the
database clock. Signing out, changing a password, disabling an account and "end all sessions"
revoke rows, so every copy of a cookie stops working at once.

State changes that matter (sign-in rotation, revocation) are made by the auth service inside
the request's ``transaction()``; :meth:`ServerSessionInterface.save_session` only stores
pre-sign-in data (CSRF token, OIDC state, the pending sign-in) and refreshes ``last_seen_at``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete, func, or_, select, update
from werkzeug.datastructures import CallbackDict

from portal.auth.models import UserSession
from portal.config import Settings
from portal.core.clock import db_now
from portal.db.statements import run, text_param
from portal.db.transaction import transaction
from portal.extensions import db

#: Paths that never need a session: serving them must not touch the database.
SESSIONLESS_PREFIXES = ("/static/", "/assets/", "/healthz")
TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def new_token() -> str:
    """A session token: 256 bits from the operating system's CSPRNG."""
    return secrets.token_urlsafe(TOKEN_BYTES)


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """The request's session: pre-sign-in data plus the identity of the row behind it."""

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        *,
        row_id: str | None = None,
        user_id: uuid.UUID | None = None,
        last_seen_at: datetime | None = None,
        opened_at: datetime | None = None,
        signed_in_at: datetime | None = None,
    ) -> None:
        def on_update(_: CallbackDict[str, Any]) -> None:
            self.modified = True

        super().__init__(data or {}, on_update)
        self.row_id = row_id
        self.user_id = user_id
        self.last_seen_at = last_seen_at
        #: The database time the row was judged live at (the start of this request).
        self.opened_at = opened_at
        #: When the row's holder signed in: the absolute limit counts from here.
        self.signed_in_at = signed_in_at
        self.new_token: str | None = None
        self.ended = False
        self.modified = False

    def adopt(self, token: str, row: UserSession) -> None:
        """Switch this request to a freshly created row (sign-in rotates the id)."""
        self.clear()
        self.modified = False
        self.new_token = token
        self.row_id = row.id
        self.user_id = row.user_id
        self.last_seen_at = row.last_seen_at
        self.signed_in_at = row.created_at

    def end(self) -> None:
        """Forget this session in the browser (its row has been revoked by the caller)."""
        self.clear()
        self.ended = True
        self.user_id = None


def create_session_row(
    *,
    user_id: uuid.UUID | None,
    auth_method: str | None,
    now: datetime,
    signed_in_at: datetime | None = None,
) -> tuple[str, UserSession]:
    """Add a new session row in the caller's transaction; returns (cookie token, row).

    ``signed_in_at`` carries an earlier sign-in's time to a row that replaces that sign-in's
    row (a password change rotates the id but is no new sign-in), so the absolute limit still
    counts from the sign-in.
    """
    token = new_token()
    row = UserSession(
        id=token_hash(token),
        user_id=user_id,
        data="{}",
        created_at=signed_in_at or now,
        last_seen_at=now,
        auth_method=auth_method,
    )
    db.session.add(row)
    db.session.flush()
    return token, row


def revoke_sessions(
    *, user_id: uuid.UUID | None = None, row_ids: Iterable[str] = (), reason: str, now: datetime
) -> int:
    """Revoke live sessions by user or by id, in the caller's transaction; returns how many."""
    ids = list(row_ids)
    condition = UserSession.user_id == user_id if user_id is not None else UserSession.id.in_(ids)
    result = db.session.execute(
        update(UserSession)
        .where(condition, UserSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def live_session_count(user_id: uuid.UUID, settings: Settings) -> int:
    """Sessions of ``user_id`` that would still be accepted now (not revoked, not timed out)."""
    now = db_now()
    count = db.session.execute(
        select(func.count())
        .select_from(UserSession)
        .where(
            UserSession.user_id == user_id,
            UserSession.revoked_at.is_(None),
            UserSession.last_seen_at > now - timedelta(seconds=settings.session_idle_seconds),
            UserSession.created_at > now - timedelta(seconds=settings.session_absolute_seconds),
        )
    ).scalar_one()
    return int(count)


def purge_ended_sessions(settings: Settings, *, now: datetime) -> int:
    """Delete the rows no request can ever accept again (revoked, idle past the limit or past
    the absolute limit); returns how many. Every visit to the sign-in page without a cookie
    stores a row for its CSRF token, so without this the table only grows. What ended a
    session is in the access log (``SESSION_ENDED``, ``LOGOUT``), not here."""
    result = db.session.execute(
        delete(UserSession)
        .where(
            or_(
                UserSession.revoked_at.is_not(None),
                UserSession.last_seen_at < now - timedelta(seconds=settings.session_idle_seconds),
                UserSession.created_at < now - timedelta(seconds=settings.session_absolute_seconds),
            )
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# Built once (see portal.db.statements): every request that carries a cookie runs it.
_LIVE_ROW = select(
    UserSession.id,
    UserSession.user_id,
    UserSession.data,
    UserSession.created_at,
    UserSession.last_seen_at,
    UserSession.revoked_at,
).where(UserSession.id == text_param("token_hash"))


class ServerSessionInterface(SessionInterface):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.idle = timedelta(seconds=settings.session_idle_seconds)
        self.absolute = timedelta(seconds=settings.session_absolute_seconds)
        self.touch = timedelta(seconds=settings.session_touch_seconds)

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        if request.path.startswith(SESSIONLESS_PREFIXES):
            return ServerSession()
        token = request.cookies.get(self.settings.session_cookie_name)
        if not token or len(token) > 128:
            return ServerSession()
        # Plain values, not an ORM object: nothing about the session needs the identity map.
        row = run(_LIVE_ROW, {"token_hash": token_hash(token)}).first()
        now = db_now()
        if row is None or not self._is_live(row.revoked_at, row.last_seen_at, row.created_at, now):
            return ServerSession()
        try:
            data = json.loads(row.data)
        except ValueError:
            data = {}
        return ServerSession(
            data,
            row_id=row.id,
            user_id=row.user_id,
            last_seen_at=row.last_seen_at,
            opened_at=now,
            signed_in_at=row.created_at,
        )

    def _is_live(
        self,
        revoked_at: datetime | None,
        last_seen_at: datetime,
        created_at: datetime,
        now: datetime,
    ) -> bool:
        return (
            revoked_at is None
            and now - last_seen_at <= self.idle
            and now - created_at <= self.absolute
        )

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, ServerSession):
            return
        name = self.settings.session_cookie_name
        if session.ended:
            response.delete_cookie(
                name, path="/", secure=self.settings.cookie_secure, httponly=True, samesite="Lax"
            )
            return
        token = session.new_token
        if session.row_id is None and session.modified and len(session):
            with transaction():
                now = db_now()
                token, row = create_session_row(user_id=None, auth_method=None, now=now)
                row.data = _dump(session)
        elif session.row_id is not None and (session.modified or self._needs_touch(session)):
            with transaction():
                values: dict[str, Any] = {"last_seen_at": db_now()}
                if session.modified:
                    values["data"] = _dump(session)
                db.session.execute(
                    update(UserSession)
                    .where(UserSession.id == session.row_id, UserSession.revoked_at.is_(None))
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
        if token:
            response.vary.add("Cookie")
            response.set_cookie(
                name,
                token,
                path="/",
                secure=self.settings.cookie_secure,
                httponly=True,
                samesite="Lax",
            )

    def _needs_touch(self, session: ServerSession) -> bool:
        if session.user_id is None or session.last_seen_at is None:
            return False
        # Judged at the time the session was opened: no second clock query on every response.
        now = session.opened_at if session.opened_at is not None else db_now()
        return now - session.last_seen_at >= self.touch


def _dump(session: ServerSession) -> str:
    return json.dumps(dict(session), sort_keys=True, separators=(",", ":"), default=str)
