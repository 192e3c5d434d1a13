"""Grant pages: a subject's grants, the grant and request forms, the requests queue, the
life-cycle actions (POST only, with CSRF), and a subject's LAO lists.

Each view parses input, calls one service function inside ``with transaction():``, renders
inside the block and returns after it. A refusal by the gate is the same 404 as a missing id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from marshmallow import Schema

from portal.access.decorators import requires
from portal.access.gate import AccessDenied
from portal.access.permissions import Permission
from portal.core.actor import current_actor
from portal.core.error_summary import flash_problem, form_status
from portal.core.once import AlreadySent, saved_once, saving_once
from portal.db.transaction import transaction
from portal.grants import lao, pages, service
from portal.grants.forms import (
    ApproveForm,
    GrantForm,
    LaoForm,
    ReasonForm,
    RenewForm,
    RequestForm,
)
from portal.grants.schemas import (
    ApproveCommand,
    ApproveRequestSchema,
    GrantAccessSchema,
    GrantCommand,
    LaoCommand,
    LaoListSchema,
    ReasonCommand,
    ReasonSchema,
    RenewCommand,
    RenewGrantSchema,
    RequestAccessSchema,
    RequestCommand,
)
from portal.users.forms import add_error, load_command, page_error

bp = Blueprint("grants", __name__)

GRANTED = "Access given. The partner agency can open it now"
REQUESTED = (
    "Request sent. If the identifier matches a subject held by another agency, that agency "
    "will decide on it; you will see the subject under ‘Shared with my agency’ once approved"
)
DONE = {
    "approve": "Request approved. The partner agency can open it now",
    "refuse": "Request refused. The reason is recorded",
    "revoke": "Access revoked. It ends with the partner's very next request",
    "suspend": "Access suspended. Resume it to give it back",
    "resume": "Access resumed",
    "renew": "Access renewed",
}
LAO_SAVED = "List saved. It applies to the very next request"
LAO_KINDS = ("EXCLUSION", "RESTRICTION")


C = TypeVar("C")


def _load(form: FlaskForm, schema: Schema, command: type[C]) -> C | None:
    """The command from a submitted form (CSRF checked), or None (errors are on the form)."""
    return load_command(form, schema, command) if form.validate_on_submit() else None


@bp.get("/subjects/<uuid:subject_id>/grants")
@requires(Permission.GRANT_MANAGE)
def list_grants(subject_id: uuid.UUID) -> ResponseReturnValue:
    with transaction(reads_only=True):
        page = pages.subject_grants(current_actor(), subject_id=subject_id)
        html = render_template("grants/list.html", page=page)
    return html


@bp.route("/subjects/<uuid:subject_id>/grants/new", methods=["GET", "POST"])
@requires(Permission.GRANT_MANAGE)
def new_grant(subject_id: uuid.UUID) -> ResponseReturnValue:
    form = GrantForm()
    command = _load(form, GrantAccessSchema(), GrantCommand)
    if command is not None:
        actor = current_actor()
        listed = url_for("grants.list_grants", subject_id=subject_id)
        try:
            with saving_once(form.submission.data, user_id=actor.user_id) as saved:
                service.grant_access(actor, subject_id=subject_id, command=command)
                saved.location = listed
        except service.Refused as refused:
            add_error(form, refused.field, refused.message)
        except AlreadySent as sent:
            return saved_once(sent, otherwise=listed)
        else:
            flash(GRANTED, "success")
            return redirect(listed)
    with transaction():
        page = pages.grant_form(current_actor(), subject_id=subject_id)
        form.set_choices(page.agencies, page.records)
        html = render_template("grants/new.html", form=form, page=page)
    return html, form_status(form)


@bp.route("/grants/request", methods=["GET", "POST"])
@requires(Permission.GRANT_REQUEST)
def request_access() -> ResponseReturnValue:
    form = RequestForm()
    command = _load(form, RequestAccessSchema(), RequestCommand)
    if command is not None:
        try:
            with transaction():
                service.request_access(current_actor(), command=command)
        except service.Refused as refused:
            add_error(form, refused.field, refused.message)
        else:
            flash(REQUESTED, "success")
            return redirect(url_for("grants.request_access"))
    return render_template("grants/request.html", form=form), form_status(form)


@bp.get("/grants/requests")
@requires(Permission.GRANT_MANAGE)
def pending_requests() -> ResponseReturnValue:
    with transaction(reads_only=True):
        page = pages.pending_requests(current_actor())
        html = render_template("grants/requests.html", requests=page.requests, page=page)
    return html


def _summary_page(
    grant_id: uuid.UUID, template: str, form: object, **extra: object
) -> ResponseReturnValue:
    with transaction(reads_only=True):
        summary = pages.grant_summary(current_actor(), grant_id=grant_id)
        html = render_template(template, form=form, summary=summary, **extra)
    return html, form_status(form)


def _done(action: str, subject_id: uuid.UUID) -> ResponseReturnValue:
    flash(DONE[action], "success")
    return redirect(url_for("grants.list_grants", subject_id=subject_id))


def _not_possible(impossible: service.NotPossible, grant_id: uuid.UUID) -> ResponseReturnValue:
    """Back to the subject's grants, with the refusal linked to the grant's row (its status now
    says why)."""
    flash_problem(impossible.message, about=f"grant-{grant_id}")
    return redirect(url_for("grants.list_grants", subject_id=impossible.subject_id))


@bp.route("/grants/<uuid:grant_id>/approve", methods=["GET", "POST"])
@requires(Permission.GRANT_MANAGE)
def approve(grant_id: uuid.UUID) -> ResponseReturnValue:
    form = ApproveForm()
    command = _load(form, ApproveRequestSchema(), ApproveCommand)
    if command is not None:
        try:
            with transaction():
                subject_id = service.approve_request(
                    current_actor(), grant_id=grant_id, command=command
                )
        except service.Refused as refused:
            add_error(form, refused.field, refused.message)
        except service.NotPossible as impossible:
            return _not_possible(impossible, grant_id)
        else:
            return _done("approve", subject_id)
    return _summary_page(grant_id, "grants/approve.html", form)


ReasonUseCase = Callable[..., uuid.UUID]
_REASONED: dict[str, tuple[ReasonUseCase, str]] = {
    "refuse": (service.refuse_request, "Refuse the request"),
    "revoke": (service.revoke_grant, "Revoke access"),
    "suspend": (service.suspend_grant, "Suspend access"),
}


def _reasoned(action: str, grant_id: uuid.UUID) -> ResponseReturnValue:
    use_case, title = _REASONED[action]
    form = ReasonForm()
    command = _load(form, ReasonSchema(), ReasonCommand)
    if command is not None:
        try:
            with transaction():
                subject_id = use_case(current_actor(), grant_id=grant_id, command=command)
        except service.NotPossible as impossible:
            return _not_possible(impossible, grant_id)
        return _done(action, subject_id)
    return _summary_page(grant_id, "grants/reason.html", form, title=title, action=action)


@bp.route("/grants/<uuid:grant_id>/refuse", methods=["GET", "POST"])
@requires(Permission.GRANT_MANAGE)
def refuse(grant_id: uuid.UUID) -> ResponseReturnValue:
    return _reasoned("refuse", grant_id)


@bp.route("/grants/<uuid:grant_id>/revoke", methods=["GET", "POST"])
@requires(Permission.GRANT_MANAGE)
def revoke(grant_id: uuid.UUID) -> ResponseReturnValue:
    return _reasoned("revoke", grant_id)


@bp.route("/grants/<uuid:grant_id>/suspend", methods=["GET", "POST"])
@requires(Permission.GRANT_MANAGE)
def suspend(grant_id: uuid.UUID) -> ResponseReturnValue:
    return _reasoned("suspend", grant_id)


@bp.post("/grants/<uuid:grant_id>/resume")
@requires(Permission.GRANT_MANAGE)
def resume(grant_id: uuid.UUID) -> ResponseReturnValue:
    try:
        with transaction():
            subject_id = service.resume_grant(current_actor(), grant_id=grant_id)
    except service.NotPossible as impossible:
        return _not_possible(impossible, grant_id)
    return _done("resume", subject_id)


@bp.route("/grants/<uuid:grant_id>/renew", methods=["GET", "POST"])
@requires(Permission.GRANT_MANAGE)
def renew(grant_id: uuid.UUID) -> ResponseReturnValue:
    form = RenewForm()
    command = _load(form, RenewGrantSchema(), RenewCommand)
    if command is not None:
        try:
            with transaction():
                subject_id = service.renew_grant(
                    current_actor(), grant_id=grant_id, command=command
                )
        except service.Refused as refused:
            add_error(form, refused.field, refused.message)
        except service.NotPossible as impossible:
            return _not_possible(impossible, grant_id)
        else:
            return _done("renew", subject_id)
    with transaction():
        summary = pages.grant_summary(current_actor(), grant_id=grant_id)
        if not form.is_submitted():
            form.legal_gateway.data = summary.row.legal_gateway.code
            form.dp_condition.data = summary.row.dp_condition.code
            form.isa_reference.data = summary.row.isa_reference
            form.expires_on.fill(summary.row.expires_at.date() + timedelta(days=90))
        html = render_template("grants/renew.html", form=form, summary=summary)
    return html, form_status(form)


@bp.route("/subjects/<uuid:subject_id>/access-lists", methods=["GET", "POST"])
@requires(Permission.LAO_MANAGE)
def access_lists(subject_id: uuid.UUID) -> ResponseReturnValue:
    submitted_kind = request.form.get("kind") if request.method == "POST" else None
    if request.method == "POST" and submitted_kind not in LAO_KINDS:
        # The page's two forms each send their list's kind; anything else was not sent by them.
        abort(400)
    forms = {
        kind: (LaoForm() if kind == submitted_kind else LaoForm(formdata=None)).for_list(kind)
        for kind in LAO_KINDS
    }
    form = forms.get(submitted_kind or "")
    command = _load(form, LaoListSchema(), LaoCommand) if form is not None else None
    if command is not None and form is not None:
        try:
            with transaction():
                lao.set_lao_list(current_actor(), subject_id=subject_id, command=command)
        except lao.ChangedMeanwhile as changed:
            page_error(form, changed.message)
            form.version.data = changed.version  # sent again, the answers are saved
        except service.Refused as refused:
            add_error(form, refused.field, refused.message)
        else:
            flash(LAO_SAVED, "success")
            return redirect(url_for("grants.access_lists", subject_id=subject_id))
    with transaction():
        page = lao.lao_page(current_actor(), subject_id=subject_id)
        for kind, lao_form in forms.items():
            if kind != submitted_kind:
                shown = page.exclusion if kind == "EXCLUSION" else page.restriction
                lao_form.kind.data = kind
                lao_form.members.data = "\n".join(p.email for p in shown.members)
                lao_form.message.data = shown.message
                lao_form.version.data = shown.version
        html = render_template("grants/access_lists.html", page=page, forms=forms, form=form)
    return html, form_status(form)


@bp.app_errorhandler(AccessDenied)
def refused(exc: AccessDenied) -> ResponseReturnValue:
    """The refusal page: the generic 404 unless an LAO list refused, whose owner wrote a
    message for the refused user."""
    if exc.lao_message is None or request.path.startswith("/api/"):
        # Exactly the page portal.errors gives every other 404.
        from portal.errors import _render

        return _render(404)
    html = render_template(
        "grants/lao_refused.html", message=exc.lao_message, status=404, hide_account=True
    )
    return html, 404
