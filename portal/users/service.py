"""User administration, always within the administrator's own agency.

Every use case runs in the caller's ``transaction()`` and never commits. Whether the actor may
manage a user is decided by the pure :func:`portal.access.policy.may_manage_user` on facts read
in this unit of work; a user of another agency is "not found", exactly like an id that does not
exist. Use cases that change an account first lock the administrator's row and the user's row,
so two administrators cannot take each other's administration away at the same moment.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from portal.access import policy
from portal.audit import events, recorder
from portal.auth import throttle
from portal.auth.models import UserIdentity
from portal.auth.passwords import hash_password, password_problem
from portal.auth.sessions import live_session_count, revoke_sessions
from portal.config import OidcProvider, Settings
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.core.identity import Role, SessionEndReason, UserStatus
from portal.errors import Forbidden, NotFound
from portal.users import repository
from portal.users.models import User
from portal.users.schemas import ChangeRolesCommand, CreateUserCommand, SetPasswordCommand

EMAIL_IN_USE = "An account with this email address already exists"
OWN_ADMIN_ROLE = (
    "You cannot remove your own agency administrator role. "
    "Ask another administrator in your agency to do it"
)
OWN_ROLES = (
    "You cannot change your own roles or clearance. "
    "Ask another administrator in your agency to do it"
)
OWN_ACCOUNT_DISABLE = (
    "You cannot disable your own account. Ask another administrator in your agency to do it"
)
OWN_ACCOUNT_RESET = (
    "You cannot set your own password here. Change it from your account, with your current password"
)
FEDERATED_ACCOUNT = (
    "This user signs in through their agency's sign-in service and has no password here"
)
ALREADY_DISABLED = "This account is already disabled"
ALREADY_ACTIVE = "This account can already sign in"
ROLES_CHANGED_MEANWHILE = (
    "This user's roles or clearance were changed by someone else after you opened this page, "
    "so your changes have not been saved. Check the roles and clearance shown, then save again"
)
ONLY_WAY_IN = (
    "This is the only way this user signs in: they have no password here. "
    "To stop them signing in, disable the account"
)


class Refused(Exception):
    """The administrator asked for something that is not allowed; ``field`` is where to say why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class RolesChangedMeanwhile(Refused):
    """The roles page was opened before someone else changed the user's roles or clearance.

    Nothing is saved: saving would silently undo their change. ``version`` is the current one,
    for the page shown again with the administrator's answers.
    """

    def __init__(self, version: str) -> None:
        super().__init__("submit", ROLES_CHANGED_MEANWHILE)
        self.version = version


def roles_version(user: User) -> str:
    """What the roles page sends back to say which roles and clearance it showed."""
    text = ",".join([*sorted(role.value for role in user.roles), user.clearance])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class LinkedIdentity:
    """One link from the account to an identity at an agency provider, as the page shows it."""

    id: uuid.UUID
    #: The provider's display name, or its issuer when no configured provider has it.
    provider: str
    linked_at: datetime
    #: Why the link may not be removed, or None if it may (see :func:`remove_identity`).
    refusal: str | None


@dataclass(frozen=True)
class UserDetails:
    user: User
    live_sessions: int
    failed_sign_ins: int
    sign_in_locked: bool
    is_self: bool
    #: Whether the administrator may set a new password for the user (see :func:`set_password`).
    may_set_password: bool
    #: The user's links to identities at their agency's providers.
    identities: Sequence[LinkedIdentity] = ()


def list_agency_users(actor: Actor) -> Sequence[User]:
    """Users of the actor's agency."""
    _require_administrator(actor)
    return repository.list_users_in_agency(actor.agency_id)


def get_user(actor: Actor, *, user_id: uuid.UUID) -> User:
    """A user the actor may manage. :raises NotFound: for anyone else, or no such user."""
    user = repository.find_user(user_id)
    if user is None or not _may_manage(actor.roles, actor.agency_id, user):
        raise NotFound()
    return user


def get_user_details(actor: Actor, *, user_id: uuid.UUID, settings: Settings) -> UserDetails:
    """What the administrator's page about one user shows, sign-in throttle included."""
    user = get_user(actor, user_id=user_id)
    sign_in = throttle.state(
        throttle.key_for(user.email),
        db_now(),
        throttle_after=settings.login_throttle_after,
        hard_stop=settings.login_hard_stop,
    )
    return UserDetails(
        user=user,
        live_sessions=live_session_count(user.id, settings),
        failed_sign_ins=sign_in.failures,
        sign_in_locked=sign_in.locked,
        is_self=user.id == actor.user_id,
        may_set_password=_password_refusal(actor, user) is None,
        identities=_linked_identities(user, settings),
    )


def _linked_identities(user: User, settings: Settings) -> tuple[LinkedIdentity, ...]:
    identities = repository.identities_of(user.id)
    refusal = _identity_refusal(user, identities)
    return tuple(
        LinkedIdentity(
            identity.id,
            _provider_name(identity.issuer, user, settings),
            identity.created_at,
            refusal,
        )
        for identity in identities
    )


