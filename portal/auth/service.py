"""Sign-in, second factor, sign-out and password change: the use cases behind the auth pages.

Each function runs inside the caller's ``transaction()`` and never commits. A successful
sign-in always creates a new session row (the id is rotated) and revokes the one the browser
had before, so a cookie planted before sign-in is worth nothing after it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from portal.audit import events, recorder
from portal.auth import passwords, throttle, totp
from portal.auth.sessions import ServerSession, create_session_row, revoke_sessions
from portal.config import Settings
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.core.identity import SessionEndReason
from portal.core.inputs import has_control_characters
from portal.extensions import db
from portal.users import repository as users_repository
from portal.users.models import User

PENDING_KEY = "pending_sign_in"
ENROL_KEY = "totp_enrolment_secret"
#: Set on a session signed in with a password an administrator chose (see
#: :func:`password_change_due`); the session that changes the password starts without it.
PASSWORD_CHANGE_KEY = "password_change_due"  # noqa: S105 - a session key, not a password
PENDING_LIFETIME = timedelta(minutes=5)
METHOD_LOCAL = "password+totp"
METHOD_OIDC = "oidc"


#: Refused for every password change: an administrator who set the password would still know it.
SAME_PASSWORD = "Your new password must be different from your current password"  # noqa: S105


@dataclass(frozen=True)
class PasswordProblem:
    """Why a password change was refused: the message, and the form field it is about."""

    field: str
    message: str


@dataclass(frozen=True)
class PasswordOutcome:
    """Result of the first step: on success, whether the user must enrol TOTP first."""

    accepted: bool
    needs_enrolment: bool = False


def find_user_by_email(email: str) -> User | None:
    """The user with this email address; None for none, and for a name no one could have (a
    control character is no part of any address, and PostgreSQL cannot compare text holding
    NUL)."""
    if has_control_characters(email):
        return None
    return db.session.execute(
        select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()


def check_password_step(
    session: ServerSession, settings: Settings, *, email: str, password: str, next_url: str
) -> PasswordOutcome:
    """First step of a local sign-in. Unknown name, wrong password, disabled, throttled and
    locked all give the same refusal, after the same amount of hashing work."""
    now = db_now()
    key = throttle.key_for(email)
    state = throttle.begin_attempt(
        key, now, throttle_after=settings.login_throttle_after, hard_stop=settings.login_hard_stop
    )
    user = find_user_by_email(email)
    ok = passwords.verify_password(user.password_hash if user else None, password, settings.argon2)
    if not (state.allowed and ok and user is not None and user.is_active):
        _count_failure(key, now, reason="password_step", user=user)
        session.pop(PENDING_KEY, None)
        return PasswordOutcome(accepted=False)
    if user.password_hash and passwords.needs_rehash(user.password_hash, settings.argon2):
        user.password_hash = passwords.hash_password(password, settings.argon2)
    session[PENDING_KEY] = {
        "user_id": str(user.id),
        "at": now.isoformat(),
        "next": next_url,
        "credentials": _credentials(user),
    }
    return PasswordOutcome(accepted=True, needs_enrolment=user.totp_secret is None)


def _count_failure(key: str, now: datetime, *, reason: str, user: User | None) -> None:
    """One more consecutive failure for the name's throttle, recorded as ``LOGIN_FAILED``
    (the account named by id when there is one, never by what was typed)."""
    throttle.record_failure(key, now)
    recorder.record(
        events.login_failed(
            reason=reason,
            method=METHOD_LOCAL,
            user_id=user.id if user else None,
            agency_id=user.agency_id if user else None,
        )
    )


def pending_user(session: ServerSession) -> User | None:
    """The user who passed the password step in this session in the last five minutes."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    try:
        started = datetime.fromisoformat(pending["at"])
        user_id = uuid.UUID(pending["user_id"])
    except (KeyError, ValueError, TypeError):
        return None
    if db_now() - started > PENDING_LIFETIME:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or pending.get("credentials") != _credentials(user):
        return None
    return user


def _credentials(user: User) -> str:
    """When the password and the authenticator app last changed: a password step taken before
    either changed (by the user or by an administrator) cannot be finished afterwards."""
    changed = (user.password_changed_at, user.totp_enrolled_at)
    return "|".join("" if at is None else at.isoformat() for at in changed)


def enrolment_secret(session: ServerSession) -> str:
    secret = session.get(ENROL_KEY)
    if not isinstance(secret, str):
        secret = session[ENROL_KEY] = totp.new_secret()
    return secret


