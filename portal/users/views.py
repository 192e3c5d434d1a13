"""Agency administrators manage the users of their own agency."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from portal.access.decorators import requires
from portal.access.permissions import Permission
from portal.core.actor import current_actor
from portal.db.transaction import transaction
from portal.users import service

bp = Blueprint("users", __name__, url_prefix="/users")


@bp.get("/")
@requires(Permission.USERS_MANAGE)
def list_users() -> ResponseReturnValue:
    with transaction():
        users = service.list_agency_users(current_actor())
        page = render_template("users/list.html", users=users)
    return page
