"""Record pages: add a record to a subject, view one record, edit it, acknowledge confidentiality.

Each view calls one service function inside ``with transaction():``, renders inside the block
and returns after it.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from portal.access.decorators import requires
from portal.access.gate import AccessDenied, AcknowledgementRequired
from portal.access.permissions import Permission
from portal.core.actor import current_actor
from portal.core.error_summary import form_status
from portal.core.once import AlreadySent, saved_once, saving_once
from portal.db.transaction import transaction
from portal.records import service
from portal.records.forms import EditRecordForm, RecordForm, add_error, load_command, page_error
from portal.records.schemas import CreateRecordSchema, EditRecordSchema, RecordCommand
from portal.subjects.forms import AcknowledgeForm
from portal.subjects.views import refusal_page

bp = Blueprint("records", __name__)
bp.register_error_handler(AccessDenied, refusal_page)

CREATED = "Record added"
SAVED = "Record updated"
ACKNOWLEDGED = "You have agreed to the confidentiality statement"


@bp.route("/subjects/<uuid:subject_id>/records/new", methods=["GET", "POST"])
@requires(Permission.RECORD_WRITE)
def add_record(subject_id: uuid.UUID) -> ResponseReturnValue:
    form = RecordForm()
    command = _command(form, CreateRecordSchema())
    if command is not None:
        actor = current_actor()
        try:
            with saving_once(form.submission.data, user_id=actor.user_id) as saved:
                record_id = service.create_record(actor, subject_id=subject_id, command=command)
                saved.location = url_for("records.show_record", record_id=record_id)
        except service.Refused as refused:
            add_error(form, refused.field, refused.message)
        except AlreadySent as sent:
            return saved_once(
                sent, otherwise=url_for("subjects.show_subject", subject_id=subject_id)
            )
        else:
            flash(CREATED, "success")
            return redirect(url_for("records.show_record", record_id=record_id))
    with transaction():
        subject = service.subject_for_new_record(current_actor(), subject_id=subject_id)
        marking = form.entered_banner(stored=subject.marking)
        page = render_template("records/new.html", form=form, subject=subject, marking=marking)
    return page, form_status(form)


@bp.get("/records/<uuid:record_id>")
@requires(Permission.SUBJECT_READ)
def show_record(record_id: uuid.UUID) -> ResponseReturnValue:
    try:
        with transaction(reads_only=True):
            view = service.view_record(current_actor(), record_id=record_id)
            page = render_template("records/show.html", view=view)
    except AcknowledgementRequired:
        return redirect(url_for("records.acknowledge", record_id=record_id))
    return page


@bp.route("/records/<uuid:record_id>/edit", methods=["GET", "POST"])
@requires(Permission.RECORD_WRITE)
def edit_record(record_id: uuid.UUID) -> ResponseReturnValue:
    form = EditRecordForm()
    command = _command(form, EditRecordSchema())
    if command is not None:
        try:
            with transaction():
                service.edit_record(current_actor(), record_id=record_id, command=command)
        except service.ChangedMeanwhile as changed:
            page_error(form, changed.message)
            form.version.data = changed.version  # sent again, the answers are saved
        except service.Refused as refused:
            add_error(form, refused.field, refused.message)
        else:
            flash(SAVED, "success")
            return redirect(url_for("records.show_record", record_id=record_id))
    with transaction():
        found = service.record_for_edit(current_actor(), record_id=record_id)
        if not form.is_submitted():
            form.fill(found.record, found.marking)
            form.version.data = service.edit_version(found.record)
        marking = form.entered_banner(stored=found.shown)
        page = render_template("records/edit.html", form=form, found=found, marking=marking)
    return page, form_status(form)


@bp.route("/records/<uuid:record_id>/acknowledge", methods=["GET", "POST"])
@requires(Permission.SUBJECT_READ)
def acknowledge(record_id: uuid.UUID) -> ResponseReturnValue:
    form = AcknowledgeForm()
    opened = url_for("records.show_record", record_id=record_id)
    try:
        if form.validate_on_submit():
            with transaction():
                service.acknowledge(current_actor(), record_id=record_id)
            flash(ACKNOWLEDGED, "success")
            return redirect(opened)
        with transaction():
            service.pending_acknowledgement(current_actor(), record_id=record_id)
            cancel = url_for("subjects.shared_with_agency")
            page = render_template("subjects/acknowledge.html", form=form, cancel=cancel)
    except service.AlreadyAcknowledged:
        return redirect(opened)
    return page, form_status(form)


def _command(form: RecordForm, schema: CreateRecordSchema) -> RecordCommand | None:
    return load_command(form, schema, RecordCommand) if form.validate_on_submit() else None
