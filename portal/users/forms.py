"""User administration forms: presentation and CSRF only.

What may be submitted is decided by the marshmallow schemas in :mod:`portal.users.schemas`:
:func:`load_command` passes everything the browser sent (the form's fields and anything else in
the body, minus the CSRF token and the button) through a schema, and puts the schema's messages
on the form's fields so the GOV.UK error summary shows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from flask import request
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovPasswordInput,
    GovRadioInput,
    GovTextInput,
)
from marshmallow import Schema, ValidationError
from wtforms import (
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    SubmitField,
)

from portal.core.identity import Clearance, Role
from portal.core.once import submission_key
from portal.core.widgets import SubmitButton

C = TypeVar("C")

#: Sent by every form, checked by Flask-WTF, never part of a command.
_NOT_INPUT = frozenset({"csrf_token", "submit", "submission"})
UNEXPECTED_INPUT = (
    "The form was sent with information this page does not accept. Reload the page and try again"
)

CLEARANCE_LABELS = {
    Clearance.BPSS: "BPSS – Baseline Personnel Security Standard",
    Clearance.SC: "SC – Security Check",
    Clearance.DV: "DV – Developed Vetting",
}
ROLE_CHOICES = [SelectChoice(role.value, role.label) for role in Role]
CLEARANCE_CHOICES = [SelectChoice(level.value, CLEARANCE_LABELS[level]) for level in Clearance]


def _roles_field() -> Any:
    return SelectMultipleField(
        "Roles",
        choices=ROLE_CHOICES,
        validate_choice=False,  # the schema decides, with a message for the page
        widget=GovCheckboxesInput(),
        description="Select all that apply",
    )


def _clearance_field() -> Any:
    return RadioField(
        "Security clearance",
        choices=CLEARANCE_CHOICES,
        validate_choice=False,
        widget=GovRadioInput(),
        description="The national security vetting the user holds",
    )


def _password_for_user(label: str) -> Any:
    """A password the administrator chooses and gives the user, with how to do both."""
    return PasswordField(
        label,
        widget=GovPasswordInput(),
        description=(
            "Use 12 characters or more; 3 random words work well. Give it to the user in person "
            "or by phone, never by email"
        ),
    )


class AddUserForm(FlaskForm):  # type: ignore[misc]
    submission = submission_key()
    full_name = StringField("Full name", widget=GovTextInput())
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        description="They sign in with this address. It must not be used by any other account",
    )
    password = _password_for_user("Password")
    confirm_password = PasswordField("Confirm password", widget=GovPasswordInput())
    roles = _roles_field()
    clearance = _clearance_field()
    submit = SubmitField("Add user", widget=SubmitButton())


class SetPasswordForm(FlaskForm):  # type: ignore[misc]
    password = _password_for_user("New password")
    confirm_password = PasswordField("Confirm new password", widget=GovPasswordInput())
    submit = SubmitField("Set password", widget=SubmitButton())


class ChangeRolesForm(FlaskForm):  # type: ignore[misc]
    roles = _roles_field()
    clearance = _clearance_field()
    #: Which roles and clearance the page shows, sent back to catch a change made since.
    version = HiddenField()
    submit = SubmitField("Save changes", widget=SubmitButton())


def submitted(form: FlaskForm) -> dict[str, Any]:
    """Everything the browser sent for ``form``: its fields' data plus any field it lacks."""
    data = {name: value for name, value in form.data.items() if name not in _NOT_INPUT}
    for key in request.form:
        if key not in form._fields and key not in _NOT_INPUT:
            data[key] = request.form.get(key)
    return data


def load_command(form: FlaskForm, schema: Schema, command: type[C]) -> C | None:
    """The command the schema builds from what was sent, or None with errors on ``form``."""
    try:
        loaded = schema.load(submitted(form))
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, Mapping) else {"": exc.messages}
        for name, problem in messages.items():
            add_error(form, str(name), _first_message(problem))
        return None
    if not isinstance(loaded, command):
        raise TypeError(f"{type(schema).__name__} did not load a {command.__name__}")
    return loaded


def page_error(form: FlaskForm, message: str) -> None:
    """Show a refusal of the page as a whole (not of one answer) on its button, in its own
    words."""
    form.submit.errors = [*form.submit.errors, message]


def add_error(form: FlaskForm, name: str, message: str) -> None:
    """Show ``message`` against field ``name``, or against the button for anything else."""
    field = form._fields.get(name) if name not in _NOT_INPUT else None
    if field is None:
        field, message = form.submit, UNEXPECTED_INPUT
    field.errors = [*field.errors, message]


def _first_message(problem: Any) -> str:
    """The first message in marshmallow's nested errors ({0: [...]} for list items)."""
    if isinstance(problem, str):
        return problem
    if isinstance(problem, Mapping):
        problem = list(problem.values())
    if isinstance(problem, list | tuple) and problem:
        return _first_message(problem[0])
    return UNEXPECTED_INPUT
