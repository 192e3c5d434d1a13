"""Meeting, minutes and action pages, and "Our actions".

Each view parses input, calls one service function inside ``with transaction():``, renders
inside the block and returns after it.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from portal.access.decorators import requires
from portal.access.gate import AccessDenied, AcknowledgementRequired
from portal.access.permissions import Permission
from portal.core.actor import current_actor
from portal.core.error_summary import flash_problem, form_status
from portal.core.inputs import is_ascii_number
from portal.core.once import AlreadySent, saved_once, saving_once
from portal.db.transaction import transaction
from portal.meetings import actions, minutes, service
from portal.meetings.forms import (
    ActionFilterForm,
    ActionForm,
    AmendForm,
    ApproveForm,
    DistributeForm,
    MeetingForm,
    ProgressForm,
    add_error,
    distribute_form,
    load_command,
)
from portal.meetings.schemas import (
    ActionCommand,
    ActionSchema,
    AmendCommand,
    AmendSchema,
    MeetingCommand,
    MeetingSchema,
    ProgressCommand,
    ProgressSchema,
    load_distribution,
)
from portal.subjects.views import refusal_page

bp = Blueprint("meetings", __name__)
bp.register_error_handler(AccessDenied, refusal_page)


def _errors(form: object, refused: service.Refused) -> None:
    for field, message in refused.problems:
        add_error(form, field, message)


@bp.get("/subjects/<uuid:subject_id>/meetings")
@requires(Permission.MEETING_WRITE)
def list_meetings(subject_id: uuid.UUID) -> ResponseReturnValue:
    with transaction(reads_only=True):
        subject, rows = service.list_meetings(current_actor(), subject_id=subject_id)
        page = render_template("meetings/list.html", subject=subject, rows=rows)
    return page


@bp.route("/subjects/<uuid:subject_id>/meetings/new", methods=["GET", "POST"])
@requires(Permission.MEETING_WRITE)
def create_meeting(subject_id: uuid.UUID) -> ResponseReturnValue:
    form = MeetingForm()
    form.set_agencies(service.agency_choices())
    if form.validate_on_submit():
        command = load_command(form, MeetingSchema(), MeetingCommand)
        if command is not None:
            actor = current_actor()
            try:
                with saving_once(form.submission.data, user_id=actor.user_id) as saved:
                    meeting_id = service.create_meeting(
                        actor, subject_id=subject_id, command=command
                    )
                    saved.location = url_for("meetings.show_meeting", meeting_id=meeting_id)
            except service.Refused as refused:
                _errors(form, refused)
            except AlreadySent as sent:
                listed = url_for("meetings.list_meetings", subject_id=subject_id)
                return saved_once(sent, otherwise=listed)
            else:
                flash("Meeting recorded", "success")
                return redirect(url_for("meetings.show_meeting", meeting_id=meeting_id))
    with transaction():
        subject = service.subject_for_meeting(current_actor(), subject_id=subject_id)
        page = render_template("meetings/new.html", form=form, subject=subject)
    return page, form_status(form)


@bp.route("/meetings/<uuid:meeting_id>/edit", methods=["GET", "POST"])
@requires(Permission.MEETING_WRITE)
def edit_meeting(meeting_id: uuid.UUID) -> ResponseReturnValue:
    form = MeetingForm()
    form.set_agencies(service.agency_choices())
    if form.validate_on_submit():
        command = load_command(form, MeetingSchema(), MeetingCommand)
        if command is not None:
            try:
                with transaction():
                    service.edit_meeting(current_actor(), meeting_id=meeting_id, command=command)
            except service.RecordChangedMeanwhile as changed:
                _errors(form, changed)
                form.version.data = changed.version  # sent again, the answers are saved
            except service.Refused as refused:
                _errors(form, refused)
            else:
                flash("Meeting updated", "success")
                return redirect(url_for("meetings.show_meeting", meeting_id=meeting_id))
    return _edit_page(form, meeting_id)


def _edit_page(
    form: MeetingForm, meeting_id: uuid.UUID, refused: service.Refused | None = None
) -> ResponseReturnValue:
    """The edit page: one consultation of the meeting, which also fills the form when it shows
    the stored record (the first view, or the record the chair's approval was ``refused`` on),
    so one page view is one event."""
    with transaction():
        meeting, subject = service.meeting_for_edit(current_actor(), meeting_id=meeting_id)
        if refused is not None or not form.is_submitted():
            form.fill(meeting)
            form.version.data = service.record_version(meeting)
        if refused is not None:
            _errors(form, refused)
        page = render_template(
            "meetings/edit.html", form=form, subject=subject, meeting_id=meeting_id
        )
    return page, form_status(form)


@bp.get("/meetings/<uuid:meeting_id>")
@bp.get("/meetings/<uuid:meeting_id>/versions/<int:number>")
@requires(Permission.SUBJECT_READ)
def show_meeting(meeting_id: uuid.UUID, number: int | None = None) -> ResponseReturnValue:
    try:
        with transaction(reads_only=True):
            view = service.view_meeting(current_actor(), meeting_id=meeting_id, number=number)
            page = render_template(
                "meetings/show.html", view=view, approve=ApproveForm(), amend=AmendForm()
            )
    except AcknowledgementRequired:
        return _acknowledge_first(meeting_id)
    return page


def _acknowledge_first(meeting_id: uuid.UUID) -> ResponseReturnValue:
    with transaction(reads_only=True):
        subject_id = service.subject_of_meeting(meeting_id)
    if subject_id is None:
        return refusal_page(AccessDenied("not_found"))
    return redirect(url_for("subjects.acknowledge", subject_id=subject_id))


@bp.post("/meetings/<uuid:meeting_id>/approve")
@requires(Permission.MEETING_WRITE)
def approve_minutes(meeting_id: uuid.UUID) -> ResponseReturnValue:
    approve = ApproveForm()
    if approve.validate_on_submit():
        try:
            with transaction():
                minutes.approve_minutes(current_actor(), meeting_id=meeting_id)
        except service.Refused as refused:
            form = MeetingForm(formdata=None)
            form.set_agencies(service.agency_choices())
            return _edit_page(form, meeting_id, refused)
        flash("The chair’s approval is recorded", "success")
    return redirect(url_for("meetings.show_meeting", meeting_id=meeting_id))


@bp.route("/meetings/<uuid:meeting_id>/distribute", methods=["GET", "POST"])
@requires(Permission.MEETING_WRITE)
def distribute_minutes(meeting_id: uuid.UUID) -> ResponseReturnValue:
    problems: list[tuple[str, str]] = []
    if DistributeForm().validate_on_submit():
        try:
            command = load_distribution(request.form)
            with transaction():
                minutes.distribute_minutes(current_actor(), meeting_id=meeting_id, command=command)
        except ValidationError as invalid:
            problems = [(str(f), str(m)) for f, m in dict(invalid.messages).items()]  # type: ignore[arg-type]
        except service.Refused as refused:
            problems = refused.problems
        else:
            flash("Minutes distributed", "success")
            return redirect(url_for("meetings.show_meeting", meeting_id=meeting_id))
    # The list is consulted only for a page that is shown: minutes that go out are their
    # DISCLOSURE and grant events, with no consultation of a page nobody saw.
    try:
        with transaction():
            plan = minutes.distribution_for(current_actor(), meeting_id=meeting_id)
            form = distribute_form(plan.recipients, plan.others)
            for field, message in problems:
                add_error(form, field, message)
            page = render_template("meetings/distribute.html", form=form, plan=plan)
    except service.Refused as refused:
        # Minutes not waiting to be distributed: no form to offer. The refusal is shown on the
        # minutes, against their status.
        for _, message in refused.problems:
            flash_problem(message, about="minutes-status")
        return redirect(url_for("meetings.show_meeting", meeting_id=meeting_id))
    return page, form_status(form)


@bp.route("/meetings/<uuid:meeting_id>/amend", methods=["GET", "POST"])
@requires(Permission.MEETING_WRITE)
def amend_minutes(meeting_id: uuid.UUID) -> ResponseReturnValue:
    form = AmendForm()
    if form.validate_on_submit():
        command = load_command(form, AmendSchema(), AmendCommand)
        if command is not None:
            try:
                with transaction():
                    minutes.amend_minutes(current_actor(), meeting_id=meeting_id, command=command)
            except service.Refused as refused:
                _errors(form, refused)
            else:
                flash("Amendment started: change the record, then approve it", "success")
                return redirect(url_for("meetings.edit_meeting", meeting_id=meeting_id))
    with transaction():
        _, subject = service.meeting_for_edit(current_actor(), meeting_id=meeting_id)
        page = render_template(
            "meetings/amend.html", form=form, subject=subject, meeting_id=meeting_id
        )
    return page, form_status(form)


@bp.route("/meetings/<uuid:meeting_id>/actions/new", methods=["GET", "POST"])
@requires(Permission.MEETING_WRITE)
def add_action(meeting_id: uuid.UUID) -> ResponseReturnValue:
    form = ActionForm()
    form.set_agencies(service.agency_choices())
    if form.validate_on_submit():
        command = load_command(form, ActionSchema(), ActionCommand)
        if command is not None:
            actor = current_actor()
            shown = url_for("meetings.show_meeting", meeting_id=meeting_id)
            try:
                with saving_once(form.submission.data, user_id=actor.user_id) as saved:
                    actions.add_action(actor, meeting_id=meeting_id, command=command)
                    saved.location = shown
            except service.Refused as refused:
                _errors(form, refused)
            except AlreadySent as sent:
                return saved_once(sent, otherwise=shown)
            else:
                flash("Action added", "success")
                return redirect(shown)
    with transaction():
        subject = actions.meeting_heading(current_actor(), meeting_id=meeting_id)
        page = render_template(
            "meetings/add_action.html", form=form, subject=subject, meeting_id=meeting_id
        )
    return page, form_status(form)


@bp.get("/actions")
@requires(Permission.ACTIONS_VIEW)
def our_actions() -> ResponseReturnValue:
    form = ActionFilterForm(request.args)
    if request.args:
        form.validate()
    filters = form.filters()
    page_number = request.args.get("page", "1")
    number = int(page_number) if is_ascii_number(page_number, max_digits=5) else 1
    with transaction(reads_only=True):
        listing = actions.list_our_actions(current_actor(), filters=filters, page=number)
        form.offer(listing.subjects, listing.people)
        page = render_template(
            "meetings/our_actions.html", listing=listing, filters=filters, form=form
        )
    return page, form_status(form)


@bp.route("/actions/<uuid:action_id>", methods=["GET", "POST"])
@requires(Permission.ACTIONS_VIEW)
def show_action(action_id: uuid.UUID) -> ResponseReturnValue:
    form = ProgressForm()
    try:
        if form.validate_on_submit():
            command = load_command(form, ProgressSchema(), ProgressCommand)
            if command is not None:
                try:
                    with transaction():
                        actions.record_progress(
                            current_actor(), action_id=action_id, command=command
                        )
                except service.Refused as refused:
                    _errors(form, refused)
                else:
                    flash("Progress recorded", "success")
                    return redirect(url_for("meetings.show_action", action_id=action_id))
        with transaction():
            view = actions.view_action(current_actor(), action_id=action_id)
            form.limit_to(progress=view.may_progress, chair=view.may_close)
            form.version.data = view.version  # the page now shows this state
            page = render_template("meetings/action.html", view=view, form=form)
    except AcknowledgementRequired:
        with transaction():
            subject_id = service.subject_of_action(action_id)
        if subject_id is None:
            return refusal_page(AccessDenied("not_found"))
        return redirect(url_for("subjects.acknowledge", subject_id=subject_id))
    return page, form_status(form)