def check_totp_step(
    session: ServerSession, settings: Settings, *, user: User, code: str, enrolling: bool
) -> str | None:
    """Second step. On success the user is signed in on a new session row and the page to go
    to next is returned; None means refused. A code is never accepted twice, and wrong codes
    count towards the same throttle as wrong passwords.

    The throttle row and the account row are locked first, so the same code sent twice at
    once is checked once against the last accepted counter and once against the new one."""
    now = db_now()
    key = throttle.key_for(user.email)
    state = throttle.begin_attempt(
        key, now, throttle_after=settings.login_throttle_after, hard_stop=settings.login_hard_stop
    )
    user = users_repository.lock_users({user.id})[user.id]
    secret = enrolment_secret(session) if enrolling else user.totp_secret
    counter = None
    if state.allowed and secret:
        last = None if enrolling else user.totp_last_counter
        counter = totp.matching_counter(secret, code, now=now, last_counter=last)
    if counter is None:
        _count_failure(key, now, reason="security_code_step", user=user)
        return None
    if enrolling:
        user.totp_secret = secret
        user.totp_enrolled_at = now
    user.totp_last_counter = counter
    throttle.reset(key)
    next_url = start_session(session, user=user, method=METHOD_LOCAL, now=now)
    if user.password_change_required:
        session[PASSWORD_CHANGE_KEY] = True
    return next_url


def password_change_due(session: ServerSession) -> bool:
    """Whether this session was signed in with a password an administrator chose.

    Only a password sign-in sets it: someone who signs in through their agency's provider has
    not used that password, and may not know it.
    """
    return session.get(PASSWORD_CHANGE_KEY) is True


def start_session(session: ServerSession, *, user: User, method: str, now: datetime) -> str:
    """Sign ``user`` in on a brand-new session row; the browser's previous row is revoked.

    Returns where to go next (the ``next`` remembered at the password step, or home).
    """
    pending = session.get(PENDING_KEY)
    next_url = pending.get("next", "/") if isinstance(pending, dict) else "/"
    if session.row_id is not None:
        revoke_sessions(row_ids=[session.row_id], reason=SessionEndReason.ROTATED, now=now)
    token, row = create_session_row(user_id=user.id, auth_method=method, now=now)
    session.adopt(token, row)
    recorder.record(events.login(user_id=user.id, agency_id=user.agency_id, method=method))
    return str(next_url)


def sign_out(session: ServerSession, actor: Actor) -> None:
    """End this browser's session; writes one LOGOUT event in the caller's transaction."""
    if session.row_id is not None:
        revoke_sessions(row_ids=[session.row_id], reason=SessionEndReason.SIGNED_OUT, now=db_now())
    recorder.record(events.logout(user_id=actor.user_id, agency_id=actor.agency_id))
    session.end()


def change_password(
    session: ServerSession,
    settings: Settings,
    actor: Actor,
    *,
    current_password: str,
    new_password: str,
) -> PasswordProblem | None:
    """Change the signed-in user's password; returns a problem to show, or None on success.

    The account row is read here, locked, in the caller's transaction. Wrong current passwords
    count towards the sign-in throttle of the account's name (this page is no way round it),
    each recorded as ``LOGIN_FAILED``. The new password must differ from the current one (the
    administrator who set a password must not still know it after the change). Every session
    of the user ends, including copies of this browser's cookie; this browser continues on a
    fresh session that keeps the time of the sign-in, so the absolute limit is not restarted
    by a password alone.
    """
    user = users_repository.lock_users({actor.user_id})[actor.user_id]
    now = db_now()
    key = throttle.key_for(user.email)
    state = throttle.begin_attempt(
        key, now, throttle_after=settings.login_throttle_after, hard_stop=settings.login_hard_stop
    )
    right = passwords.verify_password(user.password_hash, current_password, settings.argon2)
    if not (state.allowed and right):
        _count_failure(key, now, reason="password_change", user=user)
        if not state.allowed:
            return PasswordProblem(
                "current_password",
                "Your current password has been entered wrongly too many times. "
                "Wait a few minutes and try again",
            )
        return PasswordProblem("current_password", "Your current password is not right")
    if new_password == current_password:
        return PasswordProblem("new_password", SAME_PASSWORD)
    problem = passwords.password_problem(new_password, email=user.email)
    if problem:
        return PasswordProblem("new_password", problem)
    throttle.reset(key)
    user.password_hash = passwords.hash_password(new_password, settings.argon2)
    user.password_changed_at = now
    user.password_change_required = False
    ended = revoke_sessions(user_id=user.id, reason=SessionEndReason.PASSWORD_CHANGED, now=now)
    token, row = create_session_row(
        user_id=user.id, auth_method=METHOD_LOCAL, now=now, signed_in_at=session.signed_in_at
    )
    session.adopt(token, row)  # a fresh session: no password change is due on it
    recorder.record(events.user_changed(actor, user_id=user.id, reason="password_changed"))
    recorder.record(
        events.session_ended(
            user_id=user.id,
            reason=SessionEndReason.PASSWORD_CHANGED.value,
            actor=actor,
            detail={"ended_count": str(ended)},
        )
    )
    return None
