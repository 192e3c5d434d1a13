"""Agency administrators manage the users of their own agency.

Changes are POST only. Each confirms itself with a fixed message flashed onto the redirect: the
messages name no one and carry nothing the administrator did not already see.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from portal.access import policy
from portal.access.decorators import requires
from portal.access.permissions import Permission
from portal.config import Settings
from portal.core.actor import current_actor
from portal.core.error_summary import flash_problem, form_status
from portal.core.once import AlreadySent, saved_once, saving_once
from portal.db.transaction import transaction
from portal.users import service
from portal.users.forms import (
    AddUserForm,
    ChangeRolesForm,
    SetPasswordForm,
    add_error,
    load_command,
    page_error,
)
from portal.users.schemas import (
    ChangeRolesCommand,
    ChangeRolesSchema,
    CreateUserCommand,
    CreateUserSchema,
    SetPasswordCommand,
    SetPasswordSchema,
)

bp = Blueprint("users", __name__, url_prefix="/users")

ADDED = (
    "User added. The first time they sign in they will set up their authenticator app and "
    "choose their own password"
)
ROLES_CHANGED = "Roles and clearance updated. The changes apply from the user's next page view"
DISABLED = "Account disabled. Every session the user had has ended"
ENABLED = "Account enabled. The user can sign in again"
SECOND_FACTOR_RESET = (
    "Second factor reset. Every session the user had has ended, and they will set up their "
    "authenticator app again at their next sign-in"
)
SESSIONS_ENDED = "Every session the user had has ended"
SIGN_IN_RESET = (
    "Password set. Every session the user had has ended, and their failed sign-ins are cleared. "
    "They sign in with it and their authenticator app, then choose their own password"
)
UNLOCKED = "Sign-in unlocked. The user can try to sign in again"
IDENTITY_REMOVED = (
    "Link removed. Every session the user had has ended. They can no longer sign in with that "
    "agency account unless they link it again from their account page"
)


def _settings() -> Settings:
    settings: Settings = current_app.extensions["portal.settings"]
    return settings


@bp.get("/")
@requires(Permission.USERS_MANAGE)
def list_users() -> ResponseReturnValue:
    with transaction(reads_only=True):
        users = service.list_agency_users(current_actor())
        page = render_template("users/list.html", users=users)
    return page


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.USERS_MANAGE)
def add_user() -> ResponseReturnValue:
    form = AddUserForm()
    submitted = form.validate_on_submit()
    command = load_command(form, CreateUserSchema(), CreateUserCommand) if submitted else None
    if command is not None:
        actor = current_actor()
        try:
            with saving_once(form.submission.data, user_id=actor.user_id) as saved:
                user_id = service.create_user(actor, command=command, settings=_settings())
                saved.location = url_for("users.show_user", user_id=user_id)
        except service.Refused as refused:
            add_error(form, refused.field, refused.message)
        except AlreadySent as sent:
            return saved_once(sent, otherwise=url_for("users.list_users"))
        else:
            flash(ADDED, "success")
            return redirect(url_for("users.show_user", user_id=user_id))
    return render_template("users/add.html", form=form), form_status(form)


@bp.get("/<uuid:user_id>")
@requires(Permission.USERS_MANAGE)
def show_user(user_id: uuid.UUID) -> ResponseReturnValue:
    with transaction(reads_only=True):
        details = service.get_user_details(current_actor(), user_id=user_id, settings=_settings())
        page = render_template("users/show.html", details=details, own_roles=service.OWN_ROLES)
    return page


@bp.route("/<uuid:user_id>/roles", methods=["GET", "POST"])
@requires(Permission.USERS_MANAGE)
def change_roles(user_id: uuid.UUID) -> ResponseReturnValue:
    form = ChangeRolesForm()
    submitted = form.validate_on_submit()
    command = load_command(form, ChangeRolesSchema(), ChangeRolesCommand) if submitted else None
    if command is not None:
        try:
            with transaction():
                service.change_roles(current_actor(), user_id=user_id, command=command)
        except service.RolesChangedMeanwhile as changed:
            page_error(form, changed.message)
            form.version.data = changed.version  # sent again, the answers are saved
        except service.Refused as refused:
            add_error(form, refused.field, refused.message)
        else:
            flash(ROLES_CHANGED, "success")
            return redirect(url_for("users.show_user", user_id=user_id))
    with transaction():
        actor = current_actor()
        user = service.get_user(actor, user_id=user_id)
        if not form.is_submitted():
            form.roles.data = [role.value for role in sorted(user.roles)]
            form.clearance.data = user.clearance
            form.version.data = service.roles_version(user)
        # One's own roles are not offered for change: another administrator must.
        own = not policy.may_change_roles(actor_user_id=actor.user_id, target_user_id=user.id)
        page = render_template(
            "users/roles.html", form=form, user=user, own=own, own_refusal=service.OWN_ROLES
        )
    return page, form_status(form)


@bp.route("/<uuid:user_id>/password", methods=["GET", "POST"])
@requires(Permission.USERS_MANAGE)
def set_password(user_id: uuid.UUID) -> ResponseReturnValue:
    form = SetPasswordForm()
    submitted = form.validate_on_submit()
    command = load_command(form, SetPasswordSchema(), SetPasswordCommand) if submitted else None
    if command is not None:
        try:
            with transaction():
                service.set_password(
                    current_actor(), user_id=user_id, command=command, settings=_settings()
                )
        except service.Refused as refused:
            add_error(form, refused.field, refused.message)
        else:
            flash(SIGN_IN_RESET, "success")
            return redirect(url_for("users.show_user", user_id=user_id))
    with transaction(reads_only=True):
        user = service.get_user(current_actor(), user_id=user_id)
        page = render_template("users/password.html", form=form, user=user)
    return page, form_status(form)


@bp.post("/<uuid:user_id>/disable")
@requires(Permission.USERS_MANAGE)
def disable_user(user_id: uuid.UUID) -> ResponseReturnValue:
    return _perform(service.disable_user, user_id, DISABLED)


@bp.post("/<uuid:user_id>/enable")
@requires(Permission.USERS_MANAGE)
def enable_user(user_id: uuid.UUID) -> ResponseReturnValue:
    return _perform(service.enable_user, user_id, ENABLED)


@bp.post("/<uuid:user_id>/reset-second-factor")
@requires(Permission.USERS_MANAGE)
def reset_second_factor(user_id: uuid.UUID) -> ResponseReturnValue:
    return _perform(service.reset_second_factor, user_id, SECOND_FACTOR_RESET)


@bp.post("/<uuid:user_id>/end-sessions")
@requires(Permission.USERS_MANAGE)
def end_sessions(user_id: uuid.UUID) -> ResponseReturnValue:
    return _perform(service.end_sessions, user_id, SESSIONS_ENDED)


@bp.post("/<uuid:user_id>/unlock-sign-in")
@requires(Permission.USERS_MANAGE)
def unlock_sign_in(user_id: uuid.UUID) -> ResponseReturnValue:
    return _perform(service.unlock_sign_in, user_id, UNLOCKED)


@bp.post("/<uuid:user_id>/identities/<uuid:identity_id>/remove")
@requires(Permission.USERS_MANAGE)
def remove_identity(user_id: uuid.UUID, identity_id: uuid.UUID) -> ResponseReturnValue:
    use_case = partial(service.remove_identity, identity_id=identity_id, settings=_settings())
    return _perform(use_case, user_id, IDENTITY_REMOVED)


def _perform(use_case: Callable[..., object], user_id: uuid.UUID, done: str) -> ResponseReturnValue:
    """Run one account action (a button on the user's page) and go back to that page."""
    try:
        with transaction():
            use_case(current_actor(), user_id=user_id)
    except service.Refused as refused:
        flash_problem(refused.message, about=refused.field)
    else:
        flash(done, "success")
    return redirect(url_for("users.show_user", user_id=user_id))
