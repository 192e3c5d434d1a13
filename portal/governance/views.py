"""Information-governance pages.

Every route is declared for any signed-in user (``home:view``) and the service refuses anyone
without the IG permission with the uniform 404 and an ``AUTHZ_FAIL`` event, so that the pages'
existence is not revealed by a 403. Each view calls services inside one ``with transaction():``,
renders inside it, and returns after the commit of its ``LOG_READ`` event.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from portal.access.decorators import requires
from portal.access.permissions import Permission
from portal.access.policy import allows
from portal.core.actor import current_actor
from portal.core.error_summary import form_status
from portal.db.transaction import transaction
from portal.governance import alerts, breakglass, exports, integrity, reach, service
from portal.governance.forms import (
    BreakGlassForm,
    DispositionForm,
    ExportForm,
    SearchForm,
    VerifyForm,
    parse_cursor,
)

bp = Blueprint("governance", __name__, url_prefix="/governance")

#: The access log's metadata names people and subjects: every IG page is marked so.
IG_MARKING = "OFFICIAL-SENSITIVE"
DISPOSED = "Decision recorded"
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
        if request.args and form.validate():
            result = service.search_log(
                actor, form.filters(), after=parse_cursor(request.args.get("after"))
            )
        page = render_template(
            "governance/search.html",
            form=form,
            second_form=ExportForm(),
            result=result,
            args=_search_args(),
            marking=IG_MARKING,
            export_limit=f"{exports.EXPORT_LIMIT:,}",
        )
    return page, form_status(form)


@bp.post("/log/export")
@requires(Permission.HOME_VIEW)
def log_export() -> ResponseReturnValue:
    actor = current_actor()
    fields = MultiDict([(n, request.form[n]) for n in SEARCH_FIELDS if request.form.get(n)])
    form = SearchForm(fields)
    export_form = ExportForm()
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
        if isinstance(bad, exports.TooManyEvents):  # the search is what to change
            form.date_from.errors = [str(bad)]
        elif not form.errors:  # otherwise the filters' own errors say what to change
            export_form.recipient.errors = [str(bad)]
        with transaction():
            users, agencies = service.search_choices(actor)
            form.set_people(users, agencies)
            page = render_template(
                "governance/search.html",
                form=form,
                second_form=export_form,
                result=None,
                args=dict(fields),
                marking=IG_MARKING,
                export_failed=True,
                export_limit=f"{exports.EXPORT_LIMIT:,}",
            )
        return page, form_status(form, export_form)
    response = Response(export.data, mimetype=export.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# An event number past the largest the log's BIGINT can hold is simply not found (404).
@bp.get("/log/<int(max=9223372036854775807):seq>")
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


# --- Alerts ---------------------------------------------------------------------------------


@bp.get("/alerts")
@requires(Permission.HOME_VIEW)
def alert_queue() -> ResponseReturnValue:
    with transaction():
        view = alerts.queue(current_actor())
        page = render_template("governance/alerts.html", view=view, marking=IG_MARKING)
    return page


@bp.route("/alerts/<uuid:alert_id>", methods=["GET", "POST"])
@requires(Permission.HOME_VIEW)
def alert_review(alert_id: uuid.UUID) -> ResponseReturnValue:
    actor = current_actor()
    form = DispositionForm()
    if form.validate_on_submit():
        try:
            with transaction():
                alerts.dispose(
                    actor,
                    alert_id,
                    outcome=form.outcome.data or "",
                    notes=form.notes.data or "",
                    seen=form.version.data or "",
                )
        except alerts.DispositionRefused as refused:
            getattr(form, refused.field).errors = [refused.message]
            if isinstance(refused, alerts.DecidedMeanwhile):
                form.version.data = refused.version  # sent again, the decision is recorded
        else:
            flash(DISPOSED, "success")
            return redirect(url_for("governance.alert_queue"))
    with transaction():
        item = alerts.show_alert(actor, alert_id)
        if not form.is_submitted():
            form.version.data = alerts.decision_version(item)
        page = render_template("governance/alert.html", form=form, item=item, marking=IG_MARKING)
    return page, form_status(form)


# --- Break-glass ----------------------------------------------------------------------------


@bp.route("/break-glass/<uuid:subject_id>", methods=["GET", "POST"])
@requires(Permission.HOME_VIEW)
def break_glass(subject_id: uuid.UUID) -> ResponseReturnValue:
    actor = current_actor()
    form = BreakGlassForm()
    opened = url_for("subjects.show_subject", subject_id=subject_id)
    try:
        if form.validate_on_submit():
            try:
                with transaction():
                    breakglass.break_glass(actor, subject_id, reason=form.reason.data or "")
            except breakglass.ReasonRefused as refused:
                form.reason.errors = [str(refused)]
            else:
                return redirect(opened)
        with transaction():
            breakglass.check_may_break_glass(actor, subject_id)
            page = render_template("governance/break_glass.html", form=form, subject_id=subject_id)
    except breakglass.AlreadyAllowed:
        return redirect(opened)
    return page, form_status(form)


# --- Integrity ------------------------------------------------------------------------------


@bp.get("/integrity")
@requires(Permission.HOME_VIEW)
def integrity_panel() -> ResponseReturnValue:
    with transaction():
        view = integrity.panel(current_actor(), request.args.get("job"))
        page = render_template(
            "governance/integrity.html", view=view, form=VerifyForm(), marking=IG_MARKING
        )
    return page


@bp.post("/integrity/verify")
@requires(Permission.HOME_VIEW)
def integrity_verify() -> ResponseReturnValue:
    actor = current_actor()
    with transaction():
        if not VerifyForm().validate_on_submit():
            service.require(actor, Permission.LOG_READ)
            return redirect(url_for("governance.integrity_panel"))
        job = integrity.start_verification(actor)
    return redirect(url_for("governance.integrity_panel", job=job.job_id))


# --- The break-glass banner on every page ---------------------------------------------------


@bp.app_context_processor
def break_glass_banner() -> dict[str, object]:
    def windows() -> list[breakglass.OpenWindow]:
        if not current_user.is_authenticated:
            return []
        if not allows(frozenset(current_user.roles), Permission.BREAK_GLASS):
            return []
        return breakglass.open_windows(current_user.id, now=getattr(session, "opened_at", None))

    return {"break_glass_windows": windows}