def create_user(actor: Actor, *, command: CreateUserCommand, settings: Settings) -> uuid.UUID:
    """Add a user to the actor's agency (never another). At their first sign-in they set up
    TOTP, then choose their own password (the administrator's is for that sign-in only).

    :raises Refused: when the e-mail address is already in use.
    """
    _require_administrator(actor)
    if repository.find_user_by_email(command.email) is not None:
        raise Refused("email", EMAIL_IN_USE)
    user = User(
        agency_id=actor.agency_id,
        email=command.email,
        full_name=command.full_name,
        clearance=command.clearance.value,
        status=UserStatus.ACTIVE.value,
        password_hash=hash_password(command.password, settings.argon2),
        password_change_required=True,
        totp_secret=None,
    )
    user.set_roles(command.roles)
    try:
        repository.add_user(user)
    except repository.EmailInUse as exc:
        raise Refused("email", EMAIL_IN_USE) from exc
    recorder.record(
        events.user_changed(
            actor, user_id=user.id, reason="created", detail=_roles_detail(command.roles, user)
        )
    )
    return user.id


def change_roles(actor: Actor, *, user_id: uuid.UUID, command: ChangeRolesCommand) -> None:
    """Set a user's roles and clearance; they apply from the user's next request.

    :raises RolesChangedMeanwhile: when they changed after the page was opened.
    :raises Refused: when administrators would change their own roles or clearance: another
        administrator must, so no one raises their own access (nor drops their own
        administrator role and leaves the agency without one).
    """
    user = _lock_user_to_change(actor, user_id)
    if not policy.may_change_roles(actor_user_id=actor.user_id, target_user_id=user.id):
        locked_out = policy.would_lock_out_self(
            actor_user_id=actor.user_id,
            target_user_id=user.id,
            roles_after=command.roles,
            active_after=user.is_active,
        )
        raise Refused("roles", OWN_ADMIN_ROLE if locked_out else OWN_ROLES)
    if command.version is not None and command.version != roles_version(user):
        raise RolesChangedMeanwhile(roles_version(user))
    user.set_roles(command.roles)
    user.clearance = command.clearance.value
    recorder.record(
        events.user_changed(
            actor,
            user_id=user.id,
            reason="roles_changed",
            detail=_roles_detail(command.roles, user),
        )
    )


def disable_user(actor: Actor, *, user_id: uuid.UUID) -> int:
    """Disable an account and end every one of its sessions; returns how many ended.

    :raises Refused: when administrators would disable themselves, or the account is
        disabled already (a second click writes no second change).
    """
    user = _lock_user_to_change(actor, user_id)
    if not user.is_active:
        raise Refused("status", ALREADY_DISABLED)
    if policy.would_lock_out_self(
        actor_user_id=actor.user_id,
        target_user_id=user.id,
        roles_after=user.roles,
        active_after=False,
    ):
        raise Refused("status", OWN_ACCOUNT_DISABLE)
    user.status = UserStatus.DISABLED.value
    ended = revoke_sessions(user_id=user.id, reason=SessionEndReason.ACCOUNT_DISABLED, now=db_now())
    recorder.record(
        events.user_changed(
            actor, user_id=user.id, reason="disabled", detail={"ended_count": str(ended)}
        )
    )
    return ended


def enable_user(actor: Actor, *, user_id: uuid.UUID) -> None:
    """Let a disabled account sign in again (its old sessions stay ended).

    :raises Refused: when the account is not disabled (a second click writes no second change).
    """
    user = _lock_user_to_change(actor, user_id)
    if user.is_active:
        raise Refused("status", ALREADY_ACTIVE)
    user.status = UserStatus.ACTIVE.value
    recorder.record(events.user_changed(actor, user_id=user.id, reason="enabled"))


def reset_second_factor(actor: Actor, *, user_id: uuid.UUID) -> int:
    """Forget the user's authenticator and end their sessions; they enrol again at sign-in."""
    user = _lock_user_to_change(actor, user_id)
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_counter = None
    ended = revoke_sessions(user_id=user.id, reason=SessionEndReason.MFA_RESET, now=db_now())
    recorder.record(events.mfa_reset(actor, user_id=user.id))
    return ended


def end_sessions(actor: Actor, *, user_id: uuid.UUID) -> int:
    """End every session of the user, wherever it is; returns how many ended."""
    user = _lock_user_to_change(actor, user_id)
    ended = revoke_sessions(user_id=user.id, reason=SessionEndReason.ENDED_BY_ADMIN, now=db_now())
    recorder.record(
        events.session_ended(
            user_id=user.id,
            reason=SessionEndReason.ENDED_BY_ADMIN.value,
            actor=actor,
            detail={"ended_count": str(ended)},
        )
    )
    return ended


