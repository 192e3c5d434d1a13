"""Helpers for the user administration tests: account snapshots, page checks, browsers."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.auth import throttle
from portal.auth.models import LoginThrottle
from portal.auth.sessions import live_session_count
from portal.core.identity import Clearance, Role
from portal.extensions import db
from portal.users.models import User
from tests.helpers import csrf_token, session_cookie
from tests.leaks import remember_secret

#: One TOTP step and a bit, so the same user can sign in again with a fresh code.
NEXT_STEP = timedelta(seconds=31)


@dataclass(frozen=True)
class UserState:
    """Everything an administrator's action could change about one account."""

    status: str
    roles: frozenset[Role]
    clearance: str
    agency_id: uuid.UUID
    totp_secret: str | None
    totp_enrolled: bool
    totp_last_counter: int | None
    live_sessions: int
    failed_sign_ins: int


def user_state(app: Flask, user_id: uuid.UUID) -> UserState:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        row = db.session.get(LoginThrottle, throttle.key_for(user.email))
        return UserState(
            status=user.status,
            roles=user.roles,
            clearance=user.clearance,
            agency_id=user.agency_id,
            totp_secret=user.totp_secret,
            totp_enrolled=user.totp_enrolled_at is not None,
            totp_last_counter=user.totp_last_counter,
            live_sessions=live_session_count(user.id, app.extensions["portal.settings"]),
            failed_sign_ins=row.failures if row else 0,
        )


def user_count(app: Flask) -> int:
    with app.app_context():
        return int(db.session.execute(select(func.count()).select_from(User)).scalar_one())


def find_user_id(app: Flask, email: str) -> uuid.UUID | None:
    with app.app_context():
        return db.session.execute(select(User.id).where(User.email == email)).scalar_one_or_none()


def is_sign_in_redirect(response: Any) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def copy_browser(app: Flask, client: FlaskClient) -> FlaskClient:
    """A second browser holding a copy of ``client``'s session cookie."""
    value = session_cookie(client, app)
    assert value, "no session cookie to copy"
    copy = app.test_client()
    copy.set_cookie(app.extensions["portal.settings"].session_cookie_name, value)
    return copy


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None) -> Any:
    """POST with this browser's CSRF token (taken from the home page's sign-out form)."""
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **(data or {})})


def text_of(response: Any) -> str:
    return unescape(response.get_data(as_text=True))


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.inputs: list[str] = []
        self.legends = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
        if tag == "label" and attributes.get("for"):
            self.label_for.add(str(attributes["for"]))
        if tag == "legend":
            self.legends += 1
        if tag == "input" and attributes.get("type") not in ("hidden", "submit"):
            self.inputs.append(str(attributes.get("id")))


def page_structure(response: Any) -> _Ids:
    parser = _Ids()
    parser.feed(response.get_data(as_text=True))
    return parser


def normalised_404(response: Any) -> str:
    """A 404 body without what differs on every response (CSP nonce, CSRF token)."""
    body = response.get_data(as_text=True)
    body = re.sub(r'nonce="[^"]*"', 'nonce=""', body)
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', body)


VALID_NEW_USER = {
    "full_name": "Robin Officer",
    "email": "Robin.Officer@Northshire-Police.test",
    "password": "lantern-orchard-gravel-91",
    "confirm_password": "lantern-orchard-gravel-91",
    "roles": [Role.MOSOVO_OFFICER.value, Role.CSODS_OFFICER.value],
    "clearance": Clearance.SC.value,
}

remember_secret(VALID_NEW_USER["password"])
