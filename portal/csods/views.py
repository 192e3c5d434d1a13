"""CSODS pages: the case list, record an application, open one, add a child, each stage step,
pause and resume the clock, and raise an immediate risk.

Each view parses input, calls one service function inside ``with transaction():``, renders
inside the block and returns after it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from marshmallow import Schema
from wtforms import SelectChoice

from portal.access.decorators import requires
from portal.access.gate import AccessDenied
from portal.access.permissions import Permission
from portal.core.actor import current_actor
from portal.core.clock import uk_today
from portal.core.error_summary import form_status
from portal.core.once import AlreadySent, saved_once, saving_once
from portal.csods import application_schemas, cases, forms, schemas, service, steps
from portal.csods.stages import Transition, allowed
from portal.db.transaction import transaction
from portal.subjects.views import refusal_page

bp = Blueprint("csods", __name__, url_prefix="/csods")

#: An application's own pages declare only that the user is signed in: who may open one (the
#: holding force's CSODS officers) is decided by the policy and the gate inside the service, so
#: that every other user gets the same 404 as for a missing application and the refusal is
#: logged as ``AUTHZ_FAIL`` (a role check here would answer 403 and log nothing).
SIGNED_IN: Final = Permission.HOME_VIEW
bp.register_error_handler(AccessDenied, refusal_page)


@dataclass(frozen=True)
class Step:
    title: str
    form: Callable[[], FlaskForm]
    schema: Callable[[], Schema]
    action: Callable[..., None]
    button: str
    #: Form fields this step does not ask.
    skip: frozenset[str] = frozenset()


_NOT_DISCLOSURE: Final = frozenset({"undertaking_signed", "undertaking_signed_on", "disclosed_by"})

STEPS: Final[dict[str, Step]] = {
    "begin-checks": Step(
        "Begin initial checks",
        forms.EmptyForm,
        schemas.EmptySchema,
        steps.begin_checks,
        "Begin initial checks",
    ),
    "scope": Step(
        "Record the scope decision",
        forms.ScopeForm,
        schemas.ScopeSchema,
        steps.decide_scope,
        "Record the scope decision",
    ),
    "interview": Step(
        "Record the interview and verification",
        forms.InterviewForm,
        schemas.InterviewSchema,
        steps.record_interview,
        "Record the interview",
    ),
    "begin-risk-assessment": Step(
        "Begin the multi-agency risk assessment",
        forms.EmptyForm,
        schemas.EmptySchema,
        steps.begin_risk_assessment,
        "Begin the risk assessment",
    ),
    "risk-assessment": Step(
        "Complete the risk assessment",
        forms.RiskAssessmentForm,
        schemas.RiskAssessmentSchema,
        steps.complete_risk_assessment,
        "Complete the risk assessment",
    ),
    "decision": Step(
        "Record the decision",
        forms.DecisionForm,
        schemas.DecisionSchema,
        steps.record_decision,
        "Record the decision",
    ),
    "approve": Step(
        "Approve the decision",
        forms.EmptyForm,
        schemas.EmptySchema,
        steps.approve_decision,
        "Approve the decision",
    ),
    "send-back": Step(
        "Send the decision back to the forum",
        forms.SendBackForm,
        schemas.SendBackSchema,
        steps.send_back_decision,
        "Send the decision back",
    ),
    "deliver-disclosure": Step(
        "Record the disclosure as delivered",
        forms.DeliveryForm,
        schemas.DisclosureDeliverySchema,
        steps.deliver_disclosure,
        "Record the disclosure as delivered",
    ),
    "inform-applicant": Step(
        "Record that the applicant was informed",
        forms.DeliveryForm,
        schemas.DeliverySchema,
        steps.inform_applicant,
        "Record that the applicant was informed",
        _NOT_DISCLOSURE,
    ),
    "refer": Step(
        "Record the safeguarding referral",
        forms.DeliveryForm,
        schemas.DeliverySchema,
        steps.record_referral,
        "Record the referral",
        _NOT_DISCLOSURE,
    ),
    "close": Step(
        "Close the application",
        forms.NoteForm,
        schemas.NoteSchema,
        steps.close_application,
        "Close the application",
    ),
    "pause": Step(
        "Pause the target clock",
        forms.PauseForm,
        schemas.PauseSchema,
        service.pause_clock,
        "Pause the clock",
    ),
    "resume": Step(
        "Restart the target clock",
        forms.EmptyForm,
        schemas.EmptySchema,
        service.resume_clock,
        "Restart the clock",
    ),
    "immediate-risk": Step(
        "Open an immediate-risk safeguarding referral",
        forms.ReferralForm,
        schemas.ReferralSchema,
        steps.raise_immediate_risk,
        "Open the referral",
    ),
}

#: The step page for each transition (the application page links to them).
STEP_OF: Final = {
    Transition.BEGIN_CHECKS: "begin-checks",
    Transition.IN_SCOPE: "scope",
    Transition.NOT_IN_SCOPE: "scope",
    Transition.VERIFIED: "interview",
    Transition.NOT_VERIFIED: "interview",
    Transition.BEGIN_RISK_ASSESSMENT: "begin-risk-assessment",
    Transition.COMPLETE_RISK_ASSESSMENT: "risk-assessment",
    Transition.RECORD_DECISION: "decision",
    Transition.APPROVE: "approve",
    Transition.SEND_BACK: "send-back",
    Transition.DELIVER_DISCLOSURE: "deliver-disclosure",
    Transition.INFORM_APPLICANT: "inform-applicant",
    Transition.REFER: "refer",
    Transition.CLOSE: "close",
}

RECORDED = "Application recorded"
CHILD_ADDED = "Child added"
SAVED = "Saved"


@bp.get("/")
@requires(Permission.CSODS_READ)
def case_list() -> ResponseReturnValue:
    form = forms.CaseListForm(request.args)
    if request.args:
        form.validate()
    with transaction(reads_only=True):
        # The default count period ends today in the UK on the database clock: between
        # 00:00 and 01:00 BST the machine's UTC date is still yesterday.
        choice = form.chosen(today=uk_today())
        listing = cases.case_list(
            current_actor(),
            stage=choice.stage,
            officer_id=choice.officer_id,
            include_closed=choice.include_closed,
            period=choice.period,
        )
        form.set_officers(listing.officers)
        form.show_period(choice.period)
        page = render_template(
            "csods/list.html",
            form=form,
            listing=listing,
            period=choice.period,
            groups=cases.OUTCOME_GROUPS,
            marking=service.CSODS_MARKING.banner,
            describe=service.describe,
        )
    return page, form_status(form)


@bp.route("/applications/new", methods=["GET", "POST"])
@requires(Permission.CSODS_WRITE)
def record_application() -> ResponseReturnValue:
    form = forms.ApplicationForm()
    command = _load(
        form, application_schemas.RecordApplicationSchema(), application_schemas.ApplicationCommand
    )
    if command is not None:
        actor = current_actor()
        try:
            with saving_once(form.submission.data, user_id=actor.user_id) as saved:
                application_id = service.record_application(actor, command=command)
                saved.location = _page_of(application_id)
        except service.Refused as refused:
            forms.add_error(form, refused.field, refused.message)
        except AlreadySent as sent:
            return saved_once(sent, otherwise=url_for("csods.case_list"))
        else:
            flash(RECORDED, "success")
            return redirect(url_for("csods.show_application", application_id=application_id))
    with transaction():
        subjects = service.subject_choices(current_actor())
        form.subject_id.choices = [SelectChoice("", "New person (enter below)")] + [
            SelectChoice(str(subject_id), name) for subject_id, name in subjects
        ]
        page = render_template("csods/new.html", form=form, marking=service.CSODS_MARKING.banner)
    return page, form_status(form)


@bp.get("/applications/<uuid:application_id>")
@requires(SIGNED_IN)
def show_application(application_id: uuid.UUID) -> ResponseReturnValue:
    with transaction(reads_only=True):
        view = service.view_application(current_actor(), application_id=application_id)
        page = render_template(
            "csods/show.html",
            view=view,
            app=view.application,
            steps=[(t, STEP_OF[t]) for t in view.next_steps],
            describe=service.describe,
        )
    return page


@bp.route("/applications/<uuid:application_id>/children/new", methods=["GET", "POST"])
@requires(SIGNED_IN)
def add_child(application_id: uuid.UUID) -> ResponseReturnValue:
    form = forms.ChildForm()
    command = _load(form, application_schemas.AddChildSchema(), application_schemas.ChildCommand)
    if command is not None:
        try:
            with _once(form, application_id):
                service.add_child(current_actor(), application_id=application_id, command=command)
        except service.Refused as refused:
            forms.add_error(form, refused.field, refused.message)
        except AlreadySent as sent:
            return saved_once(sent, otherwise=_page_of(application_id))
        else:
            flash(CHILD_ADDED, "success")
            return redirect(url_for("csods.show_application", application_id=application_id))
    return _step_page(application_id, form, "Add a child", "csods/child.html")


@bp.route("/applications/<uuid:application_id>/<step>", methods=["GET", "POST"])
@requires(SIGNED_IN)
def step(application_id: uuid.UUID, step: str) -> ResponseReturnValue:
    found = STEPS.get(step)
    if found is None:
        abort(404)
    form = found.form()
    form.submit.label.text = found.button
    for name in found.skip:
        del form[name]
    command = _load(form, found.schema(), object)
    if command is not None:
        try:
            with _once(form, application_id):
                found.action(current_actor(), application_id=application_id, command=command)
        except service.Refused as refused:
            forms.add_error(form, refused.field, refused.message)
        except AlreadySent as sent:
            return saved_once(sent, otherwise=_page_of(application_id))
        else:
            flash(SAVED, "success")
            return redirect(url_for("csods.show_application", application_id=application_id))
    return _step_page(application_id, form, found.title, "csods/step.html", step)


def _step_page(
    application_id: uuid.UUID, form: FlaskForm, title: str, template: str, step: str = ""
) -> ResponseReturnValue:
    with transaction():
        application = service.application_heading(current_actor(), application_id=application_id)
        transitions = {t for t, slug in STEP_OF.items() if slug == step}
        page = render_template(
            template,
            form=form,
            app=application,
            title=title,
            marking=service.marking_for(application).banner,
            unavailable=bool(transitions)
            and not transitions & set(allowed(application.stage_enum)),
        )
    return page, form_status(form)


def _page_of(application_id: uuid.UUID) -> str:
    return url_for("csods.show_application", application_id=application_id)


@contextmanager
def _once(form: FlaskForm, application_id: uuid.UUID) -> Iterator[None]:
    """One unit of work that changes the application, saved once however often it is sent."""
    with saving_once(form.submission.data, user_id=current_actor().user_id) as saved:
        saved.location = _page_of(application_id)
        yield


def _load(form: FlaskForm, schema: Schema, command: type[Any]) -> Any:
    return forms.load_command(form, schema, command) if form.validate_on_submit() else None