def set_password(
    actor: Actor, *, user_id: uuid.UUID, command: SetPasswordCommand, settings: Settings
) -> int:
    """Give a user who has lost their password a new one; returns how many sessions ended.

    For a user who can no longer sign in: every session they have ends (whoever holds the old
    password is signed out), and their failed sign-ins are cleared. Their authenticator app is
    kept, so the new password alone does not sign anyone in, and after their next password
    sign-in they must choose their own before anything else. The access log records who set
    it, never the password.

    :raises Refused: for the administrator's own account (they change it knowing the current
        one), an account that signs in only through its agency's provider, or a password the
        rules refuse for this account.
    """
    user = _lock_user_to_change(actor, user_id)
    problem = _password_refusal(actor, user) or password_problem(command.password, email=user.email)
    if problem:
        raise Refused("password", problem)
    now = db_now()
    user.password_hash = hash_password(command.password, settings.argon2)
    user.password_changed_at = now
    user.password_change_required = True
    ended = revoke_sessions(user_id=user.id, reason=SessionEndReason.PASSWORD_CHANGED, now=now)
    throttle.reset(throttle.key_for(user.email))
    recorder.record(
        events.user_changed(
            actor, user_id=user.id, reason="password_set", detail={"ended_count": str(ended)}
        )
    )
    return ended


def _password_refusal(actor: Actor, user: User) -> str | None:
    """Why the administrator may not set ``user``'s password at all, or None if they may."""
    if user.id == actor.user_id:
        return OWN_ACCOUNT_RESET
    if user.password_hash is None:
        return FEDERATED_ACCOUNT
    return None


def remove_identity(
    actor: Actor, *, user_id: uuid.UUID, identity_id: uuid.UUID, settings: Settings
) -> int:
    """Remove one link between the user's account and an identity at an agency provider;
    returns how many of the user's sessions ended.

    For an identity that should no longer sign this account in (linked by mistake, or the
    person's provider account has changed). Every session of the user ends, since any of them
    may have been signed in through that identity; the user may link again from their own
    account page, proving both sign-ins as before. USER_CHANGED names the provider.

    :raises NotFound: for a link that is not this user's (or no such link).
    :raises Refused: when the link is the only way the account signs in (no password here).
    """
    user = _lock_user_to_change(actor, user_id)
    identities = repository.identities_of(user.id)
    identity = next((i for i in identities if i.id == identity_id), None)
    if identity is None:
        raise NotFound()
    problem = _identity_refusal(user, identities)
    if problem:
        raise Refused("identity", problem)
    provider = _provider_of(identity.issuer, user, settings)
    repository.remove_identity(identity)
    ended = revoke_sessions(user_id=user.id, reason=SessionEndReason.ENDED_BY_ADMIN, now=db_now())
    recorder.record(
        events.user_changed(
            actor,
            user_id=user.id,
            reason="identity_unlinked",
            detail={
                "provider": provider.slug if provider else "unconfigured",
                "ended_count": str(ended),
            },
        )
    )
    return ended


def _identity_refusal(user: User, identities: Sequence[UserIdentity]) -> str | None:
    """Why none of ``identities`` may be removed from ``user``, or None if any may."""
    if user.password_hash is None and len(identities) <= 1:
        return ONLY_WAY_IN
    return None


def _provider_of(issuer: str, user: User, settings: Settings) -> OidcProvider | None:
    """The configured provider of the user's agency with this issuer, if there still is one."""
    code = user.agency.code
    return next(
        (p for p in settings.oidc_providers if p.issuer == issuer and p.agency_code == code), None
    )


def _provider_name(issuer: str, user: User, settings: Settings) -> str:
    """The provider's display name, or the issuer of one removed from the configuration."""
    provider = _provider_of(issuer, user, settings)
    return provider.display_name if provider else issuer


def unlock_sign_in(actor: Actor, *, user_id: uuid.UUID) -> None:
    """Clear the user's failed sign-in count, lifting the throttle and its hard stop."""
    user = _lock_user_to_change(actor, user_id)
    throttle.reset(throttle.key_for(user.email))
    recorder.record(events.user_changed(actor, user_id=user.id, reason="sign_in_unlocked"))


def _roles_detail(roles: frozenset[Role], user: User) -> dict[str, str]:
    return {"roles": ",".join(sorted(r.value for r in roles)), "clearance": user.clearance}


def _require_administrator(actor: Actor) -> None:
    if not policy.may_manage_user(
        actor_roles=actor.roles, actor_agency_id=actor.agency_id, target_agency_id=actor.agency_id
    ):
        raise Forbidden()


def _may_manage(roles: frozenset[Role], agency_id: uuid.UUID, user: User) -> bool:
    return policy.may_manage_user(
        actor_roles=roles, actor_agency_id=agency_id, target_agency_id=user.agency_id
    )


def _lock_user_to_change(actor: Actor, user_id: uuid.UUID) -> User:
    """The user, row-locked with the administrator, if the administrator may change them.

    The decision uses the administrator's own row as read under the lock, so a role or
    status taken away a moment ago already counts.

    :raises NotFound: for a user of another agency, or no such user.
    """
    locked = repository.lock_users({actor.user_id, user_id})
    admin, user = locked.get(actor.user_id), locked.get(user_id)
    if admin is None or not admin.is_active or user is None:
        raise NotFound()
    if not _may_manage(admin.roles, admin.agency_id, user):
        raise NotFound()
    return user
