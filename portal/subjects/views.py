"""Subject pages: the agency's list, create, view, edit, print, the confidentiality
acknowledgement, and "Shared with my agency".

Each view parses input, calls one service function inside ``with transaction():``, renders inside
the block and returns after it, so nothing protected leaves before its audit event commits.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.access.decorators import requires
from portal.access.gate import AccessDenied, AcknowledgementRequired
from portal.access.permissions import Permission
from portal.access.policy import allows
from portal.core.actor import current_actor
from portal.core.error_summary import form_status
from portal.core.once import AlreadySent, saved_once, saving_once
from portal.db.transaction import transaction
from portal.subjects import service
from portal.subjects.forms import (
    AcknowledgeForm,
    EditSubjectForm,
    SubjectForm,
    add_error,
    load_command,
    page_error,
)
from portal.subjects.schemas import CreateSubjectSchema, EditSubjectSchema, SubjectCommand

bp = Blueprint("subjects", __name__)

CREATED = "Subject added"
SAVED = "Subject updated"
ACKNOWLEDGED = "You have agreed to the confidentiality statement"


@bp.get("/subjects/")
@requires(Permission.SUBJECT_WRITE)
def list_subjects() -> ResponseReturnValue:
    with transaction(reads_only=True):
        listing = service.list_own_subjects(current_actor())
        page = render_template("subjects/list.html", listing=listing)
    return page


@bp.get("/shared")
@requires(Permission.SUBJECT_READ)
def shared_with_agency() -> ResponseReturnValue:
    with transaction(reads_only=True):
        shared = service.list_shared_with_agency(current_actor())
        page = render_template("subjects/shared.html", shared=shared)
    return page


@bp.route("/subjects/new", methods=["GET", "POST"])
@requires(Permission.SUBJECT_WRITE)
def create_subject() -> ResponseReturnValue:
    form = SubjectForm()
    command = _command(form, CreateSubjectSchema())
    if command is not None:
        actor = current_actor()
        try:
            with saving_once(form.submission.data, user_id=actor.user_id) as saved:
                subject_id = service.create_subject(actor, command=command)
                saved.location = url_for("subjects.show_subject", subject_id=subject_id)
        except service.Refused as refused:
            add_error(form, refused.field, refused.message)
        except AlreadySent as sent:
            return saved_once(sent, otherwise=url_for("subjects.list_subjects"))
        else:
            flash(CREATED, "success")
            return redirect(url_for("subjects.show_subject", subject_id=subject_id))
    with transaction():
        form.set_agencies(service.agency_choices(current_actor()))
        page = render_template("subjects/new.html", form=form, marking=form.entered_banner())
    return page, form_status(form)


@bp.get("/subjects/<uuid:subject_id>")
@requires(Permission.SUBJECT_READ)
def show_subject(subject_id: uuid.UUID) -> ResponseReturnValue:
    try:
        with transaction(reads_only=True):
            view = service.view_subject(current_actor(), subject_id=subject_id)
            page = render_template("subjects/show.html", view=view)
    except AcknowledgementRequired:
        return _to_acknowledgement(subject_id)
    return page


@bp.route("/subjects/<uuid:subject_id>/edit", methods=["GET", "POST"])
@requires(Permission.SUBJECT_WRITE)
def edit_subject(subject_id: uuid.UUID) -> ResponseReturnValue:
    form = EditSubjectForm()
    command = _command(form, EditSubjectSchema())
    if command is not None:
        try:
            with transaction():
                service.edit_subject(current_actor(), subject_id=subject_id, command=command)
        except service.ChangedMeanwhile as changed:
            page_error(form, changed.message)
            form.version.data = changed.version  # sent again, the answers are saved
        except service.Refused as refused:
            add_error(form, refused.field, refused.message)
        else:
            flash(SAVED, "success")
            return redirect(url_for("subjects.show_subject", subject_id=subject_id))
    with transaction():
        subject = service.subject_for_edit(current_actor(), subject_id=subject_id)
        form.set_agencies(service.agency_choices(current_actor()))
        if not form.is_submitted():
            form.fill(subject)
            form.version.data = service.edit_version(subject)
        marking = form.entered_banner(stored=subject.marking)
        page = render_template("subjects/edit.html", form=form, subject=subject, marking=marking)
    return page, form_status(form)


@bp.post("/subjects/<uuid:subject_id>/print")
@requires(Permission.SUBJECT_PRINT)
def print_subject(subject_id: uuid.UUID) -> ResponseReturnValue:
    # POST (with its CSRF token): a printout is a disclosure, which no cross-site link or
    # prefetch may record in the user's name.
    actor = current_actor()
    recipient = f"printed by {actor.display_name}"[:200]
    try:
        with transaction():
            view = service.print_subject(actor, subject_id=subject_id, recipient=recipient)
            page = render_template("subjects/print.html", view=view, printed_by=actor)
    except AcknowledgementRequired:
        return _to_acknowledgement(subject_id)
    return page


@bp.route("/subjects/<uuid:subject_id>/acknowledge", methods=["GET", "POST"])
@requires(Permission.SUBJECT_READ)
def acknowledge(subject_id: uuid.UUID) -> ResponseReturnValue:
    form = AcknowledgeForm()
    opened = url_for("subjects.show_subject", subject_id=subject_id)
    try:
        if form.validate_on_submit():
            with transaction():
                service.acknowledge(current_actor(), subject_id=subject_id)
            flash(ACKNOWLEDGED, "success")
            return redirect(opened)
        with transaction():
            service.pending_acknowledgement(current_actor(), subject_id=subject_id)
            page = render_template("subjects/acknowledge.html", form=form, cancel=_shared())
    except service.AlreadyAcknowledged:
        return redirect(opened)
    return page, form_status(form)


@bp.errorhandler(AccessDenied)
def refused(exc: AccessDenied) -> ResponseReturnValue:
    return refusal_page(exc)


def refusal_page(exc: AccessDenied) -> ResponseReturnValue:
    """A refusal looks exactly like a missing page (``errors/404.html``, as the app's handler
    renders it), except when a limited-access list refused: its owner wrote the message for
    the person it refuses, so that person is shown it. Nothing is read from the database."""
    if exc.lao_message:
        page = render_template(
            "subjects/restricted.html", message=exc.lao_message, hide_account=True
        )
        return page, 404
    page = render_template(
        "errors/404.html",
        status=404,
        hide_account=True,
        emergency_access=_emergency_access_link(),
    )
    return page, 404


def _emergency_access_link() -> str | None:
    """On a subject's page, the way to emergency access for the subject id in the address, for
    a user who holds ``break_glass:use``; otherwise None.

    It depends on the address and the user's roles only, never on whether the subject exists or
    why it was refused, so a subject the user may not see still answers exactly like one that
    does not exist; the emergency-access page decides whether the glass may be broken.
    """
    if request.endpoint != "subjects.show_subject" or not current_user.is_authenticated:
        return None
    if not allows(frozenset(current_user.roles), Permission.BREAK_GLASS):
        return None
    subject_id = (request.view_args or {}).get("subject_id")
    return url_for("governance.break_glass", subject_id=subject_id)


def _command(form: SubjectForm, schema: CreateSubjectSchema) -> SubjectCommand | None:
    return load_command(form, schema, SubjectCommand) if form.validate_on_submit() else None


def _to_acknowledgement(subject_id: uuid.UUID) -> Response:
    return redirect(url_for("subjects.acknowledge", subject_id=subject_id))


def _shared() -> str:
    return url_for("subjects.shared_with_agency")
