"""Information-governance pages.

Every route is declared for any signed-in user (``home:view``) and the service refuses anyone
without the IG permission with the uniform 404 and an ``AUTHZ_FAIL`` event, so that the pages'
existence is not revealed by a 403. Each view calls services inside one ``with transaction():``,
renders inside it, and returns after the commit of its ``LOG_READ`` event.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from portal.access.decorators import requires
from portal.access.permissions import Permission
from portal.core.actor import current_actor
from portal.db.transaction import transaction
from portal.governance import exports, reach, service
from portal.governance.forms import UK, SearchForm, parse_cursor

bp = Blueprint("governance", __name__, url_prefix="/governance")

#: The access log's metadata names people and subjects: every IG page is marked so.
IG_MARKING = "OFFICIAL-SENSITIVE"
SEARCH_FIELDS = (
    "subject",
    "record",
    "user",
    "agency",
    "event_type",
    "basis",
    "marking",
    "grant",
    "date_from",
    "date_to",
)


@bp.app_template_filter("uk_time")
def uk_time(moment: datetime) -> str:
    """A time as UK people read it: ``23 Nov 2026 14:05:09 GMT``."""
    return moment.astimezone(UK).strftime("%d %b %Y %H:%M:%S %Z")


def _search_args() -> dict[str, str]:
    """The current search's filters, to carry into paging links and export buttons."""
    return {n: request.args[n] for n in SEARCH_FIELDS if request.args.get(n)}


@bp.get("/log")
@requires(Permission.HOME_VIEW)
def log_search() -> ResponseReturnValue:
    actor = current_actor()
    form = SearchForm(request.args)
    with transaction():
        users, agencies = service.search_choices(actor)
        form.set_people(users, agencies)
        result = None
        status = 200
        if request.args:
            if form.validate():
                result = service.search_log(
                    actor, form.filters(), after=parse_cursor(request.args.get("after"))
                )
            else:
                status = 400
        page = render_template(
            "governance/search.html",
            form=form,
            result=result,
            args=_search_args(),
            marking=IG_MARKING,
            export_limit=f"{exports.EXPORT_LIMIT:,}",
        )
    return page, status


@bp.post("/log/export")
@requires(Permission.HOME_VIEW)
def log_export() -> ResponseReturnValue:
    actor = current_actor()
    fields = MultiDict([(n, request.form[n]) for n in SEARCH_FIELDS if request.form.get(n)])
    form = SearchForm(fields)
    try:
        with transaction():
            users, agencies = service.search_choices(actor)
            form.set_people(users, agencies)
            if not form.validate():
                raise exports.BadExport("Check the search filters")
            export = exports.export_log(
                actor,
                form.filters(),
                fmt=request.form.get("format", ""),
                recipient=request.form.get("recipient", ""),
            )
    except exports.BadExport as bad:
        with transaction():
            users, agencies = service.search_choices(actor)
            form.set_people(users, agencies)
            page = render_template(
                "governance/search.html",
                form=form,
                result=None,
                args=dict(fields),
                marking=IG_MARKING,
                export_error=str(bad),
                export_limit=f"{exports.EXPORT_LIMIT:,}",
            )
        return page, 400
    response = Response(export.data, mimetype=export.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/log/<int:seq>")
@requires(Permission.HOME_VIEW)
def log_event(seq: int) -> ResponseReturnValue:
    with transaction():
        view = service.show_event(current_actor(), seq)
        page = render_template("governance/event.html", view=view, marking=IG_MARKING)
    return page


@bp.get("/subjects/<uuid:subject_id>/accessed")
@requires(Permission.HOME_VIEW)
def who_accessed(subject_id: uuid.UUID) -> ResponseReturnValue:
    with transaction():
        view = reach.who_accessed(current_actor(), subject_id)
        page = render_template("governance/accessed.html", view=view, marking=IG_MARKING)
    return page


@bp.get("/subjects/<uuid:subject_id>/access")
@requires(Permission.HOME_VIEW)
def who_can_access(subject_id: uuid.UUID) -> ResponseReturnValue:
    with transaction():
        view = reach.who_can_access(current_actor(), subject_id)
        page = render_template("governance/access.html", view=view, marking=IG_MARKING)
    return page
